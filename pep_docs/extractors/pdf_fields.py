"""Reading a returned fillable PDF by its AcroForm fields (returns path 4).

Every field's full name is its JSON Pointer (see `pep_docs.render.pdf`). Values come back as a
PDF reader stored them: text as typed, dates as typed (dd/mm/yyyy or otherwise), combo boxes
as the choice's value (or a label a reader wrote instead; a yes/no question `true` or `false`),
no `/V` when never answered. Identity is in the Info dictionary (`/PepDocsIdentity`, JSON).
Sticky notes, text boxes and comments a person added in a reader are kept in `unmapped`
(`pdf_notes`).
"""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from pep_docs.errors import FormReadError
from pep_docs.extractors.pdf_notes import add_notes, collect
from pep_docs.extractors.pdf_objects import Annotations, Unusual, read_form
from pep_docs.extractors.result import Assembler, Extraction, Reading, Unmapped, form_summary
from pep_docs.schema import load_model
from pep_docs.validate import section_titles_for

IDENTITY_KEY = "/PepDocsIdentity"


def open_pdf(data: bytes, where: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FormReadError(
                "the PDF is password-protected",
                where=where,
                hint="send a copy without a password",
            )
        return reader
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise FormReadError(
            f"the PDF is damaged and cannot be read ({exc})",
            where=where,
            hint="save or export the form as PDF again",
        ) from exc


def read_identity(reader: PdfReader) -> dict[str, str]:
    info = reader.metadata or {}
    raw = info.get(IDENTITY_KEY)
    if not raw:
        return {}
    try:
        values = json.loads(str(raw))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}


def _raw(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_values(data: bytes, where: str) -> tuple[dict[str, Any], dict[str, str], Annotations]:
    """Every field's full name and raw value, the form identity, and the notes on the pages.

    The small object reader (`pdf_objects`) reads what our forms and ordinary PDF readers write;
    anything unusual (object streams, cross-reference streams, damage) is read by pypdf."""
    try:
        return read_form(data)
    except (Unusual, ValueError, IndexError, RecursionError):
        pass
    reader = open_pdf(data, where)
    try:
        fields = reader.get_fields() or {}
        values = {name: f.get("/V") for name, f in fields.items()}
        notes = collect(reader)
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise FormReadError(f"the PDF's form fields are damaged ({exc})", where=where) from exc
    return values, read_identity(reader), notes


def read_pdf_fields(data: bytes, where: str) -> Extraction | None:
    """The extraction from the form's fields, or None when the PDF has no fields of ours."""
    fields, identity, notes = field_values(data, where)
    model = load_model()
    ours = {name for name in fields if model.has(name)}
    if not ours:
        return None
    titles = section_titles_for(identity.get("authority"))
    assembler = Assembler(model, titles)
    for name, value in fields.items():
        raw = _raw(value)
        if raw is None or not raw.strip():
            continue
        if name in ours:
            assembler.add(Reading(name, raw, "acroform", where=f"field {name}"))
        else:
            assembler.unmapped.append(Unmapped(raw, f"PDF field {name!r}"))
    add_notes(assembler, notes)
    extraction = assembler.finish(identity, {"kind": "pdf", "file": where, "fields": len(ours)})
    extraction.form = form_summary(identity, extraction.data)
    return extraction
