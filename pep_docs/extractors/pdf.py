"""Reading a returned PDF: fillable forms by their fields; scans recognised as such."""

from __future__ import annotations

from pep_docs.errors import FormReadError
from pep_docs.extractors.pdf_fields import open_pdf, read_pdf_fields
from pep_docs.extractors.result import Extraction

# A page with fewer characters of text than this is treated as an image (a scan).
SCANNED_TEXT_CHARS = 20


def read_pdf(data: bytes, where: str) -> Extraction:
    extraction = read_pdf_fields(data, where)
    if extraction is not None:
        return extraction
    reader = open_pdf(data, where)
    pages = reader.pages[:3]
    text = "".join((page.extract_text() or "") for page in pages)
    if len(text.strip()) < SCANNED_TEXT_CHARS * max(len(pages), 1):
        raise FormReadError(
            "this PDF is a scanned image with no text, so it cannot be read automatically",
            where=where,
            hint="ask the school for the Word or fillable PDF form, or enter it by hand",
        )
    if "Form ID" in text or "PEP" in text:
        raise FormReadError(
            "this PDF has no form fields (it was printed or exported to PDF); reading flattened "
            "PDFs from their page layout is not available in this version",
            where=where,
            hint="ask the school for the filled Word or fillable PDF form",
        )
    raise FormReadError(
        "this PDF is not a pep-docs PEP form",
        where=where,
        hint="send the PEP form that was sent to the school",
    )
