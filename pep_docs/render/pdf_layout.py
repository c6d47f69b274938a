"""Page layout of the PDF form: walks a `FormSpec` and places text, boxes and widgets on A4 pages.

Pure geometry, no PDF syntax. The walk follows the schema through the spec (sections titled as
the authority names them, groups, tables of `row_count` rows, `layout: cards` tables as one card
per item), so the form never depends on a hand-written field list. The output is a `Layout`:
pages of positioned items (PDF coordinates, origin bottom left), the widgets in tab order and the
logical structure tree (for the tagged PDF).

Layout is made in blocks (a row of fields, a table row, a card, a heading) that never split across
pages; a heading keeps with what follows it and a table row that starts a page repeats the table's
header row (as an artifact). What varies with the child is only the `LayoutKey`: the rows each
table prints and the height of paragraph boxes whose prefilled text would not fit at the normal
size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pep_docs.forms import FormSpec
from pep_docs.profiles import Profile
from pep_docs.render.pdf_fonts import EmbeddedFont, font_file, load_font
from pep_docs.schema import Field, Group, Section, Table

PAGE_W, PAGE_H = 595.28, 841.89
MARGIN_X = 40.0
CONTENT_W = PAGE_W - 2 * MARGIN_X
TOP = 52.0  # first usable y from the top (below the running header)
BOTTOM = 62.0  # reserved for the footer
COLUMN_GAP = 12.0
SHORT_PER_ROW = 3
CARD_PAD = 8.0

LABEL_SIZE, LABEL_LEAD = 8.5, 10.5
GUIDE_SIZE, GUIDE_LEAD = 7.0, 8.6
LINE_H = 17.0
PARA_H = 58.0
CELL_PARA_H = 36.0
CARD_PARA_H = 40.0
VALUE_SIZE = 9.0
MAX_TALL = 6

INK = (0.10, 0.10, 0.12)
GREY = (0.33, 0.33, 0.36)
FRAME = (0.55, 0.57, 0.60)
WHITE = (1.0, 1.0, 1.0)

HINTS = {"date": "dd/mm/yyyy", "time": "hh:mm"}
SHORT_WIDGETS = ("line", "date", "time", "number", "choice")
COLUMN_WEIGHTS = {
    "paragraph": 3.0,
    "line": 2.0,
    "choice": 1.7,
    "date": 1.15,
    "time": 0.8,
    "number": 0.9,
}


def rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


@dataclass(frozen=True)
class Theme:
    """Branding from the authority profile: colours and fonts."""

    primary: tuple[float, float, float]
    secondary: tuple[float, float, float]
    accent: tuple[float, float, float]
    regular: EmbeddedFont
    bold: EmbeddedFont

    @classmethod
    def of(cls, profile: Profile) -> Theme:
        c = profile.colours
        return cls(
            primary=rgb(c["primary"]),
            secondary=rgb(c["secondary"]),
            accent=rgb(c["accent"]),
            regular=load_font(font_file(profile.font, bold=False)),
            bold=load_font(font_file(profile.font, bold=True)),
        )


# -- structure tree ------------------------------------------------------------------------------


@dataclass(eq=False)
class StructNode:
    """An element of the logical structure: kids are nodes, `MarkedText` or `PlacedWidget`."""

    role: str
    title: str | None = None
    alt: str | None = None
    kids: list[object] = field(default_factory=list)

    def add(self, role: str, title: str | None = None, alt: str | None = None) -> StructNode:
        node = StructNode(role, title, alt)
        self.kids.append(node)
        return node


# -- items ---------------------------------------------------------------------------------------


@dataclass
class TextRun:
    x: float
    y: float  # block-relative: baseline distance from the block top; absolute once placed
    text: str
    size: float
    bold: bool = False
    colour: tuple[float, float, float] = INK
    tag: StructNode | None = None  # None: an artifact
    align: str = "left"


@dataclass
class Box:
    x: float
    y: float  # block-relative: top; absolute once placed: bottom
    w: float
    h: float
    fill: tuple[float, float, float] | None = None
    stroke: tuple[float, float, float] | None = None
    line_width: float = 0.6


@dataclass
class Picture:
    x: float
    y: float
    w: float
    h: float
    tag: StructNode | None = None


@dataclass(eq=False)
class PlacedWidget:
    """One AcroForm field's widget; `rect` is absolute once placed (x1, y1, x2, y2)."""

    field: Field
    pointer: str
    x: float
    y: float
    w: float
    h: float
    tooltip: str
    tag: StructNode | None
    cell: bool = False  # inside a table row: smaller type
    hidden: bool = False
    page: int = 0

    @property
    def rect(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.w, self.y + self.h)


