"""The layout of a blank form, learned from the form pep-docs itself renders (returns path 3).

Nothing here lists fields. The blank form of an authority, phase and term is rendered once (for
a stand-in child) and walked: every answer control's `w:tag` names its pointer, so each table is
learned as one of

- `fields`: label | answer rows (a paragraph answer sits in the full-width row under its label);
- `rows`: a header row of column labels, then one row per record (`/meeting/attendees/*/name`);
- `cards`: one small table per record, headed "<Word> <n>" ("Target 1"), then label | answer.

with the heading printed before it (a section's or group's title), since labels such as "Name"
repeat from table to table. The printed text outside the boxes (headings, guidance, labels) is
kept too: a returned form's text that is not in it was typed by someone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache

from lxml import etree

from pep_docs.extractors.docx_text import (
    SDT,
    blocks,
    cells,
    label_key,
    rows,
    style_of,
    text_of,
)
from pep_docs.extractors.safety import SafeZip
from pep_docs.forms import NO_NAME, PRINTED_FORM_ID
from pep_docs.schema import pattern_pointer

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TAG = f"{{{W}}}tag"
SDT_PR = f"{{{W}}}sdtPr"
GROUP = f"{{{W}}}group"
VAL = f"{{{W}}}val"
# The blank form is made for a stand-in child, whose ID the return's own ID is swapped for.
STAND_IN_ID = "CHILD0"
_CARD = re.compile(r"^(.+) (\d+)$")


@dataclass(frozen=True)
class Slot:
    """Where one field's answer sits in a `fields` or `cards` table."""

    pointer: str  # a pattern pointer (`*` for the record index) in a card
    below: bool  # the answer is in the full-width row under the label


@dataclass
class BlankTable:
    kind: str  # fields | rows | cards
    heading: str  # label_key of the heading printed before it
    title: str  # that heading as printed
    labels: dict[str, Slot] = field(default_factory=dict)  # fields, cards
    columns: tuple[tuple[str, str], ...] = ()  # rows: (label_key of header, pattern pointer)
    table: str = ""  # rows, cards: the table's pointer
    word: str = ""  # cards: label_key of "Target"

    @cached_property
    def keys(self) -> frozenset[str]:
        """The labels a returned table is matched by: its column headers, or its row labels.

        (Asked of every blank table for every returned table: computed once per blank form.)"""
        if self.kind == "rows":
            return frozenset(c[0] for c in self.columns)
        return frozenset(self.labels)


@dataclass
class Layout:
    tables: list[BlankTable]
    headings: frozenset[str]  # label_key of every heading paragraph
    static: frozenset[str]  # printed_key of all printed text outside the boxes
    card_words: frozenset[str]
    subtitle: str  # the blank's subtitle line, as printed
    margins: frozenset[str] = frozenset()  # printed_key of the page header's and footer's lines

    def is_printed(self, text: str, child_id: str = "") -> bool:
        """Whether a blank form of this kind prints this text (a label, guidance, a heading)."""
        return printed_key(text, child_id) in self.static

    def in_margins(self, text: str, child_id: str = "", child_name: str = "") -> bool:
        """Whether a blank form prints this line in its page header or footer. The footer names
        the child, whom the blank form has no name for.

        The footer was printed with the name the form was sent with; a school that corrects
        the name in its box leaves the footer as it was. So a line that differs from one of the
        blank's only in the field where the name is printed (a whole field of the footer's
        `name | Form id | marking` line) is printed too."""
        if child_name:
            text = text.replace(child_name, NO_NAME)
        key = printed_key(text, child_id)
        if key in self.margins:
            return True
        fields = key.split(" | ")
        for line in self.margins:
            blank = line.split(" | ")
            if len(blank) == len(fields) > 1 and _NO_NAME_KEY in blank:
                at = blank.index(_NO_NAME_KEY)
                if fields[:at] + fields[at + 1 :] == blank[:at] + blank[at + 1 :]:
                    return 0 < len(fields[at]) <= _NAME_MAX
        return False


# The subtitle names the term ("Autumn term 2026"); the layout is learned once for all terms.
_TERM_PHRASE = re.compile(r"\s*·?\s*\b(?:Autumn|Spring|Summer) term \d{4}\b", re.I)


_NAME_MAX = 120  # the longest name read as the footer's (a longer "name" was typed)
# How the footer's name field of a blank form reads as a key (as `printed_key` makes it).
_NO_NAME_KEY = " ".join(NO_NAME.split()).casefold()


