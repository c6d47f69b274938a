"""Reading a Word form whose content controls are gone, by its labels and tables (path 3).

Copy/paste into a new document and a Google Docs export keep the text and the tables but drop
every content control, bookmark and the form's data parts. What is left is matched against the
layout of the blank form of the same authority, phase and term (`docx_layout`):

- the form's identity is read from what it prints: the subtitle ("Statutory school age · Autumn
  term 2026 · Child ID BF00004"), the header (the authority's name), the footer ("Form <id>"),
  the label cells' shading (each authority's colour) when the header is gone too;
- each table is matched to a table of the blank form by its kind, its labels and the heading
  printed before it; each label's answer cell is read; records are read from every row under a
  table's header row, rows the school added included; "Target <n>" names a card's record;
- text that the blank form does not print and that no answer cell holds is reported as
  unmapped, with where it was found, so that nothing a school typed is lost.

Readings go through the same `Assembler` as every reader (`how` = "layout").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from lxml import etree

from pep_docs.extractors.docx_controls import read_identity
from pep_docs.extractors.docx_layout import (
    _CARD,
    BlankTable,
    Layout,
    layout_for,
)
from pep_docs.extractors.docx_text import (
    SDT,
    TBL,
    blocks,
    cells,
    label_key,
    paragraph_texts,
    rows,
    text_of,
)
from pep_docs.extractors.result import Assembler, Reading, Unmapped
from pep_docs.extractors.safety import SafeZip
from pep_docs.forms import PRINTED_FORM_ID, PRINTED_VERSION
from pep_docs.render.docx_sdt import placeholder
from pep_docs.schema import Field, PepModel

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FILLS = etree.XPath("//w:tcPr/w:shd/@w:fill", namespaces={"w": W})
_CHILD_ID = re.compile(r"Child ID\s+(\S+)")
_TERM = re.compile(r"\b(Autumn|Spring|Summer) term (\d{4})\b", re.I)


# -- identity ----------------------------------------------------------------------------------


def _part_text(package: SafeZip, pattern: str) -> str:
    out = []
    for name in sorted(n for n in package.names if re.fullmatch(pattern, n)):
        root = package.xml_if_any(name)
        if root is not None:
            out.append(" ".join(t.text or "" for t in root.iter(f"{{{W}}}t")))
    return " ".join(out)


def printed_identity(
    package: SafeZip,
    body: etree._Element,
    model: PepModel,
    known: dict[str, str] | None = None,
) -> dict[str, str]:
    """The identity a form prints (subtitle, header, footer, shading), where its parts are gone.

    `known`: what `read_identity` already found in the file's parts (read again when None)."""
    from pep_docs.profiles import all_profiles

    found = {k: v for k, v in (read_identity(package) if known is None else known).items() if v}
    subtitle = False
    for n, block in enumerate(blocks(body)):
        if n > 12:
            break
        line = text_of(block) if block.tag != TBL else ""
        form_id, version = PRINTED_FORM_ID.search(line), PRINTED_VERSION.search(line)
        if form_id:
            found.setdefault("form_id", form_id.group(1))
        if version:  # another version's form is read, and warned about (extract)
            found.setdefault("schema_id", model.id_for(version.group(1)))
        child = _CHILD_ID.search(line)
        if subtitle or not child:
            continue
        subtitle = True
        found.setdefault("child_id", child.group(1))
        term = _TERM.search(line)
        if term:
            found.setdefault("term", f"{term.group(2)}-{term.group(1).lower()}")
        phase_field = next(f for f in model.header if f.name == "phase")
        for value, label in sorted(phase_field.choices, key=lambda c: -len(c[1])):
            if label_key(label) in label_key(line):
                found.setdefault("phase", value)
                break
    footer = _part_text(package, r"word/footer\d*\.xml")
    form_id = PRINTED_FORM_ID.search(footer)
    if form_id:
        found.setdefault("form_id", form_id.group(1))
    if "authority" not in found:
        header = label_key(_part_text(package, r"word/header\d*\.xml") + " " + footer)
        profiles = list(all_profiles())
        named = [p.slug for p in profiles if label_key(p.name) in header]
        if not named:  # no header: the label cells' shading is the authority's own colour
            fills = {str(f).upper() for f in _FILLS(body)}
            named = [
                p.slug for p in profiles if p.colours["secondary"].lstrip("#").upper() in fills
            ]
        if len(named) == 1:
            found["authority"] = named[0]
    return found


