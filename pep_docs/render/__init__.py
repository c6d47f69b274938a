"""Form renderers: each lays a `pep_docs.forms.FormSpec` out in one file format."""

from __future__ import annotations

from pep_docs.errors import TemplateError
from pep_docs.forms import FormSpec

FORMATS = ("docx", "pdf")


def render(spec: FormSpec, fmt: str) -> bytes:
    """The form for `spec` as a .docx or .pdf file's bytes."""
    if fmt == "docx":
        from pep_docs.render.docx import render_docx

        return render_docx(spec)
    if fmt == "pdf":
        from pep_docs.render.pdf import render_pdf

        return render_pdf(spec)
    raise TemplateError(f"unknown form format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