def printed_key(text: str, child_id: str = "") -> str:
    """Text made comparable with what the blank form prints: the child's ID swapped for the
    stand-in's, the form id and the term left out, spaces collapsed, case folded, digits as #."""
    if child_id:
        text = text.replace(child_id, STAND_IN_ID)
    return _printed_key(text)


@lru_cache(maxsize=1 << 14)  # a form's labels, guidance and headings come back in every return
def _printed_key(text: str) -> str:
    from pep_docs.extractors.docx_controls import _norm

    return _norm(_TERM_PHRASE.sub("", PRINTED_FORM_ID.sub("Form", text)))


def _tags(el: etree._Element) -> list[str]:
    out = []
    for sdt in el.iter(SDT):
        pr = sdt.find(SDT_PR)
        if pr is None or pr.find(GROUP) is not None:
            continue
        tag = pr.find(TAG)
        if tag is not None:
            out.append(tag.get(VAL, ""))
    return out


def learn(body: etree._Element, margins: Iterable[str] = ()) -> Layout:
    """The layout of a rendered blank form's body; `margins`: the lines of its page header and
    footer."""
    from pep_docs.extractors.docx_controls import static_texts

    tables: list[BlankTable] = []
    headings: set[str] = set()
    heading = title = ""
    subtitle = ""
    for block in blocks(body):
        if block.tag != f"{{{W}}}tbl":
            style = style_of(block)
            if style.startswith("Heading"):
                title = text_of(block).strip()
                heading = label_key(title)
                headings.add(heading)
            elif style == "Subtitle":
                subtitle = text_of(block)
            continue
        tables.append(_learn_table(block, heading, title))
    return Layout(
        tables=tables,
        headings=frozenset(headings),
        static=frozenset(printed_key(t) for t in static_texts(body)),
        card_words=frozenset(t.word for t in tables if t.kind == "cards"),
        subtitle=subtitle,
        margins=frozenset(printed_key(t) for t in margins),
    )


def _learn_table(tbl: etree._Element, heading: str, title: str) -> BlankTable:
    trs = rows(tbl)
    first = cells(trs[0])
    first_tags = _tags(trs[0])
    if len(first) == 1 and not first_tags and len(trs) > 1 and _CARD.match(text_of(first[0])):
        word = _CARD.match(text_of(first[0])).group(1)
        learned = _field_rows(trs[1:], heading, title, "cards")
        learned.word = label_key(word)
        some = next(iter(learned.labels.values())).pointer
        learned.table = some.rsplit("/*/", 1)[0]
        return learned
    if len(first) > 1 and not first_tags and len(trs) > 1 and _tags(trs[1]):
        columns = []
        for header, cell in zip(first, cells(trs[1]), strict=False):
            tags = _tags(cell)
            if tags:
                columns.append((label_key(text_of(header)), pattern_pointer(tags[0])))
        table = columns[0][1].rsplit("/*/", 1)[0]
        return BlankTable("rows", heading, title, columns=tuple(columns), table=table)
    return _field_rows(trs, heading, title, "fields")


def _field_rows(trs: list[etree._Element], heading: str, title: str, kind: str) -> BlankTable:
    learned = BlankTable(kind, heading, title)
    pending: str | None = None
    for tr in trs:
        tcs = cells(tr)
        tags = _tags(tr)
        if len(tcs) == 1 and not tags:
            pending = label_key(text_of(tcs[0]))
        elif len(tcs) == 1 and tags and pending is not None:
            learned.labels[pending] = Slot(pattern_pointer(tags[0]), below=True)
            pending = None
        elif len(tcs) >= 2 and tags:
            learned.labels[label_key(text_of(tcs[0]))] = Slot(pattern_pointer(tags[0]), False)
    return learned


def blank_form(authority: str, phase: str) -> SafeZip:
    """A blank form of this kind, rendered for the stand-in child (for no term: the layout is
    the same for every term)."""
    from pep_docs.forms import prepare
    from pep_docs.render.docx import render_docx

    spec = prepare(data={"authority": authority, "phase": phase, "child_id": STAND_IN_ID})
    return SafeZip(render_docx(spec), "blank form")


@cache
def layout_for(authority: str, phase: str) -> Layout:
    """The layout of an authority's form for a phase (learned once; the same for every term)."""
    from pep_docs.extractors.docx_notes import margin_lines, related_parts

    blank = blank_form(authority, phase)
    parts = related_parts(blank)
    lines = [line for kind in ("header", "footer") for line in margin_lines(blank, parts[kind])]
    return learn(blank.xml("word/document.xml"), lines)
