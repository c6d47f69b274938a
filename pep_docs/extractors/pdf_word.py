"""Reading a PDF made from our Word form (LibreOffice's or Word's "export as PDF"): by labels.

Such a PDF has no fields and its own geometry (the word processor's fonts and line breaks), but
the Word form's structure shows through (`pep_docs.render.docx_body`): each section a heading,
fields in two-column tables (label | answer; a paragraph answer in a full-width row under its
label), groups under their own heading, tables of records as a header row of column labels and
one row per item, cards ("Target 1") as small label | answer tables. Empty answers print their
guidance in square brackets, drop-downs "Choose an item.".

Reading walks the schema in the order the Word form prints it and finds, in the page text, each
heading, label, table header and card title in turn; what lies between one and the next is the
answer (for a label beside its answer: only what is in the answer column). Table rows are told
apart by the gap above their first line; cells by the header's columns. Lines are joined by a
space where the text wrapped and by a newline where a line ended early or a blank line shows.
Notes a reader added are placed beside the question whose row (label and answer) or table cell
they are on or near (`pdf_notes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as member

from pep_docs.extractors.pdf_notes import add_notes
from pep_docs.extractors.pdf_objects import Annotations, Place
from pep_docs.extractors.pdf_page import PageText, Segment
from pep_docs.extractors.result import Assembler, Extraction, Reading, Unmapped, form_summary
from pep_docs.forms import PRINTED_FORM_ID, PRINTED_VERSION, prepare
from pep_docs.render.docx_body import LABEL_WIDTH, TEXT_WIDTH, WIDGET_WEIGHT
from pep_docs.render.docx_sdt import label as printed_label
from pep_docs.render.docx_sdt import placeholder
from pep_docs.schema import Field, Group, Table, load_model
from pep_docs.validate import section_titles_for

CELL_PAD = 5.4  # points between a cell's edge and its text
ROW_GAP = 16.0  # a first line this far below the line above starts a new table row
EMPTY = {"choose an item.", "click or tap here to enter text.", "click or tap to enter a date."}
_TERM = re.compile(r"\b(Autumn|Spring|Summer) term (\d{4})\b")
_CHILD = re.compile(r"Child ID (\S+)")
MAX_CARDS = 24


@dataclass
class Token:
    """Something the Word form prints, found in the page text in form order."""

    kind: str  # heading, field, table, card
    text: str
    guide: str = ""  # a heading's guidance, printed under it
    field: Field | None = None
    pointer: str = ""
    table: Table | None = None
    columns: list[Field] = member(default_factory=list)
    row: int | None = None
    optional: bool = False
    found: int | None = None  # index of the segment it was found at
    own: list[int] = member(default_factory=list)  # the segments of its own text


def word_identity(pages: list[PageText]) -> dict[str, str]:
    """The identity the Word form prints: authority (title), phase, term, child id, form id and
    the version of the form."""
    from pep_docs.profiles import all_profiles

    texts = [s.text for p in pages[:1] for s in p.segments]
    every = [s.text for p in pages for s in p.segments]
    identity: dict[str, str] = {}
    for profile in all_profiles():
        if profile.name in texts:
            identity["authority"] = profile.slug
            break
    model = load_model()
    phase_field = model.node("/phase")
    for text in texts:
        parts = [p.strip() for p in text.split("·")]
        for value, shown in getattr(phase_field, "choices", ()):
            if parts and parts[0] == shown:
                identity["phase"] = value
        if found := _TERM.search(text):
            identity.setdefault("term", f"{found.group(2)}-{found.group(1).lower()}")
        if found := _CHILD.search(text):
            identity.setdefault("child_id", found.group(1))
        version = PRINTED_VERSION.search(text)
        if version:  # another version's form is read, and warned about (extract)
            identity["schema_id"] = model.id_for(version.group(1))
    for text in every:
        if found := PRINTED_FORM_ID.search(text):
            identity["form_id"] = found.group(1)
            break
    return identity


def _furniture(pages: list[PageText]) -> set[tuple[int, int]]:
    """Running headers and footers: text repeated at the same height on most pages, and what
    shares a line with it (page numbers)."""
    if len(pages) < 2:
        return set()
    counts: dict[tuple[str, int], int] = {}
    for p in pages:
        for key in {(s.text, round(s.y1)) for s in p.segments}:
            counts[key] = counts.get(key, 0) + 1
    repeated = {y for (_text, y), n in counts.items() if n >= max(2, len(pages) // 2)}
    out = set()
    for p in pages:
        for i, s in enumerate(p.segments):
            if any(abs(round(s.y1) - y) <= 2 for y in repeated):
                out.add((p.index, i))
    return out


def _stream(pages: list[PageText]) -> list[Segment]:
    """Body text in reading order: by page, then line (tops within 3 pt), then left to right."""
    skip = _furniture(pages)
    out: list[Segment] = []
    for p in pages:
        body = [s for i, s in enumerate(p.segments) if (p.index, i) not in skip]
        body.sort(key=lambda s: -s.y1)
        lines: list[list[Segment]] = []
        for s in body:
            if lines and abs(lines[-1][0].y1 - s.y1) < 3:
                lines[-1].append(s)
            else:
                lines.append([s])
        for line in lines:
            out.extend(sorted(line, key=lambda s: s.x0))
    return out


def _tokens(authority: str, phase: str) -> Iterator[Token]:
    spec = prepare(authority=authority, phase=phase)
    for view in spec.sections():
        yield Token("heading", view.title, view.node.description)
        if isinstance(view.node, Table):
            yield from _table_tokens(spec, view.node)
        else:
            yield from _group_tokens(spec, view.node)


def _group_tokens(spec, group: Group) -> Iterator[Token]:
    for child in spec.children(group):
        if isinstance(child, Field):
            if not child.hidden:
                yield Token("field", printed_label(child), field=child, pointer=child.pointer)
            continue
        yield Token("heading", child.title, child.description)
        if isinstance(child, Table):
            yield from _table_tokens(spec, child)
        else:
            yield from _group_tokens(spec, child)


def _table_tokens(spec, table: Table) -> Iterator[Token]:
    columns = [c for c in table.columns if spec.shows(c) and not c.hidden]
    always = max(table.rows, table.min_items, 1)
    if table.layout == "cards":
        where = spec.model.describe(f"{table.pointer}/0")
        word = where.rsplit(", ", 1)[-1].rsplit(" ", 1)[0]
        word = word[:1].upper() + word[1:]
        for i in range(always + MAX_CARDS):
            yield Token("card", f"{word} {i + 1}", table=table, row=i, optional=i >= always)
            for c in columns:
                pointer = c.pointer.replace("/*/", f"/{i}/", 1)
                yield Token(
                    "field", printed_label(c), field=c, pointer=pointer, row=i, optional=i >= always
                )
        return
    yield Token("table", printed_label(columns[0]), table=table, columns=columns)


def read_word_pdf(pages: list[PageText], where: str, identity: dict[str, str]) -> Extraction:
    authority, phase = identity["authority"], identity["phase"]
    segs = _stream(pages)
    tokens = _find(list(_tokens(authority, phase)), segs)
    assembler = Assembler(load_model(), section_titles_for(authority))
    used: set[int] = set()
    places: list[Place] = []  # each question's row of the form, to place notes among
    found = [t for t in tokens if t.found is not None]
    if found:
        used.update(range(found[0].found))  # the title and the form's own instructions
    # A card's title row is repeated at the top of the next page when the card goes on there.
    titles = {_norm(t.text) for t in tokens if t.kind == "card"}
    firsts = {i for i, s in enumerate(segs) if i == 0 or segs[i - 1].page != s.page}
    repeats = {i for i in firsts if _norm(segs[i].text) in titles}
    used.update(repeats)
    for n, token in enumerate(found):
        used.update(token.own)
        stop = found[n + 1].found if n + 1 < len(found) else len(segs)
        content = [
            i for i in range(token.found + 1, stop) if i not in token.own and i not in repeats
        ]
        if token.kind == "field":
            mine = _field(token, segs, content, assembler)
            used.update(mine)
            left = segs[token.found].x0 - CELL_PAD
            rows = [segs[i] for i in (*token.own, *mine)]
            places.extend(_boxes(token.pointer, rows, left, left + TEXT_WIDTH / 20))
        elif token.kind == "table":
            used.update(_rows(token, segs, content, assembler, places))
        elif token.kind == "heading" and token.guide:
            guide = _norm(token.guide)
            used.update(i for i in content if _norm(segs[i].text) in guide)
    for i, s in enumerate(segs):
        if i not in used:
            assembler.unmapped.append(Unmapped(s.text, s.where()))
    for token in tokens:
        if token.found is None and not token.optional and token.kind == "field":
            assembler.warn(token.pointer, "this box was not found on the pages; check it by hand")
    notes = [note for page in pages for note in page.notes]
    add_notes(
        assembler, Annotations(notes, places if notes else [], any(p.notes_cut for p in pages))
    )
    form = {k: v for k, v in identity.items() if v}
    if all(t.found is not None for t in tokens if not t.optional):
        # Every heading, label and table of the current form is there, in its order.
        form.setdefault("schema_id", load_model().id)
    extraction = assembler.finish(
        form, {"kind": "pdf", "file": where, "layout": "word-form", "pages": len(pages)}
    )
    extraction.form = form_summary(form, extraction.data)
    return extraction


def _find(tokens: list[Token], segs: list[Segment]) -> list[Token]:
    """Each token's segment, in order; optional cards stop at the first one not printed."""
    cursor = 0
    skipping: str | None = None
    for token in tokens:
        if token.optional and token.table is not None and token.table.pointer == skipping:
            continue
        j = cursor
        limit = len(segs) if not token.optional else min(len(segs), cursor + 3)
        while j < limit:
            own = _matches(token, segs, j)
            if own is not None:
                token.found, token.own = j, own
                cursor = j + 1
                break
            j += 1
        if token.found is None and token.optional and token.kind == "card":
            skipping = token.table.pointer if token.table else None
    return tokens


