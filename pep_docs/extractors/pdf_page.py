"""The text of a flattened PDF's pages with positions, and the small marks drawn on them.

pdfium (pypdfium2) finds the text segments of a page -- runs of characters on one line, split
where a gap is wide -- and their rectangles (`FPDFText_CountRects` / `GetRect` /
`GetBoundedText`): a label, a line of a value, a table cell's line are each one segment. That is
all a layout reader needs, and it costs a few milliseconds a page (pdfplumber's `extract_words`
costs ten times more). Marks are the small drawings a tick box holds once a form is flattened:
a path (a print) or a form XObject with content (`qpdf --flatten-annotations`).

Coordinates are PDF points, origin bottom left, as the renderer (`pep_docs.render.pdf_layout`)
places them.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# A path smaller than this (points) is a drawing inside a tick box, not the box's frame.
MARK_MAX = 10.2


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


@dataclass(frozen=True)
class Mark:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class PageText:
    index: int
    width: float
    height: float
    segments: list[Segment]
    marks: list[Mark]


_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\x00", "")).strip()


def read_pages(data: bytes, marks: bool = True) -> list[PageText]:
    """Every page's text segments in reading order (top to bottom, then left to right)."""
    document = pdfium.PdfDocument(data)
    try:
        return [_page(document, i, marks) for i in range(len(document))]
    finally:
        document.close()


def _page(document: pdfium.PdfDocument, index: int, with_marks: bool) -> PageText:
    page = document[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            segments = _segments(textpage, index)
        finally:
            textpage.close()
        segments.sort(key=lambda s: (-round(s.y1), s.x0))
        found = _marks(page, index) if with_marks else []
        return PageText(index, width, height, segments, found)
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


def _marks(page: pdfium.PdfPage, index: int) -> list[Mark]:
    out = []
    raw = page.raw
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    refs = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, *refs):
            continue
        w, h = right.value - left.value, top.value - bottom.value
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            if (w < 1 and h < 1) or w > MARK_MAX + 4 or h > MARK_MAX + 4:
                continue
            # A box's frame is a rectangle (4 or 5 segments) as large as the box; a tick is
            # smaller, a polyline, or a glyph's outline (a curve of many segments).
            if (w > MARK_MAX or h > MARK_MAX) and pdfium_c.FPDFPath_CountSegments(obj) in (4, 5):
                continue
        elif w > MARK_MAX + 4 or h > MARK_MAX + 4 or not _draws(obj):
            continue
        out.append(Mark(index, left.value, bottom.value, right.value, top.value))
    return out


def _draws(form: object) -> bool:
    """Whether a form XObject draws anything (a check box's off state is empty)."""
    return pdfium_c.FPDFFormObj_CountObjects(form) > 0
