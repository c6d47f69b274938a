"""What the blank PDF form of an authority and phase looks like: learnt from the renderer.

A flattened PDF of our form (a print, `qpdf --flatten-annotations`) has lost its fields but
keeps the form's page layout: labels, guidance, table row numbers, and each answer drawn inside
its box. To read it, the layout reader needs to know, for every field, where its box sits
relative to the printed text around it. That is learnt here from the renderer itself
(`pep_docs.render.pdf_layout`), never from a list of fields: the form is laid out for the
authority and phase, in blocks (a row of fields, a table row, a card) that never split across
pages, and for each block this module keeps

- its runs of static text (block-relative: left edge and baseline), the first one its anchor;
- its slots: each field's box (block-relative), with the static run it hangs from (its label,
  or the row number of a table row) so that a taller box above cannot shift it.

Tables are laid out with more rows than any form offers (`EXTRA_ROWS`); rows past the ones every
form prints are optional, and the reader stops at the first one a page does not show. Models are
cached per authority and phase (the term is printed only in the footer: it moves nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pep_docs.forms import prepare
from pep_docs.render.pdf_layout import (
    CARD_PARA_H,
    PARA_H,
    LayoutKey,
    PlacedWidget,
    TextRun,
    Theme,
    build_blocks,
)
from pep_docs.schema import Field, Table

EXTRA_ROWS = 30
MAX_TALL = 6


@dataclass(frozen=True)
class Run:
    """Static text of the form: block-relative baseline, left edge, size."""

    text: str
    x0: float
    rel_y: float
    size: float


@dataclass(frozen=True)
class Slot:
    """A field's box: block-relative top, the run it hangs from, and whether it may grow."""

    pointer: str
    field: Field
    x0: float
    x1: float
    rel_top: float
    h: float
    label: int | None  # index of the run it hangs from in the block; None: the block's anchor
    grows: bool  # a paragraph box that a long prefilled value makes taller

    @property
    def multiline(self) -> bool:
        return self.field.widget == "paragraph"


@dataclass
class BlockModel:
    runs: list[Run]
    slots: list[Slot]
    table: str | None = None
    optional: bool = False  # a table row or card past the ones every form prints


@dataclass
class FormModel:
    authority: str
    phase: str
    theme: Theme
    blocks: list[BlockModel]
    static: dict[str, list[float]] = field(default_factory=dict)  # text -> left edges
    # The static text inside each table's rows or cards, below their first run (a card's
    # labels): met between one card and the next, it does not end the table.
    inside: dict[str | None, set[str]] = field(default_factory=dict)

    def is_static(self, text: str, x0: float, tolerance: float = 1.3) -> bool:
        return any(abs(x - x0) <= tolerance for x in self.static.get(text, ()))


def _left(run: TextRun, theme: Theme) -> float:
    if run.align == "left":
        return run.x
    font = theme.bold if run.bold else theme.regular
    width = font.width(run.text, run.size)
    return run.x - width if run.align == "right" else run.x - width / 2


@lru_cache(maxsize=32)
def form_model(authority: str, phase: str) -> FormModel:
    """The blank form of an authority and phase, as blocks of static text and slots."""
    spec = prepare(authority=authority, phase=phase)
    theme = Theme.of(spec.profile)
    rows, always = [], {}
    for node in spec.model.walk(phase):
        if isinstance(node, Table):
            printed = max(node.rows, node.min_items, 1)
            always[node.pointer] = printed
            rows.append((node.pointer, printed + EXTRA_ROWS))
    blocks = build_blocks(spec, theme, LayoutKey(tuple(rows), ()))
    tables = [n for n in spec.model.walk(phase) if isinstance(n, Table)]
    model = FormModel(authority, phase, theme, [])
    for block in blocks:
        runs = [
            Run(" ".join(item.text.split()), _left(item, theme), item.y, item.size)
            for item in block.items
            if isinstance(item, TextRun) and item.text.strip()
        ]
        order = sorted(range(len(runs)), key=lambda i: (runs[i].rel_y, runs[i].x0))
        runs = [runs[i] for i in order]
        widgets = [item for item in block.items if isinstance(item, PlacedWidget)]
        slots = [_slot(w, runs) for w in widgets]
        table, row = _row_of(widgets, tables)
        optional = table is not None and row is not None and row >= always[table]
        model.blocks.append(BlockModel(runs, slots, table, optional))
        model.inside.setdefault(table, set()).update(run.text for run in runs[1:])
        for run in runs:
            model.static.setdefault(run.text, []).append(run.x0)
    for text, xs in model.static.items():
        model.static[text] = sorted({round(x, 1) for x in xs})
    return model


def _slot(w: PlacedWidget, runs: list[Run]) -> Slot:
    # The label is the nearest run above the box, in its column.
    above = [
        i
        for i, r in enumerate(runs)
        if r.rel_y <= w.y and w.x - 0.5 <= r.x0 < w.x + w.w and r.size < 10
    ]
    label = max(above, key=lambda i: runs[i].rel_y) if above else None
    grows = w.field.widget == "paragraph" and not w.cell and w.h in (PARA_H, CARD_PARA_H)
    return Slot(w.pointer, w.field, w.x, w.x + w.w, w.y, w.h, label, grows)


def _row_of(widgets: list[PlacedWidget], tables: list[Table]) -> tuple[str | None, int | None]:
    for w in widgets:
        for table in tables:
            prefix = table.pointer + "/"
            if w.pointer.startswith(prefix):
                index = w.pointer[len(prefix) :].split("/", 1)[0]
                if index.isdigit():
                    return table.pointer, int(index)
    return None, None