# -- matching ----------------------------------------------------------------------------------


@dataclass
class _Matcher:
    layout: Layout
    model: PepModel
    assembler: Assembler
    child_id: str
    heading: str = ""
    title: str = "the start of the form"
    cursor: int = 0
    used: set[int] = field(default_factory=set)
    matched: int = 0
    plain_rows_only: bool = False
    consumed: set[etree._Element] = field(default_factory=set)
    _fields: dict[str, Field | None] = field(default_factory=dict)
    texts: dict[etree._Element, str] | None = None  # paragraph_texts, when most are read

    # -- where -------------------------------------------------------------------------------

    def read_document(self, body: etree._Element) -> None:
        """Every table and paragraph of the document, in order."""
        for block in blocks(body):
            if block.tag == TBL:
                self.table(block)
            else:
                self.paragraph(block)

    def where(self, row: int | None = None) -> str:
        at = f"the table under '{self.title}'" if row is not None else f"after '{self.title}'"
        return f"{at}, row {row + 1}" if row is not None else at

    def unmapped(self, text: str, where: str) -> None:
        text = text.strip()
        if text and not self.is_printed(text):
            self.assembler.unmapped.append(Unmapped(text, where))

    def is_printed(self, text: str) -> bool:
        return self.layout.is_printed(text, self.child_id) or label_key(text) in _placeholders(
            self.model
        )

    # -- blocks ------------------------------------------------------------------------------

    def paragraph(self, p: etree._Element) -> None:
        if self.plain_rows_only and p not in self.texts:
            return  # no text outside the boxes, so no heading (nor anything else to read)
        text = text_of(p, self.texts)
        key = label_key(text)
        if key in self.layout.headings:
            self.heading, self.title = key, text.strip()
        elif not self.plain_rows_only:
            self.unmapped(text, self.where())

    def table(self, tbl: etree._Element) -> None:
        trs = rows(tbl)
        if not trs:
            return
        first = [label_key(text_of(tc, self.texts)) for tc in cells(trs[0])]
        card = _CARD.match(first[0]) if len(first) == 1 else None
        if card and card.group(1) in self.layout.card_words:
            blank = self.best("cards", set(), word=card.group(1))
            if blank is not None and not self.plain_rows_only:
                self.fields(_grid(trs[1:], self.texts), blank, index=int(card.group(2)) - 1)
                return
        if len(first) > 1:
            blank = self.best("rows", set(first))
            if blank is not None:
                self.records(trs, first, blank)
                return
        if self.plain_rows_only:
            return
        grid = _grid(trs, self.texts)
        labels = {label_key(row[0]) for row in grid if row}
        blank = self.best("fields", labels)
        if blank is None:
            for n, row in enumerate(grid):
                self.unmapped(_row_text(row), self.where(n))
            return
        self.fields(grid, blank)

    def best(self, kind: str, labels: set[str], word: str = "") -> BlankTable | None:
        """The blank form's table this one is: same kind, most labels in common, the heading
        printed before it, not yet used, and the nearest after the last one matched."""
        scored = []
        for i, blank in enumerate(self.layout.tables):
            if blank.kind != kind or (word and blank.word != word):
                continue
            keys = blank.keys
            overlap = len(labels & keys) if kind != "cards" else 1
            if overlap == 0 or (kind == "rows" and overlap < max(1, len(keys) // 2)):
                continue
            distance = i - self.cursor if i >= self.cursor else 1000 + self.cursor - i
            scored.append(
                ((overlap, blank.heading == self.heading, i not in self.used, -distance), i)
            )
        if not scored:
            return None
        _, i = max(scored)
        self.used.add(i)
        self.cursor = i + 1
        self.matched += 1
        return self.layout.tables[i]

    # -- reading -----------------------------------------------------------------------------

    def field(self, pattern: str) -> Field | None:
        try:
            return self._fields[pattern]
        except KeyError:
            f = self.model.node(pattern) if self.model.has(pattern) else None
            self._fields[pattern] = f if isinstance(f, Field) else None
            return self._fields[pattern]

    def read(self, pattern: str, index: int, cell_text: str, where: str) -> None:
        f = self.field(pattern)
        if f is None:
            self.unmapped(cell_text, where)
            return
        raw = _answer(f, cell_text)
        if raw is None:
            return
        pointer = pattern.replace("*", str(index), 1)
        if raw.strip():
            self.assembler.add(Reading(pointer, raw, "layout", where=where))

    def fields(self, grid: list[list[str]], blank: BlankTable, index: int = 0) -> None:
        pending = None
        for n, row in enumerate(grid):
            if not row:
                continue
            if pending is not None and len(row) == 1:
                self.read(pending, index, row[0], self.where(n))
                pending = None
                continue
            pending = None
            slot = blank.labels.get(label_key(row[0]))
            if slot is None:
                self.unmapped(_row_text(row), self.where(n))
                continue
            if slot.below:
                pending = slot.pointer
                extra = row[1:]
            else:
                self.read(slot.pointer, index, row[1] if len(row) > 1 else "", self.where(n))
                extra = row[2:]
            for text in extra:
                self.unmapped(text, self.where(n))

    def records(self, trs: list[etree._Element], header: list[str], blank: BlankTable) -> None:
        """`header`: the label keys of the first row's cells."""
        columns = dict(blank.columns)
        patterns = [columns.get(h) for h in header]
        for n, tr in enumerate(trs[1:]):
            if self.plain_rows_only and next(tr.iter(SDT), None) is not None:
                continue
            where = self.where(n + 1)
            found = []
            for position, tc in enumerate(cells(tr)):
                pattern = patterns[position] if position < len(patterns) else None
                text = text_of(tc, self.texts)
                if pattern is None:
                    self.unmapped(text, where)
                else:
                    found.append((pattern, text))
            if any(self._answered(pattern, text) for pattern, text in found):
                for pattern, text in found:  # an empty row is no record
                    self.read(pattern, n, text, where)
            if self.plain_rows_only:
                self.consumed.update(tr.iter(f"{{{W}}}p"))

    def _answered(self, pattern: str, text: str) -> bool:
        f = self.field(pattern)
        return f is not None and bool(_answer(f, text))


def _grid(trs: list[etree._Element], texts: dict[etree._Element, str] | None) -> list[list[str]]:
    return [[text_of(tc, texts) for tc in cells(tr)] for tr in trs]


def _row_text(row: list[str]) -> str:
    return " | ".join(t for t in (text.strip() for text in row) if t)


_PLACEHOLDERS: dict[str, str] = {}


def _placeholder(f: Field) -> str:
    try:
        return _PLACEHOLDERS[f.pointer]
    except KeyError:
        return _PLACEHOLDERS.setdefault(f.pointer, placeholder(f))


@cache
def _placeholders(model: PepModel) -> frozenset[str]:
    return frozenset(label_key(placeholder(f)) for f in model.fields())


def _answer(f: Field, text: str) -> str | None:
    """What a cell holds for a field: None for its placeholder left as printed."""
    shown = _placeholder(f)
    stripped = text.strip()
    if not stripped:
        return ""
    if stripped == shown or label_key(stripped) == label_key(shown):
        return None
    if stripped.startswith(shown):  # typed after the guidance, which did not go away
        stripped = stripped[len(shown) :].strip()
    return stripped


def read_by_layout(
    body: etree._Element, layout: Layout, assembler: Assembler, child_id: str = ""
) -> int:
    """Feed every answer found by label and position to the assembler; tables matched."""
    matcher = _Matcher(layout, assembler.model, assembler, child_id)
    matcher.texts = paragraph_texts(body)
    matcher.read_document(body)
    return matcher.matched


def read_added_rows(
    body: etree._Element,
    layout: Layout,
    assembler: Assembler,
    texts: dict[etree._Element, str],
) -> set[etree._Element]:
    """Rows a school added to a form that still has its controls (Word's Tab in the last cell
    makes a row with none): read by position. The paragraphs read, to leave out of unmapped.

    `texts`: each paragraph's text outside the controls (`BodyScan.texts`), which is all the
    text of the labels, headings and rows without controls this reads."""
    matcher = _Matcher(layout, assembler.model, assembler, "", plain_rows_only=True, texts=texts)
    matcher.read_document(body)
    return matcher.consumed


def layout_of(identity: dict[str, str]) -> Layout | None:
    if identity.get("authority") and identity.get("phase"):
        return layout_for(identity["authority"], identity["phase"])
    return None
