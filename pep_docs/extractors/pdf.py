"""Reading a returned PDF: fillable forms by their fields (path 4), flattened ones by their page
layout (path 5); scans recognised as such (path 6)."""

from __future__ import annotations

import pypdfium2 as pdfium

from pep_docs.errors import FormReadError
from pep_docs.extractors.pdf_fields import read_pdf_fields
from pep_docs.extractors.pdf_objects import Unusual, read_fields
from pep_docs.extractors.pdf_page import read_pages
from pep_docs.extractors.pdf_printed import printed_identity, read_printed
from pep_docs.extractors.pdf_safety import EXPORT_AGAIN
from pep_docs.extractors.pdf_word import read_word_pdf, word_identity
from pep_docs.extractors.result import Extraction

# A page with fewer characters of text than this is treated as an image (a scan).
SCANNED_TEXT_CHARS = 20


def read_pdf(data: bytes, where: str) -> Extraction:
    extraction = read_pdf_fields(data, where)
    if extraction is not None:
        return extraction
    try:
        pages = read_pages(data)
    except pdfium.PdfiumError as exc:
        raise FormReadError(
            f"the PDF is damaged and cannot be read ({exc})", where=where, hint=EXPORT_AGAIN
        ) from exc
    first = pages[:3]
    text = " ".join(s.text for page in first for s in page.segments)
    if len(text.strip()) < SCANNED_TEXT_CHARS * max(len(first), 1):
        raise FormReadError(
            "this PDF is a scanned image with no text, so it cannot be read automatically",
            where=where,
            hint="ask the school for the Word or fillable PDF form, or enter it by hand",
        )
    if any(s.text.startswith("Form ID ") for page in pages for s in page.segments):
        identity = {**printed_identity(pages), **_stored_identity(data)}
        if identity.get("authority") and identity.get("phase"):
            return read_printed(pages, where, identity)
    identity = word_identity(pages)
    if identity.get("authority") and identity.get("phase"):
        return read_word_pdf(pages, where, identity)
    raise FormReadError(
        "this PDF is not a pep-docs PEP form",
        where=where,
        hint="send the PEP form that was sent to the school",
    )


def _stored_identity(data: bytes) -> dict[str, str]:
    """The identity in the Info dictionary, which a flattened copy may keep (a print does not)."""
    try:
        return read_fields(data)[1]
    except (Unusual, ValueError, IndexError, RecursionError):
        return {}
