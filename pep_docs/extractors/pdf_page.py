"""The text of a flattened PDF's pages with positions.

pdfium (pypdfium2) finds the text segments of a page -- runs of characters on one line, split
where a gap is wide -- and their rectangles (`FPDFText_CountRects` / `GetRect` /
`GetBoundedText`): a label, a line of a value, a table cell's line are each one segment. That is
all a layout reader needs, and it costs a few milliseconds a page (pdfplumber's `extract_words`
costs ten times more).

Coordinates are PDF points, origin bottom left, as the renderer (`pep_docs.render.pdf_layout`)
places them.

A flattened copy can still carry sticky notes and comments (a note does not print, so it is not
in the page text): pdfium lists each page's annotations too, and their text is kept as notes
(`pdf_notes`), with the same bounds as the fillable form's.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pep_docs.extractors.pdf_objects import NOT_NOTES, Annotation, NoteBudget

# pdfium's annotation subtypes by the PDF name (FPDF_ANNOT_FREETEXT is /FreeText).
_SUBTYPES = {
    value: name
    for name in (
        "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine",
        "/Highlight", "/Underline", "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink",
        "/Popup", "/FileAttachment", "/Sound", "/Widget", "/XFAWidget", "/Redact",
    )
    if isinstance(value := getattr(pdfium_c, f"FPDF_ANNOT_{name[1:].upper()}", None), int)
}  # fmt: skip
# The longest text of a note read (bytes of UTF-16; pdfium gives a string whole or not at all):
# a longer one is passed over, and the warning that notes were cut says so.
_MAX_TEXT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Segment:
    """A run of text on one line of a page."""

    page: int
    x0: float
    y0: float  # bottom
    x1: float
    y1: float  # top
    text: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def where(self) -> str:
        return f"page {self.page + 1}, x {self.x0:.0f}, y {self.y1:.0f}"


@dataclass
class PageText:
    index: int
    width: float
    height: float
    segments: list[Segment]
    notes: list[Annotation] = field(default_factory=list)
    notes_cut: bool = False  # a bound stopped the reading of the notes on or before this page


_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\x00", "")).strip()


def read_pages(data: bytes) -> list[PageText]:
    """Every page's text segments in reading order (top to bottom, then left to right)."""
    document = pdfium.PdfDocument(data)
    budget = NoteBudget()
    try:
        return [_page(document, i, budget) for i in range(len(document))]
    finally:
        document.close()


def _page(document: pdfium.PdfDocument, index: int, budget: NoteBudget) -> PageText:
    page = document[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            segments = _segments(textpage, index)
        finally:
            textpage.close()
        segments.sort(key=lambda s: (-round(s.y1), s.x0))
        notes, cut = _notes(page, index, budget)
        return PageText(index, width, height, segments, notes, cut)
    finally:
        page.close()


def _segments(textpage: pdfium.PdfTextPage, index: int) -> list[Segment]:
    """Runs of characters on one line, split at line ends and at gaps wider than two spaces."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    text = textpage.get_text_range(0, count) if count > 0 else ""
    if len(text) != count:  # characters outside the Basic Multilingual Plane: one at a time
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, k) or 32) for k in range(count))
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    refs = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    get_box = pdfium_c.FPDFText_GetCharBox
    out: list[Segment] = []
    chars: list[str] = []
    x0 = y0 = x1 = y1 = 0.0
    height = 0.0

    def flush() -> None:
        cleaned = clean("".join(chars))
        if cleaned:
            out.append(Segment(index, x0, y0, x1, y1, cleaned))
        chars.clear()

    for k in range(count):
        ch = text[k]
        if ch in "\r\n":
            flush()
            continue
        get_box(raw, k, *refs)
        cl, cr, cb, ct = left.value, right.value, bottom.value, top.value
        if cr <= cl and ct <= cb:  # a space pdfium generated, or a glyph with no extent
            if chars:
                chars.append(" ")
            continue
        if chars:
            same_line = cb < y1 and ct > y0 and abs((cb + ct) / 2 - (y0 + y1) / 2) < max(height, 3)
            if not same_line or cl - x1 > max(0.8 * height, 2.5) or cl < x0 - 1:
                flush()
        if not chars:
            x0, y0, x1, y1, height = cl, cb, cr, ct, ct - cb
        else:
            x1, y0, y1 = max(x1, cr), min(y0, cb), max(y1, ct)
            height = max(height, ct - cb)
        chars.append(ch)
    flush()
    return out


def _notes(page: pdfium.PdfPage, index: int, budget: NoteBudget) -> tuple[list[Annotation], bool]:
    """The annotations of a page with a person's text (not fields, links or popups), and
    whether a bound stopped the reading (or a note was too long to read)."""
    raw = page.raw
    notes: list[Annotation] = []
    cut = False
    for k in range(pdfium_c.FPDFPage_GetAnnotCount(raw)):
        annot = pdfium_c.FPDFPage_GetAnnot(raw, k)
        if not annot:
            continue
        try:
            subtype = _SUBTYPES.get(pdfium_c.FPDFAnnot_GetSubtype(annot), "/Unknown")
            if subtype == "/Widget":  # a field: passed over, as by the other readers
                continue
            if not budget.look():
                return notes, True
            note = _note(annot, index, subtype)
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
        if note is None:
            continue
        if not (note.contents or note.rich):  # too long to read
            cut = True
            continue
        if not budget.keep():
            return notes, True
        notes.append(note)
    return notes, cut


def _note(annot: object, index: int, subtype: str) -> Annotation | None:
    """The note an annotation is, or None: not a note, or no text. A note too long to read
    comes back without its text."""
    if subtype in NOT_NOTES or subtype == "/XFAWidget":
        return None
    contents = _string(annot, b"Contents")
    rich = _string(annot, b"RC") if contents == "" else None
    if contents is None or (contents == "" and rich is None):
        return Annotation(index, subtype, None, None, None)
    if not contents and not rich:
        return None
    author = _string(annot, b"T") or None
    return Annotation(index, subtype, _rect(annot), contents or None, rich, author)


def _string(annot: object, key: bytes) -> str | None:
    """An annotation's text string ("" when it has none; None when it is too long to read)."""
    size = pdfium_c.FPDFAnnot_GetStringValue(annot, key, None, 0)
    if size <= 2:  # pdfium counts the terminating NUL
        return ""
    if size > _MAX_TEXT_BYTES:
        return None
    buffer = ctypes.create_string_buffer(size)
    out = ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR))
    pdfium_c.FPDFAnnot_GetStringValue(annot, key, out, size)
    return buffer.raw[: size - 2].decode("utf-16-le", "replace")


def _rect(annot: object) -> tuple[float, float, float, float] | None:
    box = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDFAnnot_GetRect(annot, ctypes.byref(box)):
        return None
    x0, x1 = sorted((box.left, box.right))
    y0, y1 = sorted((box.bottom, box.top))
    return x0, y0, x1, y1