@dataclass
class Block:
    height: float
    items: list[object] = field(default_factory=list)
    keep_with_next: bool = False
    repeat: Block | None = None  # placed first when this block starts a page
    gap: float = 6.0


@dataclass
class PageLayout:
    items: list[object] = field(default_factory=list)
    widgets: list[PlacedWidget] = field(default_factory=list)


@dataclass
class Layout:
    pages: list[PageLayout]
    widgets: list[PlacedWidget]  # visible widgets in tab order, then hidden ones
    root: StructNode


@dataclass(frozen=True)
class LayoutKey:
    """What of a child's data changes the layout: table rows and tall paragraph boxes."""

    rows: tuple[tuple[str, int], ...]
    tall: tuple[tuple[str, int], ...]


# -- the walk ------------------------------------------------------------------------------------


def layout_key(spec: FormSpec, theme: Theme) -> LayoutKey:
    rows: list[tuple[str, int]] = []
    tall: list[tuple[str, int]] = []
    for node in spec.model.walk(spec.phase):
        if isinstance(node, Table):
            rows.append((node.pointer, spec.row_count(node)))
    for pointer, _field, width, base in _expandable_paragraphs(spec, dict(rows)):
        value = spec.value(pointer)
        if not isinstance(value, str) or not value:
            continue
        capacity = int((base - 5) / (VALUE_SIZE * 1.15))
        rough = theme.regular.width(value, VALUE_SIZE) + value.count("\n") * width
        if rough < (capacity - 1) * (width - 6) * 0.85:
            continue  # fits for sure: no need to wrap it
        lines = len(theme.regular.wrap(value, width - 6, VALUE_SIZE))
        needed = lines * VALUE_SIZE * 1.15 + 5
        if needed > base:
            tall.append((pointer, min(MAX_TALL, math.ceil(needed / base))))
    return LayoutKey(tuple(rows), tuple(tall))


def _expandable_paragraphs(spec: FormSpec, rows: dict[str, int]):
    """(pointer, field, box width, base height) of each paragraph box that may grow."""
    for view in spec.sections():
        yield from _group_paragraphs(spec, view.node, rows)


def _group_paragraphs(spec: FormSpec, node, rows) -> Iterator[tuple[str, Field, float, float]]:
    if isinstance(node, Table):
        if node.layout == "cards":
            for i in range(rows.get(node.pointer, 0)):
                for column in node.columns:
                    if column.widget == "paragraph" and spec.shows(column):
                        pointer = column.pointer.replace("/*/", f"/{i}/")
                        yield (
                            pointer,
                            column,
                            (CONTENT_W - 2 * CARD_PAD - COLUMN_GAP) / 2,
                            CARD_PARA_H,
                        )
        return
    for child in spec.children(node):
        if isinstance(child, Field) and child.widget == "paragraph":
            yield child.pointer, child, CONTENT_W, PARA_H
        elif isinstance(child, Group | Table):
            yield from _group_paragraphs(spec, child, rows)


