"""Reading returned forms back into PEP data.

`extract(source)` takes a path, bytes or a binary stream, decides the file type from its
content (never its name) and returns an `Extraction`: `data`, `form` (identity read back),
`fields` (how each pointer was read), `warnings` and `unmapped` (text that belongs to no field).
A file that cannot be read as a PEP raises `FormReadError` with a one-line reason.

Before a reader sees a file, its container is checked (`safety`: a .docx's zip directory, its
content types, macros; `pdf_safety`: passwords, pages, bombs, active content). After reading,
the form's identity is compared with what was expected (authority, schema version) and any
difference becomes a warning: such a form is read, and a person decides.

`extract` runs in the calling process: use `sandbox.extract_untrusted` for files from outside
(it runs `extract` in a child process with hard time and memory limits).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO

from pypdf.errors import PyPdfError

from pep_docs.errors import FormReadError, ProfileError
from pep_docs.extractors.pdf_safety import EXPORT_AGAIN, inspect_pdf
from pep_docs.extractors.result import Extraction, Warning_
from pep_docs.extractors.safety import LIMITS, Limits, SafeZip, check_word_package, ole_refusal

__all__ = ["Extraction", "extract", "read_source", "sniff"]


def sniff(head: bytes) -> str:
    """`docx`, `pdf`, `ole` or `unknown`, from a file's first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.lstrip(b"\x00\t\n\r ")[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    return "unknown"


def read_source(
    source: str | Path | bytes | BinaryIO, limits: Limits = LIMITS
) -> tuple[bytes, str]:
    """The bytes of a path, bytes or stream (at most the file-size limit) and a name for it."""
    too_large = f"the file is larger than {limits.max_file_bytes // (1024 * 1024)} MB"
    hint = "send the PEP form on its own; PEP_DOCS_MAX_FILE_BYTES sets the limit"
    if isinstance(source, bytes):
        if len(source) > limits.max_file_bytes:
            raise FormReadError(too_large, where="upload", hint=hint)
        return source, "upload"
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            if path.stat().st_size > limits.max_file_bytes:
                raise FormReadError(too_large, where=str(path), hint=hint)
            return path.read_bytes(), str(path)
        except OSError as exc:
            raise FormReadError(f"cannot read the file: {exc.strerror}", where=str(path)) from exc
    name = str(getattr(source, "name", "upload"))
    data = source.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise FormReadError(too_large, where=name, hint=hint)
    return data, name


def extract(
    source: str | Path | bytes | BinaryIO,
    *,
    where: str | None = None,
    expect_authority: str | None = None,
    limits: Limits = LIMITS,
) -> Extraction:
    """Read a returned .docx or .pdf form into PEP data.

    `expect_authority` (a profile slug): a form of ours made for another authority is read and
    carries a warning. So does a form made with another version of the schema.
    """
    data, name = read_source(source, limits)
    where = where or name
    kind = sniff(data[:2048])
    if kind == "docx":
        from pep_docs.extractors.docx import read_docx

        package = SafeZip(data, where, limits)
        check_word_package(package)
        extraction = read_docx(data, where, package)
    elif kind == "pdf":
        from pep_docs.extractors.pdf import read_pdf

        inspection = inspect_pdf(data, where, limits)
        try:
            extraction = read_pdf(data, where)
        except PyPdfError as exc:  # what the reader did not turn into a reason itself
            reason = " ".join(str(exc).split())[:200]
            raise FormReadError(
                f"the PDF is damaged and cannot be read ({reason})", where=where, hint=EXPORT_AGAIN
            ) from exc
        flagged = inspection.warning()
        if flagged:
            extraction.warnings.append(Warning_(None, None, flagged))
    elif kind == "ole":
        raise ole_refusal(data, where)
    else:
        raise FormReadError(
            "this is neither a Word document (.docx) nor a PDF",
            where=where,
            hint="send the completed PEP form as .docx or .pdf",
        )
    extraction.warnings.extend(
        Warning_(None, None, message)
        for message in identity_warnings(extraction.form, expect_authority)
    )
    return extraction


def identity_warnings(form: dict[str, Any], expect_authority: str | None = None) -> list[str]:
    """What is unexpected about a form's identity: another authority, another schema version."""
    from pep_docs.schema import load_model

    warnings = []
    theirs, ours = form.get("schema_id"), load_model().id
    if theirs and theirs != ours:
        warnings.append(
            f"this form was made with another version of the PEP form (schema "
            f"{_version(theirs)}; this is {_version(ours)}): it was read against the current "
            "one, so check its answers"
        )
    authority = form.get("authority")
    if expect_authority and authority and authority != expect_authority:
        warnings.append(
            f"this form was made for {_authority_name(authority)}, not "
            f"{_authority_name(expect_authority)}: it was read, but check it belongs here"
        )
    return warnings


def _version(schema_id: str) -> str:
    found = re.search(r"/(\d+(?:\.\d+)*)/", schema_id)
    return found.group(1) if found else shown(schema_id)


def _authority_name(slug: str) -> str:
    from pep_docs.profiles import load_profile

    if re.fullmatch(r"[a-z0-9-]{1,60}", slug):  # a slug read from a file is never a path
        try:
            return load_profile(slug).name
        except ProfileError:
            pass
    return f"an authority unknown here ({shown(slug)})"


def shown(text: str, limit: int = 60) -> str:
    """Text from a file made safe to print: no control or direction characters, and short."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
