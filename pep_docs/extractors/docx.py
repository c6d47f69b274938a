"""Reading a returned .docx: the content-control readers, identity and unmapped text."""

from __future__ import annotations

from functools import cache

from pep_docs.errors import FormReadError
from pep_docs.extractors.docx_controls import (
    read_controls,
    read_identity,
    static_texts,
    unmapped_text,
)
from pep_docs.extractors.result import Assembler, Extraction, form_summary
from pep_docs.extractors.safety import SafeZip
from pep_docs.schema import load_model
from pep_docs.validate import section_titles_for

# The blank form is made for a stand-in child, whose ID the return's own ID is swapped for.
STAND_IN_ID = "CHILD0"


@cache
def _blank_static_texts(authority: str, phase: str, term: str) -> frozenset[str]:
    """What a blank form of this kind prints outside its boxes (made once per kind)."""
    from pep_docs.forms import prepare
    from pep_docs.render.docx import render_docx

    identity = {"authority": authority, "phase": phase, "child_id": STAND_IN_ID}
    if term:  # a form made without a term (`pep-docs render --authority`) prints none
        identity["term"] = term
    blank = SafeZip(render_docx(prepare(data=identity)), "blank form")
    return frozenset(static_texts(blank.xml("word/document.xml")))


def read_docx(data: bytes, where: str) -> Extraction:
    package = SafeZip(data, where)
    if "word/document.xml" not in package.names or "[Content_Types].xml" not in package.names:
        raise FormReadError(
            "this is not a Word document (.docx)",
            where=where,
            hint="save the form as a Word document and send it again",
        )
    identity = read_identity(package)
    model = load_model()
    titles = section_titles_for(identity.get("authority"))
    assembler = Assembler(model, titles)
    found = read_controls(package, assembler, model)
    if not found:
        raise FormReadError(
            "this Word document has no pep-docs form fields (it may have been copied into a new "
            "document, or is not a PEP form of ours)",
            where=where,
            hint="fill in the form that was sent, rather than a copy",
        )
    if identity.get("authority") and identity.get("phase"):
        known = _blank_static_texts(
            identity["authority"], identity["phase"], identity.get("term", "")
        )
        assembler.unmapped.extend(
            unmapped_text(
                package.xml("word/document.xml"),
                set(known),
                identity.get("child_id", ""),
                STAND_IN_ID,
            )
        )
    extraction = assembler.finish(identity, {"kind": "docx", "file": where, "controls": found})
    extraction.form = form_summary(identity, extraction.data)
    return extraction
