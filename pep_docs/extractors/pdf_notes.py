"""Text a person added to a PDF with a reader's comment tools, kept as unread text.

A sticky note (`/Text`), a typed text box (`/FreeText`, Acrobat's "Add text" too) or a comment
on a highlight, a drawn box, a stamp... (any annotation with `/Contents`) belongs to no field,
so it goes to `unmapped`, saying what it is, on which page and beside which field (the box it
is on or near, `_nearest`), and the extraction carries one warning so an officer sees it. Form
fields, links and popups (which show their parent's text) are not notes.

The small object reader (`pdf_objects.read_form`) collects the notes of plain fillable files,
with the widgets of their fields; `collect` does the same with pypdf for the rest; a flattened
copy's notes come from pdfium (`pdf_page`), and the boxes they are placed among from the page
layout (`pdf_printed.note_places`, `pdf_word`: a flattened copy has no widgets, but its boxes
are where the form prints them). All three are bounded alike
(`pdf_objects.NoteBudget`: `MAX_NOTES`, `MAX_ANNOTATIONS`), and so is the text kept of each
note (`MAX_NOTE_CHARS`). Rich text (`/RC`, XHTML) is read only when
`/Contents` is missing, with lxml, no network, no entities, and at most `MAX_RICH_CHARS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import partial

from lxml import etree
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from pep_docs.extractors.pdf_objects import (
    MAX_ANNOTATIONS,
    MAX_DEPTH,
    MAX_NOTES,
    NOT_NOTES,
    Annotation,
    Annotations,
    Place,
    Rect,
    rect,
    text,
)
from pep_docs.extractors.result import Assembler, Reading, Unmapped
from pep_docs.schema import Field, PepModel

MAX_NOTE_CHARS = 2_000
MAX_RICH_CHARS = 64 * 1024
MAX_AUTHOR_CHARS = 60
# A note farther than this from every box on its page (half an inch, about three lines of the
# form's text: a page's margin or its header) is beside none of them and is placed by its page.
NEAR = 36.0

# What a person calls each kind of annotation (a kind not listed is "a comment").
KINDS = {
    "/Text": "a sticky note",
    "/FreeText": "text added",
    "/Highlight": "a comment on highlighted text",
    "/Underline": "a comment on underlined text",
    "/StrikeOut": "a comment on crossed-out text",
    "/Squiggly": "a comment on squiggly-underlined text",
    "/Square": "a comment on a drawn box",
    "/Circle": "a comment on a drawn circle",
    "/Line": "a comment on a drawn line",
    "/Polygon": "a comment on a drawn shape",
    "/PolyLine": "a comment on drawn lines",
    "/Ink": "a comment on a drawing",
    "/Stamp": "a comment on a stamp",
    "/Caret": "a comment on an insertion mark",
    "/FileAttachment": "a comment on an attached file",
    "/Sound": "a comment on a sound",
}

_RICH_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    recover=True,  # a reader's XHTML is not always well formed, nor whole once cut
)
# The prolog (an XML declaration, a document type) goes: the rest is wrapped in one element.
_PROLOG = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE(?:[^\[>]|\[[^\]]*\])*>)?")
_BLOCKS = frozenset({"p", "div", "br", "li"})
_NEWLINES = re.compile(r"\r\n?")
# White space in XHTML is a space as a reader shows it; only paragraphs and breaks end lines.
_SPACES = re.compile(r"[ \t\r\n]+")


def add_notes(assembler: Assembler, found: Annotations) -> None:
    """Each note as unread text, with where a person would look; one warning for them all.

    Text typed with a reader's text tool inside the box of a question left unanswered (a
    school that did not find the boxes, or used "Fill & Sign") is that question's answer: it
    is read so, by its place, and warned about."""
    notes = []
    for note in found.notes:
        place = _box_typed_in(note, found.places, assembler)
        words = _words(note)
        if place is None or not words:
            notes.append(note)
            continue
        page = f"page {note.page + 1}"
        assembler.add(Reading(place.name, words, "layout", where=f"text typed on {page}"))
        assembler.warn(
            place.name,
            f"was typed over its box on {page} with a PDF reader's text tool, not into the "
            "box: read from there, check it",
        )
    unmapped, messages = notes_read(
        Annotations(notes, found.places, found.cut), assembler.model, assembler.titles
    )
    assembler.unmapped.extend(unmapped)
    for message in messages:
        assembler.warn(None, message)


def _box_typed_in(note: Annotation, places: list[Place], assembler: Assembler) -> Place | None:
    """The unanswered field of ours whose box holds the centre of a typed text box."""
    if note.subtype != "/FreeText" or note.rect is None:
        return None
    x = (note.rect[0] + note.rect[2]) / 2
    y = (note.rect[1] + note.rect[3]) / 2
    for place in places:
        x0, y0, x1, y1 = place.rect
        if (
            place.page == note.page
            and x0 <= x <= x1
            and y0 <= y <= y1
            and place.name not in assembler.fields
            and isinstance(assembler.model.get(place.name), Field)
        ):
            return place
    return None


def notes_read(
    found: Annotations, model: PepModel, titles: Mapping[str, str]
) -> tuple[list[Unmapped], list[str]]:
    """The notes as unread text (beside the nearest field of ours, if the file has fields) and
    the warnings: how many there are, and whether a bound cut them short."""
    places = [p for p in found.places if model.has(p.name) and _area(p.rect) > 0]
    unmapped: list[Unmapped] = []
    shortened = False
    for note in found.notes:
        words = _words(note)
        if not words:
            continue
        if len(words) > MAX_NOTE_CHARS:
            words, shortened = words[: MAX_NOTE_CHARS - 1] + "…", True
        unmapped.append(Unmapped(words, _where(note, places, model, titles)))
    messages = [_summary(len(unmapped))] if unmapped else []
    if found.cut:
        messages.append(
            f"this form has more comments or notes than are read ({MAX_NOTES} notes, "
            f"{MAX_ANNOTATIONS} annotations in all): the rest were not read; open the PDF to "
            "see them"
        )
    if shortened:
        messages.append(
            f"a comment or note longer than {MAX_NOTE_CHARS} characters was cut short; "
            "open the PDF to read it whole"
        )
    return unmapped, messages


def _summary(count: int) -> str:
    if count == 1:
        return (
            "this form has 1 comment or note added in a PDF reader: it is listed as unread "
            "text; check it"
        )
    return (
        f"this form has {count} comments or notes added in a PDF reader: they are listed as "
        "unread text; check them"
    )


def _words(note: Annotation) -> str:
    """The note's text, tidied: /Contents, or the text of /RC when there is no /Contents."""
    raw = note.contents if note.contents is not None else rich_text(note.rich or "")
    lines = _NEWLINES.sub("\n", raw.replace("\x00", "")).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def rich_text(xhtml: str) -> str:
    """The words of rich text (XHTML), a line for each paragraph; tags and styles dropped."""
    body = _PROLOG.sub("", xhtml[:MAX_RICH_CHARS], count=1)
    if "<" not in body:
        return body  # plain text where rich text was expected: its words are the text
    try:
        # Wrapped, so that several paragraphs without a body are one document.
        root = etree.fromstring(f"<rc>{body}</rc>".encode(), _RICH_PARSER)
    except etree.XMLSyntaxError:
        return ""
    if root is None:
        return ""
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        is_element = isinstance(element.tag, str)  # not a comment or processing instruction
        if event == "start":
            if is_element and etree.QName(element).localname in _BLOCKS and parts:
                parts.append("\n")
            if is_element and element.text:
                parts.append(_SPACES.sub(" ", element.text))
        elif element.tail and element is not root:
            parts.append(_SPACES.sub(" ", element.tail))
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _where(
    note: Annotation, places: list[Place], model: PepModel, titles: Mapping[str, str]
) -> str:
    kind = KINDS.get(note.subtype, "a comment")
    author = " ".join((note.author or "").split())[:MAX_AUTHOR_CHARS]
    by = f" by {author}" if author else ""
    said = f"{kind}{by} on page {note.page + 1}"
    place = _nearest(note, places)
    if place is None:
        return said
    label = model.describe(place.name, titles)
    return f"{said}, {'beside' if note.subtype == '/Text' else 'near'} {label}"


