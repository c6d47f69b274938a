"""What a person adds to a Word form besides its answers, and the body as Word shows it.

A designated teacher does more than type into boxes: Word comments ("see the attached report"),
footnotes and endnotes, a line typed into the page header or footer, a text box. None of it
belongs to a field, and all of it must reach the officer: each becomes `unmapped` text saying
where it was (a comment names the question it is on). A picture pasted in (a screenshot of the
school's tracker) cannot be read at all: each gets a warning at the question it is in.

Two things in the body would otherwise be read wrongly:

- tracked changes not yet accepted: text moved away (`w:moveFrom`) is still `w:t` text, so
  it would be read twice, and deleted text is not an answer. The form is read as if every
  change were accepted, with a warning, since the school may not have meant to leave them;
- a text box is written twice (`mc:AlternateContent`: a drawing for Word 2010 and later, and a
  VML copy in `mc:Fallback` for older readers), so its text would be read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lxml import etree

from pep_docs.extractors.docx_controls import Control, pointer_of
from pep_docs.extractors.docx_text import (
    PICTURES,
    SDT,
    TC,
    TR,
    P,
    by_tag,
    cells,
    paragraph_texts,
    text_of,
)
from pep_docs.extractors.result import MAX_NOTES, Unmapped
from pep_docs.extractors.safety import SafeZip
from pep_docs.render.docx_package import rels_name, resolve_target
from pep_docs.schema import PepModel

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_FALLBACK = f"{{{MC}}}Fallback"
_INS, _DEL, _MOVE_FROM, _MOVE_TO = (f"{{{W}}}{t}" for t in ("ins", "del", "moveFrom", "moveTo"))
_SDT_PR, _GROUP = f"{{{W}}}sdtPr", f"{{{W}}}group"
_ID, _TYPE, _AUTHOR = f"{{{W}}}id", f"{{{W}}}type", f"{{{W}}}author"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Relationship types by their last segment: the same in transitional and strict documents.
KINDS = ("comments", "footnotes", "endnotes", "header", "footer")
# What is pasted that is not text, by the element that holds it (a text box is a drawing too,
# but its text is read; a VML copy inside mc:Fallback is gone before this is asked).
# Footnotes Word always writes (the separator lines), which nobody typed.
_SEPARATORS = frozenset({"separator", "continuationSeparator", "continuationNotice"})
# Per notes part: a note's element, the mark where the text it is on starts, the mark of its
# reference, and what a person calls it.
_NOTES = {
    "comments": ("comment", "commentRangeStart", "commentReference", "a Word comment"),
    "footnotes": ("footnote", "footnoteReference", "footnoteReference", "a footnote"),
    "endnotes": ("endnote", "endnoteReference", "endnoteReference", "an endnote"),
}


def accept_changes(root: etree._Element) -> list[etree._Element]:
    """Make `root` what Word shows with every tracked change accepted and each text box once;
    where each tracked change was (the change, or what held it when it was removed), in order.

    Changes are counted as Word's list of revisions counts them (a move is two: from, to), and
    only those that hold content: Word also marks each inserted or deleted paragraph mark with
    an empty `w:ins` or `w:del`, which is no change of its own. (In a document that has none of
    these elements the walks cost nothing: lxml does not walk for a name the document's parser
    never met.)"""
    _remove(list(root.iter(_FALLBACK)))  # first: its copies are no changes of their own
    places, doomed = [], []
    for el in root.iter(_INS, _DEL, _MOVE_FROM, _MOVE_TO):
        if len(el):
            if el.tag == _DEL or el.tag == _MOVE_FROM:
                doomed.append(el)
                places.append(el.getparent())
            else:
                places.append(el)
    _remove(doomed)
    return [place for place in places if place is not None]


def _remove(elements: list[etree._Element]) -> None:
    for el in elements:
        parent = el.getparent()
        if parent is not None:  # not the root; or inside one removed already
            parent.remove(el)


def changes_warnings(
    places: list[etree._Element], anchors: Anchors
) -> list[tuple[str | None, str]]:
    """A warning per answer (or place) with tracked changes nobody accepted: the field or None,
    and the message."""
    counted: dict[tuple[str | None, str], int] = {}
    for place in places:
        key = anchors.place(place)
        counted[key] = counted.get(key, 0) + 1
    found = []
    for (pointer, near), n in counted.items():
        many = "a tracked change" if n == 1 else f"{n} tracked changes"
        read = f"read as if accepted (deleted text left out): check {'it' if n == 1 else 'them'}"
        if pointer:
            found.append((pointer, f"{many} nobody accepted: {read}"))
        else:
            at = f" near '{_short(near)}'" if near else ""
            found.append((None, f"this form has {many} nobody accepted{at}: {read}"))
    return found


def related_parts(package: SafeZip, main: str = "word/document.xml") -> dict[str, list[str]]:
    """The main part's comments, footnotes, endnotes, header and footer parts, by kind."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    name = rels_name(main)
    if name not in package.names:
        return found
    for rel in package.xml(name).iter(f"{{{_RELS}}}Relationship"):
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        target = rel.get("Target", "")
        if kind not in found or rel.get("TargetMode") == "External" or not target:
            continue
        part = resolve_target(main, target)
        if part in package.names:
            found[kind].append(part)
    # Each part once, in the order named (a list's `in` over many relationships is quadratic).
    return {kind: list(dict.fromkeys(names)) for kind, names in found.items()}


