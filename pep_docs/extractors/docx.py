"""Reading a returned .docx: content controls (paths 1 and 2), else labels and tables (path 3).

The main part (`word/document.xml`; Word on the web names it `word/document2.xml`) is parsed
once (size- and depth-checked by `SafeZip`), made what Word shows with tracked changes accepted
(`docx_notes.accept_changes`), and every reader walks that one tree. Comments, footnotes,
endnotes and lines typed in the page header or footer are reported as unmapped text on every
path.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from pep_docs.errors import FormReadError
from pep_docs.extractors.docx_controls import (
    BodyScan,
    read_controls,
    read_identity,
    unmapped_text,
)
from pep_docs.extractors.docx_labels import (
    layout_of,
    printed_identity,
    read_added_rows,
    read_by_layout,
)
from pep_docs.extractors.docx_layout import Layout
from pep_docs.extractors.docx_notes import (
    Anchors,
    accept_changes,
    changes_warnings,
    margins,
    notes,
    notes_warning,
    pictures,
    related_parts,
)
from pep_docs.extractors.docx_text import PICTURES, without_run_formatting
from pep_docs.extractors.result import Assembler, Extraction, Warning_, form_summary
from pep_docs.extractors.safety import SafeZip, main_part
from pep_docs.forms import child_name_of
from pep_docs.schema import load_model
from pep_docs.validate import section_titles_for

# Fewer tables than this matched by label: the document is not one of our forms.
MIN_TABLES = 3


def read_docx(data: bytes, where: str, package: SafeZip | None = None) -> Extraction:
    package = package or SafeZip(data, where)
    main = main_part(package)
    if main is None or "[Content_Types].xml" not in package.names:
        raise FormReadError(
            "this is not a Word document (.docx)",
            where=where,
            hint="save the form as a Word document and send it again",
        )
    body = package.xml(main, without_run_formatting)
    changes = accept_changes(body)
    identity = read_identity(package)
    model = load_model()
    titles = section_titles_for(identity.get("authority"))
    assembler = Assembler(model, titles)
    scanned = BodyScan(body)
    found = read_controls(package, assembler, model, scanned)
    if not found:
        return _read_without_controls(package, main, body, where, identity, changes)
    layout = layout_of(identity)
    if layout is not None:
        added = read_added_rows(body, layout, assembler, scanned.texts())
        assembler.unmapped.extend(
            unmapped_text(
                scanned, lambda text: layout.is_printed(text, identity.get("child_id", "")), added
            )
        )
    _read_notes(package, main, body, assembler, layout, identity, changes, scanned.pictures)
    extraction = assembler.finish(identity, {"kind": "docx", "file": where, "controls": found})
    extraction.form = form_summary(identity, extraction.data)
    return extraction


def _read_notes(
    package: SafeZip,
    main: str,
    body,
    assembler: Assembler,
    layout: Layout | None,
    identity: dict[str, str],
    changes: list[etree._Element],
    pictured: Iterable[etree._Element],
) -> None:
    """What the school wrote besides the form's answers: comments, notes, the page margins;
    a warning for each picture pasted in (`pictured`: found in the body), and for each answer
    with tracked changes nobody accepted (`changes`: where they were, from `accept_changes`)."""
    parts = related_parts(package, main)
    anchors = Anchors(body, assembler.model, assembler.describe)
    found, cut = notes(package, parts, anchors)
    assembler.unmapped.extend(found)
    if found:  # a comment is easily missed among the unread text: say it once, up front
        assembler.warnings.append(Warning_(None, None, notes_warning(len(found), cut)))
    for pointer, message in pictures(pictured, anchors) + changes_warnings(changes, anchors):
        if pointer:
            assembler.warn(pointer, message)
        else:
            assembler.warnings.append(Warning_(None, None, message))
    if layout is not None:
        child_id, name = identity.get("child_id", ""), child_name_of(assembler.data)
        assembler.unmapped.extend(
            margins(package, parts, lambda line: layout.in_margins(line, child_id, name))
        )


def _read_without_controls(
    package: SafeZip,
    main: str,
    body,
    where: str,
    known: dict[str, str],
    changes: list[etree._Element],
) -> Extraction:
    """Path 3: the boxes are gone (copy/paste, Google Docs): read by labels and table positions."""
    model = load_model()
    identity = printed_identity(package, body, model, known)
    layout = layout_of(identity)
    refusal = FormReadError(
        "this Word document is not a PEP form pep-docs can read: it has no form fields, and "
        "does not show a PEP form's title, phase, child ID and labels",
        where=where,
        hint="send the completed PEP form that was sent to the school",
    )
    if layout is None:
        raise refusal
    assembler = Assembler(model, section_titles_for(identity.get("authority")))
    matched = read_by_layout(body, layout, assembler, identity.get("child_id", ""))
    if matched < MIN_TABLES:
        raise refusal
    _read_notes(package, main, body, assembler, layout, identity, changes, body.iter(*PICTURES))
    extraction = assembler.finish(
        identity, {"kind": "docx", "file": where, "controls": 0, "tables_by_label": matched}
    )
    extraction.warnings.insert(
        0,
        Warning_(
            None,
            None,
            "this copy of the form has lost its boxes (content controls), so its answers were "
            "read by their labels and positions: check them",
        ),
    )
    if not identity.get("schema_id"):
        extraction.warnings.append(
            Warning_(
                "/$schema",
                None,
                "which version of the PEP form this is could not be read (the line under its "
                f"title is gone): it was read against the current one ({model.id})",
            )
        )
    if not identity.get("form_id"):
        extraction.warnings.insert(
            1,
            Warning_(
                None,
                None,
                "the form's ID could not be read (its footer and the line under its title are "
                "gone): check which form this is",
            ),
        )
    extraction.form = form_summary(identity, extraction.data)
    return extraction