def _matches(token: Token, segs: list[Segment], j: int) -> list[int] | None:
    """The segments of the token's text when it starts at segment j."""
    want = _norm(token.text)
    got = _norm(segs[j].text)
    right = _label_right(segs[j])
    if token.kind == "field" and segs[j].x0 > right:
        return None
    if got == want:
        return [j]
    if not want.startswith(got + " ") or len(got) < 3:
        return None
    own = [j]
    k = j  # a label wrapped over lines of its cell; its answer may sit between them
    while k + 1 < len(segs) and got != want and k - j < 12:
        k += 1
        nxt = segs[k]
        if token.kind == "field" and nxt.x0 > right:
            continue
        if abs(nxt.x0 - segs[j].x0) > 6 or not want.startswith(got + " " + _norm(nxt.text)):
            return None
        got = got + " " + _norm(nxt.text)
        own.append(k)
    return own if got == want else None


def _label_right(s: Segment) -> float:
    return s.x0 - CELL_PAD + LABEL_WIDTH / 20 - 2


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _field(token: Token, segs: list[Segment], content: list[int], assembler) -> set[int]:
    f = token.field
    assert f is not None
    anchor = segs[token.found]
    if f.widget == "paragraph":
        mine = content
        width = TEXT_WIDTH / 20 - 2 * CELL_PAD
    else:
        boundary = _label_right(anchor)
        mine = [i for i in content if segs[i].x0 >= boundary]
        width = (TEXT_WIDTH - LABEL_WIDTH) / 20 - 2 * CELL_PAD
    _add(token.pointer, f, [segs[i] for i in mine], width, assembler)
    return set(mine)


