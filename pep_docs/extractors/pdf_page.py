"""The text of a flattened PDF's pages with positions.

pdfium (pypdfium2) finds the text segments of a page -- runs of characters on one line, split
where a gap is wide -- and their rectangles (`FPDFText_CountRects` / `GetRect` /
`GetBoundedText`): a label, a line of a value, a table cell's line are each one segment. That is
all a layout reader needs, and it costs a few milliseconds a page (pdfplumber's `extract_words`
costs ten times more).

Coordinates are PDF points, origin bottom left, as the renderer (`pep_docs.render.pdf_layout`)
places them.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c


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


_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\x00", "")).strip()


def read_pages(data: bytes) -> list[PageText]:
    """Every page's text segments in reading order (top to bottom, then left to right)."""
    document = pdfium.PdfDocument(data)
    try:
        return [_page(document, i) for i in range(len(document))]
    finally:
        document.close()


def _page(document: pdfium.PdfDocument, index: int) -> PageText:
    page = document[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            segments = _segments(textpage, index)
        finally:
            textpage.close()
        segments.sort(key=lambda s: (-round(s.y1), s.x0))
        return PageText(index, width, height, segments)
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
