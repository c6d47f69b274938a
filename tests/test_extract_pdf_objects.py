"""The small reader of a returned form's fields (`pep_docs.extractors.pdf_objects`).

It must read what pypdf reads, exactly, on the files it accepts, and refuse (`Unusual`) what it
does not read, so that pypdf reads those instead.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from pep_docs.extractors.pdf_objects import PdfObjects, Unusual, read_fields
from pep_docs.forms import prepare
from pep_docs.render import render
from pep_docs.render.pdf import CATALOG, INFO
from tests.conftest import fixture_peps, load


@pytest.fixture(scope="module")
def form() -> bytes:
    return render(prepare(data=load(fixture_peps()[0])), "pdf")


def _update(data: bytes, body: bytes) -> bytes:
    """An incremental update replacing the object of `/meeting/venue` with `body`."""
    objects = PdfObjects(data)
    number = next(
        n
        for n, (offset, _gen) in objects.offsets.items()
        if offset >= 0
        and data.startswith(b"%d 0 obj" % n, offset)
        and b"/T (/meeting/venue)" in data[offset : offset + 200]
    )
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    out = data + b"\n%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n" % (
        number,
        xref - len(body) - 8 - len(b"%d" % number) - 7,
    )
    out += b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R /Prev %d>>\n" % (
        len(objects.offsets),
        CATALOG,
        INFO,
        previous,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return out


def test_it_reads_what_pypdf_reads(form):
    ours, identity = read_fields(form)
    theirs = {k: f.get("/V") for k, f in PdfReader(io.BytesIO(form)).get_fields().items()}
    assert ours == theirs
    assert identity["form_id"] and identity["authority"] == load(fixture_peps()[0])["authority"]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        (rb"(Room \(2\) \\ the hall\051)", "Room (2) \\ the hall)"),
        (rb"(a (nested) one)", "a (nested) one"),
        (b"<FEFF" + "Łukasz ✓".encode("utf-16-be").hex().encode() + b">", "Łukasz ✓"),
        (rb"(caf\351)", "café"),
    ],
)
def test_an_incremental_update_and_every_kind_of_string(form, written, read):
    body = b"<</Type /Annot /Subtype /Widget /T (/meeting/venue) /FT /Tx /V " + written + b">>"
    updated = _update(form, body)
    ours, _ = read_fields(updated)
    assert ours["/meeting/venue"] == read
    assert PdfReader(io.BytesIO(updated)).get_fields()["/meeting/venue"]["/V"] == read


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.replace(b"startxref", b"startxrex"),
        lambda d: d[: d.rfind(b"xref")] + b"XREF" + d[d.rfind(b"xref") + 4 :],
        lambda d: d.replace(b"/Prev", b"/Prev", 1) + b"\n1 0 obj\n<</Type /XRef>>\nstartxref\n0\n",
    ],
)
def test_what_it_does_not_read_goes_to_pypdf(form, damage):
    with pytest.raises(Unusual):
        read_fields(damage(form))


def test_a_plain_form_is_inspected_quickly_and_anything_suspect_gets_the_full_walk(form):
    from pep_docs.extractors.pdf_safety import _quick_inspection, inspect_pdf
    from pep_docs.extractors.safety import LIMITS

    assert _quick_inspection(form, "form.pdf", LIMITS) == inspect_pdf(form, "form.pdf")
    assert _quick_inspection(form, "form.pdf", LIMITS).pages > 1
    # An action, even spelt with a # escape, is for the full walk, which names it.
    for action in (b"/JS (app.alert(1))", b"/J#53 (app.alert(1))"):
        body = b"<</Type /Annot /Subtype /Widget /T (/meeting/venue) /FT /Tx /AA <<" + action
        scripted = _update(form, body + b">> >>")
        assert _quick_inspection(scripted, "form.pdf", LIMITS) is None
        assert inspect_pdf(scripted, "form.pdf").active == ("JavaScript", "AA")


def test_an_incremental_update_is_inspected_quickly_old_versions_included(form):
    """A reader saving in place appends the changed objects and a table for them: every
    version is looked at, so a script in the version an update replaced still counts."""
    from pep_docs.extractors.pdf_safety import _quick_inspection, inspect_pdf
    from pep_docs.extractors.safety import LIMITS

    body = b"<</Type /Annot /Subtype /Widget /T (/meeting/venue) /FT /Tx /V (Room 2)>>"
    saved = _update(form, body)
    assert PdfObjects(saved).definitions != PdfObjects(form).definitions
    assert _quick_inspection(saved, "form.pdf", LIMITS) == inspect_pdf(form, "form.pdf")
    script = b"<</Type /Annot /Subtype /Widget /T (/meeting/venue) /FT /Tx /AA <</JS (x)>> >>"
    cleaned = _update(_update(form, script), body)  # the scripted version replaced
    assert _quick_inspection(cleaned, "form.pdf", LIMITS) is None


def test_an_object_the_table_does_not_list_sends_the_file_to_the_full_walk(form):
    from pep_docs.extractors.pdf_safety import _quick_inspection, inspect_pdf
    from pep_docs.extractors.safety import LIMITS

    at = form.rindex(b"\nxref") + 1
    extra = b"999 0 obj\n<</S /JavaScript /JS (app.alert(1))>>\nendobj\n"
    hidden = (
        form[:at]
        + extra
        + form[at:].replace(b"startxref\n%d" % at, b"startxref\n%d" % (at + len(extra)))
    )
    assert b"startxref\n%d" % (at + len(extra)) in hidden  # still a sound file
    assert _quick_inspection(hidden, "form.pdf", LIMITS) is None
    assert inspect_pdf(hidden, "form.pdf").pages == _quick_inspection(form, "f", LIMITS).pages


def _linked_script(entry_for_script: int) -> bytes:
    """A one-page PDF whose link runs a script (object 5); the table's entry for object 5
    points at object `entry_for_script`."""
    bodies = {
        1: b"<</Type /Catalog /Pages 2 0 R>>",
        2: b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        3: b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R]>>",
        4: b"<</Type /Annot /Subtype /Link /Rect [0 0 50 50] /A 5 0 R>>",
        5: b"<</S /JavaScript /JS (app.alert(1))>>",
    }
    out, offsets = bytearray(b"%PDF-1.7\n"), {}
    for number, body in bodies.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[5] = offsets[entry_for_script]
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, 6))
    out += b"trailer\n<</Size 6 /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_an_object_the_table_points_away_from_sends_the_file_to_the_full_walk():
    """Two entries at one place: the object the table should name is found by a reader that
    repairs the table (pypdf does), so the quick look must not pass the file."""
    from pep_docs.extractors.pdf_safety import _quick_inspection, inspect_pdf
    from pep_docs.extractors.safety import LIMITS

    assert inspect_pdf(_linked_script(5), "link.pdf").active == ("JavaScript",)
    pointed_away = _linked_script(4)
    assert _quick_inspection(pointed_away, "link.pdf", LIMITS) is None
    assert inspect_pdf(pointed_away, "link.pdf").active == ("JavaScript",)


@pytest.mark.parametrize(
    "inner",
    [rb"\057meeting\057type", rb"caf\351", rb"\0575", rb"\400", rb"\\057", rb"a\(b\)",
     rb"\x41", rb"\12", b"line\\\nnext", rb"\t\n"],
)  # fmt: skip
def test_escapes_are_read_the_same_by_the_fast_decoder_and_the_careful_one(inner):
    from pep_docs.extractors.pdf_objects import _UNESCAPE, _unescape, _unescaped

    assert _unescaped(inner) == _UNESCAPE.sub(_unescape, inner)