def _add(pointer: str, f: Field, cell: list[Segment], width: float, assembler) -> None:
    raw = _join(cell, width)
    if not raw or _norm(raw) in EMPTY or _norm(raw) == _norm(placeholder(f)):
        return
    assembler.add(Reading(pointer, raw, "layout", cell[0].where()))


def _boxes(pointer: str, texts: list[Segment], x0: float, x1: float) -> list[Place]:
    """Where a question is on each page its text is on: from its first line to its last (its
    label and answer, or a cell), across its table's columns from x0 to x1."""
    pages: dict[int, list[Segment]] = {}
    for s in texts:
        pages.setdefault(s.page, []).append(s)
    return [
        Place(page, pointer, (x0, min(s.y0 for s in on), x1, max(s.y1 for s in on)))
        for page, on in pages.items()
    ]


def _rows(
    token: Token, segs: list[Segment], content: list[int], assembler, places: list[Place]
) -> set[int]:
    """A table of records: columns from the header, rows from the gaps above first lines (and
    each cell's place, for the notes)."""
    table, columns = token.table, token.columns
    assert table is not None
    weights = [WIDGET_WEIGHT.get(c.widget, 1.5) for c in columns]
    widths = [TEXT_WIDTH * w / sum(weights) / 20 for w in weights]
    left = segs[token.found].x0 - CELL_PAD
    edges = [left + sum(widths[:i]) for i in range(len(columns))]
    headers = " | ".join(_norm(printed_label(c)) for c in columns)
    cells: dict[int, list[int]] = {}
    in_header, page = True, segs[token.found].page
    for i in content:
        s = segs[i]
        if s.page != page:  # a table's header row is repeated at the top of each page
            in_header, page = True, s.page
        if in_header and _norm(s.text) in headers:
            cells.setdefault(-1, []).append(i)
            continue
        in_header = False
        column = max((c for c, edge in enumerate(edges) if s.x0 >= edge - 2), default=0)
        cells.setdefault(column, []).append(i)
    header_rows = cells.pop(-1, [])
    # Row starts: a line in any column further below the line above it than a wrap would be.
    starts: list[tuple[int, float]] = []
    for members in cells.values():
        previous: Segment | None = None
        for i in members:
            s = segs[i]
            if previous is None or s.page != previous.page or previous.y1 - s.y1 > ROW_GAP:
                starts.append((s.page, s.y1))
            previous = s
    rows: list[tuple[int, float]] = []
    for page, y in sorted(starts, key=lambda t: (t[0], -t[1])):
        if not rows or rows[-1][0] != page or rows[-1][1] - y > 4:
            rows.append((page, y))
    taken = set(header_rows)
    for column, members in cells.items():
        by_row: dict[int, list[Segment]] = {}
        for i in members:
            s = segs[i]
            row = max(
                (r for r, (page, y) in enumerate(rows) if page == s.page and y >= s.y1 - 4),
                default=None,
            )
            if row is not None:
                by_row.setdefault(row, []).append(s)
                taken.add(i)
        f = columns[column]
        for row, cell in by_row.items():
            pointer = f.pointer.replace("/*/", f"/{row}/", 1)
            _add(pointer, f, cell, widths[column] - 2 * CELL_PAD, assembler)
            places.extend(_boxes(pointer, cell, edges[column], edges[column] + widths[column]))
    return taken