class Anchors:
    """Where in the form a note is: the question its mark is in or beside, in the form's words.

    `describe` names a field by its pointer (`Assembler.describe`)."""

    def __init__(self, body: etree._Element, model: PepModel, describe: Callable[[str], str]):
        self.body = body
        self.model = model
        self.describe = describe
        self._marks: dict[str, dict[str, etree._Element]] = {}

    def of(self, tag: str, note_id: str) -> str:
        """Where the note with this mark is (see `where`), or `''` when the mark is not found."""
        marks = self._marks.get(tag)
        if marks is None:
            marks = self._marks[tag] = {}
            for el in self.body.iter(f"{{{W}}}{tag}"):
                marks.setdefault(el.get(_ID, ""), el)
        el = marks.get(note_id)
        return self.where(el) if el is not None else ""

    def where(self, el: etree._Element) -> str:
        """`' on <question>'`, `" near '<printed text>'"`, or `''` (see `place`)."""
        pointer, near = self.place(el)
        if pointer:
            return f" on {self.describe(pointer)}"
        return f" near '{_short(near)}'" if near else ""

    def place(self, el: etree._Element) -> tuple[str | None, str]:
        """The field `el` is in or beside, or else the printed text near it: the answer box
        around it, else the one in its table cell, else in its row (beside a label), else the
        row's label."""
        for ancestor in el.iterancestors(SDT, TC, TR):
            if ancestor.tag == SDT:
                pointer = self._pointer(ancestor)
            else:
                pointer = next(filter(None, map(self._pointer, ancestor.iter(SDT))), None)
            if pointer:
                return pointer, ""
            if ancestor.tag == TR:
                label = _row_label(ancestor)
                if label:
                    return None, label
        paragraph = next(el.iterancestors(P), None)
        if paragraph is None:
            return None, ""
        # A paragraph of its own (a picture on a line between tables): the text before it.
        for block in (paragraph, *paragraph.itersiblings(P, preceding=True)):
            text = text_of(block).strip()
            if text:
                return None, text
        return None, ""

    def _pointer(self, sdt: etree._Element) -> str | None:
        pr = sdt.find(_SDT_PR)
        if pr is None or pr.find(_GROUP) is not None:
            return None
        pointer, _ = pointer_of(Control(sdt, by_tag(pr), None), self.model)
        return pointer


def pictures(pictured: Iterable[etree._Element], anchors: Anchors) -> list[tuple[str | None, str]]:
    """Each picture, chart or embedded object (`PICTURES`, in the body: a screenshot of a
    tracker, a pasted spreadsheet): the field it is in or beside (or None), and a message
    saying where it is.

    None of them is text, so none can be read; each is named so that a person looks at it."""
    found: list[tuple[str | None, str]] = []
    for el in pictured:
        if len(found) == MAX_NOTES:
            found.append(
                (
                    None,
                    f"this form has more than {MAX_NOTES} pictures, charts or "
                    "embedded objects: the rest are not listed; look at the form",
                )
            )
            break
        pointer, near = anchors.place(el)
        what = PICTURES[el.tag]
        if pointer:
            message = f"{what} was pasted here: it cannot be read, so look at it in the form"
        else:
            at = f" near '{_short(near)}'" if near else ""
            message = f"{what} was pasted in the form{at}: it cannot be read, so look at it there"
        found.append((pointer, message))
    return found


def notes(
    package: SafeZip, parts: dict[str, list[str]], anchors: Anchors
) -> tuple[list[Unmapped], bool]:
    """Every comment, footnote and endnote with text, and where it is in the form (at most
    `MAX_NOTES`); and whether there were more."""
    found = []
    for kind, (element, mark, reference, called) in _NOTES.items():
        for name in parts.get(kind, []):
            root = package.xml_if_any(name)
            if root is None:
                continue
            for note in root.iter(f"{{{W}}}{element}"):
                if note.get(_TYPE) in _SEPARATORS:
                    continue
                text = text_of(note).strip()
                if not text:
                    continue
                if len(found) == MAX_NOTES:
                    return found, True
                note_id = note.get(_ID, "")
                where = anchors.of(mark, note_id) or anchors.of(reference, note_id)
                author = _short(note.get(_AUTHOR, "").strip())
                by = f" by {author}" if author else ""
                found.append(Unmapped(text, f"{called}{by}{where}"))
    return found, False


def notes_warning(count: int, cut: bool = False) -> str:
    if cut:
        return (
            f"this form has more than {MAX_NOTES} comments or notes added in Word: the first "
            f"{MAX_NOTES} are listed as unread text, the rest were not read; open the form to "
            "read them"
        )
    if count == 1:
        return (
            "this form has 1 comment or note added in Word: it is listed as unread text; check it"
        )
    return (
        f"this form has {count} comments or notes added in Word: they are listed as unread "
        "text; check them"
    )


def margins(
    package: SafeZip, parts: dict[str, list[str]], is_printed: Callable[[str], bool]
) -> list[Unmapped]:
    """Lines in the page header or footer that a blank form of this kind does not print."""
    return [
        Unmapped(line, f"typed in the page {kind}")
        for kind in ("header", "footer")
        for line in margin_lines(package, parts.get(kind, []))
        if not is_printed(line)
    ]


def margin_lines(package: SafeZip, names: Iterable[str]) -> list[str]:
    """Each paragraph's text in these header or footer parts (the header is a table: each of
    its cells' paragraphs is one), as Word shows them."""
    lines = []
    for name in names:
        root = package.xml_if_any(name)
        if root is None:
            continue
        accept_changes(root)  # changes in the margins are read as accepted, and not counted
        lines.extend(text.strip() for text in paragraph_texts(root).values() if text.strip())
    return lines


def _row_label(tr: etree._Element) -> str:
    """A row's label: its first cell; for a row of one cell (a long answer printed under its
    label) the row above's."""
    row = cells(tr)
    if len(row) == 1:
        above = tr.getprevious()
        if above is not None and above.tag == TR and len(cells(above)) == 1:
            row = cells(above)
    return text_of(row[0]).strip() if row else ""


def _short(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