def _nearest(note: Annotation, places: list[Place]) -> Place | None:
    """The field a note is on: the box on its page that holds the note's centre, else the box
    nearest it (the gap between the rectangles, then the distance between their centres), if
    that one is within `NEAR`; None when no box is near.

    A person puts a sticky note or a text box on what it is about, or beside it in the margin:
    the box under its centre first, whatever larger box it also touches. A note on a question's
    label is nearer its own box (just below the label) than the one above. The same rule places
    a note among a fillable form's widgets and among a flattened copy's printed boxes
    (`pdf_printed.note_places`), so both name the same field."""
    spot = note.rect
    if spot is None:
        return None
    x, y = (spot[0] + spot[2]) / 2, (spot[1] + spot[3]) / 2
    here = [p for p in places if p.page == note.page]

    def key(place: Place) -> tuple[bool, float, float]:
        x0, y0, x1, y1 = place.rect
        return (not (x0 <= x <= x1 and y0 <= y <= y1), *_distance(spot, place.rect))

    best = min(here, key=key, default=None)
    if best is None or _distance(spot, best.rect)[0] > NEAR:
        return None
    return best


def _distance(a: Rect, b: Rect) -> tuple[float, float]:
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    centres = math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)
    return math.hypot(dx, dy), centres


def _area(r: Rect) -> float:
    return (r[2] - r[0]) * (r[3] - r[1])