def _join(cell: list[Segment], width: float) -> str:
    """A cell's lines: joined by a space where the text wrapped, by newlines where it did not."""
    if not cell:
        return ""
    lines: list[list[Segment]] = []
    for s in cell:
        if lines and lines[-1][0].page == s.page and abs(lines[-1][0].y1 - s.y1) < 3:
            lines[-1].append(s)
        else:
            lines.append([s])
    texts = [" ".join(s.text for s in sorted(line, key=lambda s: s.x0)) for line in lines]
    out = texts[0]
    spacing = _spacing(lines)
    for n in range(1, len(lines)):
        prev, line = lines[n - 1], lines[n]
        text = texts[n]
        gap = prev[0].y1 - line[0].y1 if prev[0].page == line[0].page else spacing
        steps = max(1, round(gap / spacing)) if spacing else 1
        if steps >= 2:
            out += "\n" * steps + text
            continue
        used = max(s.x1 for s in prev) - min(s.x0 for s in prev)
        per_char = used / max(len(texts[n - 1]), 1)
        word = text.split(" ", 1)[0]
        fits = used + per_char * (len(word) + 1) < width - per_char
        out += ("\n" if fits else " ") + text
    return out


def _spacing(lines: list[list[Segment]]) -> float:
    gaps = sorted(
        a[0].y1 - b[0].y1
        for a, b in zip(lines, lines[1:], strict=False)
        if a[0].page == b[0].page and a[0].y1 > b[0].y1
    )
    return gaps[0] if gaps else 0.0