class _Builder:
    def __init__(self, spec: FormSpec, theme: Theme, key: LayoutKey) -> None:
        self.spec = spec
        self.theme = theme
        self.rows = dict(key.rows)
        self.tall = dict(key.tall)
        self.root = StructNode("Document", title=spec.model.title)
        self.blocks: list[Block] = []
        self.hidden: list[PlacedWidget] = []

    # -- text helpers --

    def lines(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        font = self.theme.bold if bold else self.theme.regular
        return [ln for ln in font.wrap(text, width, size)] if text else []

    def paragraph(
        self,
        items: list[object],
        text: str,
        x: float,
        y: float,
        width: float,
        size: float,
        lead: float,
        *,
        bold: bool = False,
        colour=INK,
        tag: StructNode | None = None,
    ) -> float:
        """Wrapped text from block-relative `y` (top); returns the height used."""
        used = 0.0
        for line in self.lines(text, width, size, bold):
            used += lead
            items.append(
                TextRun(x, y + used - (lead - size) / 2 - 1.5, line, size, bold, colour, tag)
            )
        return used

    # -- whole form --

    def build(self) -> list[Block]:
        self.title_block()
        for f in self.spec.model.header:
            if self.spec.shows(f) and f.hidden:
                self.hidden.append(
                    PlacedWidget(
                        f,
                        f.pointer,
                        0,
                        0,
                        0,
                        0,
                        _tooltip(f.title, f.description),
                        None,
                        hidden=True,
                    )
                )
        for view in self.spec.sections():
            sect = self.root.add("Sect", title=view.title)
            self.section_heading(view.node, view.title, sect)
            if isinstance(view.node, Table):
                self.table(view.node, sect, heading=False)
            else:
                self.group_body(view.node, sect)
        return self.blocks

    def title_block(self) -> None:
        spec, theme = self.spec, self.theme
        items: list[object] = []
        h = 64.0
        items.append(Box(MARGIN_X, 0, CONTENT_W, h, fill=theme.primary))
        items.append(Box(MARGIN_X, h - 3, CONTENT_W, 3, fill=theme.accent))
        logo_tag = self.root.add("Figure", alt=f"{spec.profile.name} logo")
        items.append(Picture(MARGIN_X + 8, 6, 48, 48, tag=logo_tag))
        heading = self.root.add("H1")
        phase_field = spec.model.node("/phase") if spec.model.has("/phase") else None
        phase = phase_field.label_for(spec.phase) if isinstance(phase_field, Field) else spec.phase
        items.append(TextRun(MARGIN_X + 66, 26, spec.model.title, 17, True, WHITE, heading))
        sub = self.root.add("P")
        items.append(
            TextRun(MARGIN_X + 66, 42, spec.profile.virtual_school, 9.5, False, WHITE, sub)
        )
        items.append(TextRun(MARGIN_X + 66, 54, f"Phase: {phase}", 8.5, False, WHITE, sub))
        items.append(
            TextRun(PAGE_W - MARGIN_X - 8, 26, spec.profile.name, 9.5, True, WHITE, sub, "right")
        )
        self.blocks.append(Block(h, items, gap=10))

    def section_heading(self, node: Section | Table, title: str, sect: StructNode) -> None:
        theme = self.theme
        items: list[object] = []
        bar = 20.0
        items.append(Box(MARGIN_X, 0, CONTENT_W, bar, fill=theme.primary))
        items.append(Box(MARGIN_X, 0, 4, bar, fill=theme.accent))
        items.append(TextRun(MARGIN_X + 10, 14, title, 11.5, True, WHITE, sect.add("H2")))
        if node.by:
            who = " and ".join(r.replace("_", " ") for r in node.by)
            items.append(
                TextRun(
                    PAGE_W - MARGIN_X - 8,
                    13.5,
                    f"Completed by: {who}",
                    7.5,
                    False,
                    WHITE,
                    None,
                    "right",
                )
            )
        h = bar + 3
        if node.description:
            h += self.paragraph(
                items,
                node.description,
                MARGIN_X,
                h,
                CONTENT_W,
                GUIDE_SIZE + 0.5,
                GUIDE_LEAD + 0.5,
                colour=GREY,
                tag=sect.add("P"),
            )
        self.blocks.append(Block(h, items, keep_with_next=True, gap=6))

    def sub_heading(
        self, title: str, description: str, parent: StructNode, x: float, w: float
    ) -> Block:
        items: list[object] = []
        h = self.paragraph(
            items,
            title,
            x,
            0,
            w,
            10,
            12,
            bold=True,
            colour=self.theme.primary,
            tag=parent.add("H3"),
        )
        items.append(Box(x, h + 1.5, w, 0.8, fill=self.theme.accent))
        h += 4
        if description:
            h += self.paragraph(
                items,
                description,
                x,
                h,
                w,
                GUIDE_SIZE,
                GUIDE_LEAD,
                colour=GREY,
                tag=parent.add("P"),
            )
        return Block(h, items, keep_with_next=True, gap=4)

    # -- groups and fields --

    def group_body(
        self,
        group: Group,
        parent: StructNode,
        x: float = MARGIN_X,
        w: float = CONTENT_W,
        row: int | None = None,
        out: list[Block] | None = None,
        card: bool = False,
    ) -> None:
        """Fields three short ones to a row, paragraphs full width (two to a row in a card)."""
        out = self.blocks if out is None else out
        pending: list[Field] = []

        def flush() -> None:
            for i in range(0, len(pending), SHORT_PER_ROW):
                out.append(
                    self.field_row(pending[i : i + SHORT_PER_ROW], SHORT_PER_ROW, parent, x, w, row)
                )
            pending.clear()

        children = [c for c in self.spec.children(group) if not (isinstance(c, Field) and c.hidden)]
        if card:
            shorts = [c for c in children if isinstance(c, Field) and c.widget in SHORT_WIDGETS]
            longs = [c for c in children if c not in shorts]
            pending.extend(shorts)
            flush()
            for i in range(0, len(longs), 2):
                out.append(self.field_row(longs[i : i + 2], 2, parent, x, w, row))  # type: ignore[arg-type]
            return
        for child in children:
            if isinstance(child, Field):
                if child.widget in SHORT_WIDGETS:
                    pending.append(child)
                    continue
                flush()
                out.append(self.field_row([child], 1, parent, x, w, row))
            elif isinstance(child, Table):
                flush()
                self.table(child, parent.add("Sect", title=child.title), heading=True)
            elif isinstance(child, Group):
                flush()
                sub = parent.add("Sect", title=child.title)
                out.append(self.sub_heading(child.title, child.description, sub, x, w))
                self.group_body(child, sub, x, w, row, out)
        flush()

    def field_row(
        self,
        fields: list[Field],
        per_row: int,
        parent: StructNode,
        x: float,
        w: float,
        row: int | None,
    ) -> Block:
        """One row of fields: labels and guidance on top, the boxes aligned below them."""
        cw = (w - COLUMN_GAP * (per_row - 1)) / per_row
        items: list[object] = []
        heads: list[tuple[list[object], float]] = []
        for i, f in enumerate(fields):
            pointer = _concrete(f.pointer, row)
            cell_items: list[object] = []
            cx = x + i * (cw + COLUMN_GAP)
            label = parent.add("P")
            text = f.title + _hint(f)
            lh = self.paragraph(
                cell_items, text, cx, 0, cw, LABEL_SIZE, LABEL_LEAD, bold=True, tag=label
            )
            gh = self.paragraph(
                cell_items,
                f.description,
                cx,
                lh,
                cw,
                GUIDE_SIZE,
                GUIDE_LEAD,
                colour=GREY,
                tag=label,
            )
            heads.append((cell_items, lh + gh + 2))
        top = max((hh for _, hh in heads if hh >= 0), default=0.0)
        height = 0.0
        for i, ((cell_items, hh), f) in enumerate(zip(heads, fields, strict=True)):
            items.extend(cell_items)
            if hh < 0:
                height = max(height, -hh)
                continue
            cx = x + i * (cw + COLUMN_GAP)
            pointer = _concrete(f.pointer, row)
            if f.widget == "paragraph":
                base = CARD_PARA_H if row is not None else PARA_H
                bh = base * self.tall.get(pointer, 1)
            else:
                bh = LINE_H
            items.append(Box(cx, top, cw, bh, fill=WHITE, stroke=FRAME))
            items.append(self.widget(f, pointer, cx, top, cw, bh, parent.add("Form")))
            height = max(height, top + bh)
        return Block(height, items, gap=7)

    def widget(
        self,
        f: Field,
        pointer: str,
        x: float,
        y: float,
        w: float,
        h: float,
        tag: StructNode,
        cell: bool = False,
        context: str | None = None,
    ) -> PlacedWidget:
        title = f.title + _hint(f)
        if context:
            title = f"{context}: {title}"
        spot = PlacedWidget(f, pointer, x, y, w, h, _tooltip(title, f.description), tag, cell)
        tag.kids.append(spot)
        return spot

    # -- tables --

    def table(self, table: Table, parent: StructNode, heading: bool) -> None:
        x, w = MARGIN_X, CONTENT_W
        if heading:
            self.blocks.append(self.sub_heading(table.title, table.description, parent, x, w))
        columns = [c for c in table.columns if self.spec.shows(c)]
        count = self.rows.get(table.pointer, table.rows)
        if table.layout == "cards":
            for i in range(count):
                self.card(table, columns, i, parent)
            return
        key = "  ".join(f"{c.title}: {c.description}" for c in columns if c.description)
        if key:
            items: list[object] = []
            h = self.paragraph(
                items,
                key,
                x,
                0,
                w,
                GUIDE_SIZE - 0.5,
                GUIDE_LEAD - 0.6,
                colour=GREY,
                tag=parent.add("P"),
            )
            self.blocks.append(Block(h, items, keep_with_next=True, gap=3))
        number_w = 16.0
        weights = [COLUMN_WEIGHTS.get(c.widget, 1.0) for c in columns]
        total = sum(weights)
        widths = [(w - number_w) * wt / total for wt in weights]
        lefts = [x + number_w + sum(widths[:i]) for i in range(len(columns))]
        tagged = parent.add("Table")
        header = self.table_header(columns, lefts, widths, x, w, tagged.add("TR"))
        repeat = self.table_header(columns, lefts, widths, x, w, None)
        self.blocks.append(Block(header.height, header.items, keep_with_next=True, gap=0))
        tall = any(c.widget == "paragraph" for c in columns)
        rh = CELL_PARA_H if tall else LINE_H + 4
        for i in range(count):
            tr = tagged.add("TR")
            items = [
                Box(
                    x,
                    0,
                    w,
                    rh,
                    fill=self.theme.secondary if i % 2 else WHITE,
                    stroke=FRAME,
                    line_width=0.4,
                )
            ]
            items.append(
                TextRun(
                    x + number_w / 2,
                    min(rh, LINE_H + 4) / 2 + 3,
                    str(i + 1),
                    7,
                    False,
                    GREY,
                    None,
                    "center",
                )
            )
            context = self.spec.model.describe(
                f"{table.pointer}/{i}", self.spec.profile.section_titles
            )
            for c, left, cw in zip(columns, lefts, widths, strict=True):
                pointer = _concrete(c.pointer, i)
                td = tr.add("TD")
                items.append(
                    Box(left + 2, 2, cw - 4, rh - 4, fill=WHITE, stroke=FRAME, line_width=0.4)
                )
                items.append(
                    self.widget(
                        c, pointer, left + 2, 2, cw - 4, rh - 4, td.add("Form"), True, context
                    )
                )
            self.blocks.append(Block(rh, items, repeat=repeat, gap=0))
        self.blocks[-1].gap = 10

    def table_header(self, columns, lefts, widths, x, w, tr: StructNode | None) -> Block:
        items: list[object] = []
        heights = [
            len(self.lines(c.title + _hint(c), cw - 6, 7.5, True))
            for c, cw in zip(columns, widths, strict=True)
        ]
        h = max(heights) * 9 + 6
        items.append(Box(x, 0, w, h, fill=self.theme.secondary, stroke=FRAME, line_width=0.4))
        items.append(TextRun(x + 8, h / 2 + 2.5, "#", 7.5, True, GREY, None, "center"))
        for c, left, cw in zip(columns, lefts, widths, strict=True):
            th = tr.add("TH") if tr is not None else None
            self.paragraph(
                items,
                c.title + _hint(c),
                left + 3,
                2,
                cw - 6,
                7.5,
                9,
                bold=True,
                colour=self.theme.primary,
                tag=th,
            )
        return Block(h, items)

    def card(self, table: Table, columns: list[Field], i: int, parent: StructNode) -> None:
        x, w = MARGIN_X, CONTENT_W
        describe = self.spec.model.describe(
            f"{table.pointer}/{i}", self.spec.profile.section_titles
        )
        title = describe.rsplit(", ", 1)[-1]
        title = title[:1].upper() + title[1:]
        div = parent.add("Sect", title=title)
        inner: list[Block] = []
        fake = Group(
            table.pointer,
            table.title,
            "",
            table.by,
            table.prepopulated,
            False,
            None,
            tuple(columns),
        )
        self.group_body(fake, div, x + CARD_PAD, w - 2 * CARD_PAD, i, inner, card=True)
        head = 20.0
        items: list[object] = [Box(x, 0, w, head, fill=self.theme.secondary)]
        items.append(TextRun(x + CARD_PAD, 14, title, 10, True, self.theme.primary, div.add("H3")))
        y = head + 6
        for b in inner:
            for item in b.items:
                _shift(item, y)
                items.append(item)
            y += b.height + b.gap
        items.insert(0, Box(x, 0, w, y + 2, fill=None, stroke=self.theme.primary, line_width=0.8))
        self.blocks.append(Block(y + 2, items, gap=10))


def _hint(f: Field) -> str:
    hint = HINTS.get(f.widget)
    if hint:
        return f" ({hint})"
    if f.unit and f"({f.unit})" not in f.title:
        return f" ({f.unit})"
    return ""


def _tooltip(title: str, description: str) -> str:
    title = title.strip()
    if not description:
        return title
    sep = " " if title.endswith((".", "?", ":")) else ". "
    return f"{title}{sep}{description.strip()}"


def _concrete(pattern: str, row: int | None) -> str:
    return pattern if row is None else pattern.replace("/*/", f"/{row}/", 1)


def _shift(item: object, dy: float) -> None:
    item.y += dy  # type: ignore[attr-defined]


# -- pagination ----------------------------------------------------------------------------------


def paginate(blocks: list[Block], hidden: Iterable[PlacedWidget]) -> list[PageLayout]:
    pages = [PageLayout()]
    y = TOP
    limit = PAGE_H - BOTTOM

    def need(i: int) -> float:
        total, j = 0.0, i
        while j < len(blocks):
            total += blocks[j].height + (blocks[j].gap if blocks[j].keep_with_next else 0)
            if not blocks[j].keep_with_next:
                break
            j += 1
        return min(total, limit - TOP)

    for i, block in enumerate(blocks):
        if y + need(i) > limit and y > TOP:
            pages.append(PageLayout())
            y = TOP
            if block.repeat is not None:
                _place(block.repeat, pages[-1], y, len(pages) - 1)
                y += block.repeat.height
        _place(block, pages[-1], y, len(pages) - 1)
        y += block.height + block.gap
    for spot in hidden:
        spot.page = 0
        pages[0].widgets.append(spot)
    return pages


def _place(block: Block, page: PageLayout, top: float, index: int) -> None:
    for item in block.items:
        if isinstance(item, TextRun):
            page.items.append(
                TextRun(
                    item.x,
                    PAGE_H - (top + item.y),
                    item.text,
                    item.size,
                    item.bold,
                    item.colour,
                    item.tag,
                    item.align,
                )
            )
        elif isinstance(item, Box | Picture):
            placed = type(item)(**{**vars(item), "y": PAGE_H - (top + item.y + item.h)})
            page.items.append(placed)
        elif isinstance(item, PlacedWidget):
            item.y = PAGE_H - (top + item.y + item.h)
            item.page = index
            page.widgets.append(item)


def build_blocks(spec: FormSpec, theme: Theme, key: LayoutKey) -> list[Block]:
    """The form's blocks before they are put on pages: what a reader of a flattened copy
    matches the pages against (`pep_docs.extractors.pdf_layout`)."""
    return _Builder(spec, theme, key).build()


def build_layout(spec: FormSpec, theme: Theme, key: LayoutKey) -> Layout:
    """The pages of a form; widgets carry concrete pointers for the rows of `key`."""
    builder = _Builder(spec, theme, key)
    blocks = builder.build()
    pages = paginate(blocks, builder.hidden)
    widgets = [w for p in pages for w in p.widgets if not w.hidden] + builder.hidden
    return Layout(pages, widgets, builder.root)