# -- the same with pypdf, for the files the small reader leaves to it --------------------------


def collect(reader: PdfReader) -> Annotations:
    """The notes on every page of a file pypdf reads, and where the fields' widgets are."""
    found = Annotations([], [])
    widgets: list[tuple[int, DictionaryObject]] = []
    for index, page in enumerate(reader.pages):
        annots = _resolved(page.get("/Annots"))
        for ref in annots if isinstance(annots, ArrayObject) else []:
            annot = _resolved(ref)
            if not isinstance(annot, DictionaryObject):
                continue
            subtype = _resolved(annot.get("/Subtype"))
            if subtype == "/Widget":
                widgets.append((index, annot))
                continue
            if not found.take(partial(_pypdf_note, index, annot, subtype)):
                break
        if found.cut:
            break
    if found.notes:
        for index, widget in widgets:
            name, where = _qualified_name(widget), rect(_floats(widget.get("/Rect")))
            if name and where is not None:
                found.places.append(Place(index, name, where))
    return found


def _pypdf_note(page: int, annot: DictionaryObject, subtype: object) -> Annotation | None:
    if not isinstance(subtype, str) or subtype in NOT_NOTES:
        return None
    contents = _string(annot.get("/Contents"))
    rich = _string(annot.get("/RC")) if contents is None else None
    if contents is None and rich is None:
        return None
    where, author = rect(_floats(annot.get("/Rect"))), _string(annot.get("/T"))
    return Annotation(page, str(subtype), where, contents, rich, author)


def _string(value: object) -> str | None:
    """A text string as str; rich text in a stream, inflated (the file passed the bomb checks)
    and cut to what is read of it."""
    value = _resolved(value)
    if isinstance(value, StreamObject):
        return text(value.get_data()[: MAX_RICH_CHARS * 4])
    if isinstance(value, bytes):  # a string pypdf could not decode: decoded as the small reader
        return text(bytes(value))
    return str(value) if isinstance(value, str) and not isinstance(value, NameObject) else None


def _qualified_name(widget: DictionaryObject) -> str | None:
    """A widget's field name: its /T and its parents', joined by dots (bounded)."""
    parts: list[str] = []
    node: object = widget
    for _ in range(MAX_DEPTH):
        if not isinstance(node, DictionaryObject):
            break
        part = _resolved(node.get("/T"))
        if isinstance(part, str):
            parts.append(str(part))
        node = _resolved(node.get("/Parent"))
    return ".".join(reversed(parts)) or None


def _floats(value: object) -> object:
    value = _resolved(value)
    if not isinstance(value, ArrayObject):
        return None
    numbers = [_resolved(v) for v in value]
    return [float(v) if isinstance(v, int | float) else v for v in numbers]


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value
