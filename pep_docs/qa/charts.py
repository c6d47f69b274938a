"""Small SVG charts for the cohort report, drawn here so the page needs no script or CDN.

Every label is escaped: school names are typed by people ("St Aidan & St Hilda").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from markupsafe import Markup

LEVEL_COLOURS = ("#2e7d32", "#e6a100", "#c62828", "#6d4c41", "#546e7a")
BAR_COLOUR = "#3f51b5"
FONT = 'font-family="Liberation Sans, DejaVu Sans, Arial, sans-serif" font-size="12"'


def level_colour(rank: int) -> str:
    """An authority's best level green, its next amber, its next red (by rank, best first)."""
    return LEVEL_COLOURS[min(max(rank, 0), len(LEVEL_COLOURS) - 1)]


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(text)}</text>'
    )


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    levels: Sequence[str],
    title: str,
    colour: Callable[[str], str],
) -> Markup:
    """One horizontal bar per group, split by rating level, with a legend."""
    label_w, bar_w, row_h = 230, 420, 24
    height = 40 + row_h * len(rows) + 10
    total_max = max((sum(c.values()) for _, c in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 60}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 60} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    x = label_w
    for level in levels:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour(level)}"/>')
        parts.append(_text(x + 16, 16, level))
        x += 30 + 8 * len(level)
    for i, (label, counts) in enumerate(rows):
        y = 34 + i * row_h
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(_text(label_w - 8, y + 14, short, "end"))
        x = float(label_w)
        for level in levels:
            n = counts.get(level, 0)
            if not n:
                continue
            w = bar_w * n / total_max
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{colour(level)}"><title>{escape(f"{label}: {n} {level}")}</title></rect>'
            )
            if w > 16:
                parts.append(_text(x + w / 2, y + 13, str(n), "middle", 'fill="#fff"'))
            x += w
        parts.append(_text(x + 6, y + 13, str(sum(counts.values()))))
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(
    rows: Sequence[tuple[str, float]],
    title: str,
    *,
    unit: str = "",
    highlight: Sequence[bool] | None = None,
) -> Markup:
    """Horizontal bars, one per row; highlighted rows are drawn red (a concern)."""
    label_w, bar_w, row_h = 300, 360, 22
    height = 10 + row_h * len(rows) + 10
    top = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 70}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 70} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = 10 + i * row_h
        short = label if len(label) <= 46 else label[:45] + "…"
        colour = "#c62828" if highlight and highlight[i] else BAR_COLOUR
        w = bar_w * value / top
        shown = f"{value:g}{unit}"
        parts.append(_text(label_w - 8, y + 13, short, "end"))
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
            f"<title>{escape(f'{label}: {shown}')}</title></rect>"
        )
        parts.append(_text(label_w + w + 6, y + 13, shown))
    parts.append("</svg>")
    return Markup("".join(parts))
