"""Reading returned forms back into PEP data.

`extract(source)` takes a path, bytes or a binary stream, decides the file type from its
content (never its name) and returns an `Extraction`: `data`, `form` (identity read back),
`fields` (how each pointer was read), `warnings` and `unmapped` (text that belongs to no field).
A file that cannot be read as a PEP raises `FormReadError` with a one-line reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from pep_docs.errors import FormReadError
from pep_docs.extractors.result import Extraction
from pep_docs.extractors.safety import LIMITS

__all__ = ["Extraction", "extract", "sniff"]


def sniff(head: bytes) -> str:
    """`docx`, `pdf` or `unknown`, from a file's first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.lstrip(b"\x00\t\n\r ")[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    return "unknown"


def _read(source: str | Path | bytes | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "upload"
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > LIMITS.max_file_bytes:
                raise FormReadError(
                    f"the file is larger than {LIMITS.max_file_bytes // (1024 * 1024)} MB",
                    where=str(path),
                )
            return path.read_bytes(), str(path)
        except OSError as exc:
            raise FormReadError(f"cannot read the file: {exc.strerror}", where=str(path)) from exc
    data = source.read(LIMITS.max_file_bytes + 1)
    if len(data) > LIMITS.max_file_bytes:
        raise FormReadError(f"the file is larger than {LIMITS.max_file_bytes // (1024 * 1024)} MB")
    return data, getattr(source, "name", "upload")


def extract(source: str | Path | bytes | BinaryIO, *, where: str | None = None) -> Extraction:
    """Read a returned .docx or .pdf form into PEP data."""
    data, name = _read(source)
    where = where or name
    kind = sniff(data[:2048])
    if kind == "docx":
        from pep_docs.extractors.docx import read_docx

        return read_docx(data, where)
    if kind == "pdf":
        from pep_docs.extractors.pdf import read_pdf

        return read_pdf(data, where)
    if kind == "ole":
        raise FormReadError(
            "this is an old Word (.doc) file or a password-protected document",
            where=where,
            hint="save it as a Word document (.docx) without a password and send it again",
        )
    raise FormReadError(
        "this is neither a Word document (.docx) nor a PDF",
        where=where,
        hint="send the completed PEP form as .docx or .pdf",
    )
