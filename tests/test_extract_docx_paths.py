"""Every way a Word form comes back, read over every fixture PEP, filled in as a school does.

Each fixture PEP (with two more records than the form prints in every table a school completes)
is sent as its prepopulated part and filled in Word by `tests/school_fill.py`. Then:

- path 1, back as filled in Word (content controls intact): every field exact;
- path 2, opened and saved by a real LibreOffice: at least 99% exact, the rest warned about;
- path 3, content controls gone: stripped as copy/paste or a Google Docs export leaves it (with
  and without header and footer, lines typed as paragraphs), and that stripped file through a
  real LibreOffice (.docx -> .docx, and .docx -> .odt -> .docx): at least 97% exact each, the
  rest warned about.

A value is never invented: whatever is read equals the truth or carries a warning at its
pointer; what is not read is absent and warned about. Nothing typed is lost: every value the
school typed is in `data` or in `unmapped`.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from pep_docs.errors import FormReadError
from pep_docs.extractors import extract
from pep_docs.forms import prepare
from pep_docs.schema import get_pointer, load_model
from tests.conftest import fixture_peps, load
from tests.exactness import Tally, differences, truth
from tests.school_fill import (
    libreoffice,
    prepopulated_part,
    school_form,
    split_breaks,
    strip_controls,
    with_added_rows,
)

FIXTURES = fixture_peps()
PATH3 = ("stripped", "pasted", "lines-as-paragraphs", "stripped-libreoffice", "via-odt")


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict:
    """Per fixture: the truth, what the school typed, and the returned file of each kind."""
    root = tmp_path_factory.mktemp("returns")
    made: dict = {}
    for kind in ("filled", "stripped"):
        (root / kind).mkdir()
    for path in FIXTURES:
        doc = with_added_rows(load(path))
        filled, typed = school_form(doc)
        stripped = strip_controls(filled)
        files = {
            "filled": root / "filled" / f"{path.stem}.docx",
            "stripped": root / "stripped" / f"{path.stem}.docx",
        }
        files["filled"].write_bytes(filled)
        files["stripped"].write_bytes(stripped)
        made[path.stem] = {
            "doc": doc,
            "typed": typed,
            "bytes": {
                "filled": filled,
                "stripped": stripped,
                "pasted": strip_controls(filled, keep_header=False),
                "lines-as-paragraphs": split_breaks(stripped),
            },
        }
    profile = tmp_path_factory.mktemp("lo-profile")
    stems = [p.stem for p in FIXTURES]
    conversions = {
        "libreoffice": libreoffice(
            [root / "filled" / f"{s}.docx" for s in stems], root / "lo", "docx", profile
        ),
        "stripped-libreoffice": libreoffice(
            [root / "stripped" / f"{s}.docx" for s in stems], root / "lo-stripped", "docx", profile
        ),
    }
    odt = libreoffice(
        [root / "stripped" / f"{s}.docx" for s in stems], root / "odt", "odt", profile
    )
    conversions["via-odt"] = libreoffice(odt, root / "via-odt", "docx", profile)
    for kind, paths in conversions.items():
        for stem, converted in zip(stems, paths, strict=True):
            made[stem]["bytes"][kind] = converted.read_bytes()
    return made


def score(made: dict, kind: str) -> Tally:
    """Every fixture's values compared; asserts nothing is invented, silent or lost."""
    tally = Tally()
    for stem, entry in made.items():
        result = extract(entry["bytes"][kind], where=f"{stem} ({kind})")
        tally.add(entry["doc"], result, f"{stem} ({kind})")
        assert_nothing_lost(entry["typed"], result, f"{stem} ({kind})")
    return tally


def beyond_printed_rows(doc: dict) -> set[str]:
    """Pointers in rows that the form sent (prepopulated part only) does not print."""
    spec = prepare(data=prepopulated_part(doc))
    out = set()
    for pointer in truth(doc):
        row = re.match(r"^(.*?)/(\d+)/", pointer)
        if row and int(row.group(2)) >= spec.row_count(spec.model.node(row.group(1))):
            out.add(pointer)
    return out


def assert_nothing_lost(typed: dict[str, str], result, where: str) -> None:
    """Every value the school typed is in `data` (read) or in `unmapped` (with where)."""
    read = truth(result.data)
    unmapped = " ".join(u.text for u in result.unmapped)
    lost = [p for p, text in typed.items() if p not in read and text not in unmapped]
    assert lost == [], where


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_path_1_filled_in_word_every_field_exact(returns, path):
    entry = returns[path.stem]
    result = extract(entry["bytes"]["filled"])
    assert differences(entry["doc"], result.data) == {}
    assert result.warnings == [] and result.unmapped == []
    assert result.form["matches_data"] is True
    # Records beyond the printed rows sit in rows the school added (no controls): by position.
    assert {p for p, f in result.fields.items() if f["how"] == "layout"} == beyond_printed_rows(
        entry["doc"]
    )
    assert {(f["how"], f["confidence"]) for f in result.fields.values()} == {
        ("content-control", "exact"),
        ("layout", "medium"),
    }
    assert_nothing_lost(entry["typed"], result, path.stem)


def test_path_2_saved_by_libreoffice_every_value_exact(returns):
    tally = score(returns, "libreoffice")
    assert (tally.exact, tally.missed) == (tally.total, {}), tally


@pytest.mark.parametrize("kind", PATH3)
def test_path_3_without_content_controls_every_value_exact(returns, kind):
    """The schema version too: the Word form prints it under its subtitle."""
    tally = score(returns, kind)
    assert (tally.exact, tally.missed) == (tally.total, {}), tally


@pytest.mark.parametrize("kind", PATH3)
def test_path_3_identity_is_read_from_the_printed_form(returns, kind):
    for stem, entry in returns.items():
        doc = entry["doc"]
        form = extract(entry["bytes"][kind]).form
        assert [form.get(k) for k in ("authority", "phase", "term", "child_id")] == [
            doc["authority"],
            doc["phase"],
            doc["term"],
            doc["child_id"],
        ], stem
        sent = extract(entry["bytes"]["filled"]).form
        # The body prints the form id and version under the subtitle (the footer the id too).
        assert (form["form_id"], form["schema_id"]) == (sent["form_id"], sent["schema_id"]), stem
        assert form["matches_data"] is True, stem


def test_path_3_a_copy_without_its_reference_line_says_what_it_could_not_read(returns):
    """Pasted without header and footer, and the line with the form id and version deleted:
    read against the current form, and both are said."""
    from lxml import etree

    from tests.school_fill import _read, _write, q

    parts = _read(returns["cb-post-16"]["bytes"]["pasted"])
    body = etree.fromstring(parts["word/document.xml"])
    [line] = [p for p in body.iter(q("w:p")) if "PEP form version" in "".join(p.itertext())]
    line.getparent().remove(line)
    parts["word/document.xml"] = etree.tostring(body)
    result = extract(_write(parts))
    assert "form_id" not in result.form and "schema_id" not in result.form
    assert result.data["child_id"] == returns["cb-post-16"]["doc"]["child_id"]
    messages = [(w.pointer, w.message) for w in result.warnings]
    assert (
        None,
        "the form's ID could not be read (its footer and the line under its title are gone): "
        "check which form this is",
    ) in messages
    version = load_model().id
    assert messages[-1] == (
        "/$schema",
        "which version of the PEP form this is could not be read (the line under its title is "
        f"gone): it was read against the current one ({version})",
    )


def test_path_3_values_come_back_typed_exactly(returns):
    entry = returns["bf-school-age-long-views"]
    typed = entry["typed"]
    result = extract(entry["bytes"]["via-odt"])
    data = result.data
    # Dates as schools type them, choices by their label, paragraphs with their breaks.
    dates = {
        "/meeting/next_meeting/date": ("26th Jan 2027", "2027-01-26"),
        "/social_care/completed_date": ("26/10/2026", "2026-10-26"),
        "/attainment/reading_age/test_date": ("4 October 2026", "2026-10-04"),
        "/qa/date_received": ("6.11.26", "2026-11-06"),
        "/documents/2/date": ("24.9.26", "2026-09-24"),
    }
    for pointer, (as_typed, value) in dates.items():
        assert (typed[pointer], get_pointer(data, pointer)) == (as_typed, value)
    assert typed["/previous_targets/1/outcome"] == "Partly achieved"
    assert data["previous_targets"][1]["outcome"] == "partly_achieved"
    assert result.fields["/previous_targets/1/outcome"] == {"how": "layout", "confidence": "medium"}
    going_well = data["child_views"]["going_well"]
    assert going_well == entry["doc"]["child_views"]["going_well"]
    assert going_well.count("\n\n") == 7
    # Rows the school added beyond the eight printed.
    assert len(data["meeting"]["attendees"]) == 10
    assert data["meeting"]["attendees"][9] == entry["doc"]["meeting"]["attendees"][9]
    assert result.fields["/meeting/attendees/9/name"] == {"how": "layout", "confidence": "medium"}


def test_path_3_text_typed_outside_the_boxes_is_unmapped_with_where(returns):
    from lxml import etree

    from tests.school_fill import NS, _read, _write, q

    parts = _read(returns["pb-post-16"]["bytes"]["stripped"])
    body = etree.fromstring(parts["word/document.xml"])
    heading = next(
        p for p in body.iter(q("w:p")) if "".join(p.itertext()) == "Attendance and exclusions"
    )
    note = etree.fromstring(
        f'<w:p xmlns:w="{NS["w"]}"><w:r><w:t>Note: figures from the autumn census.</w:t></w:r></w:p>'
    )
    heading.addnext(note)
    table = next(t for t in body.iter(q("w:tbl")) if "Setting name" in "".join(t.itertext()))
    row = etree.fromstring(
        f'<w:tr xmlns:w="{NS["w"]}"><w:tc><w:p><w:r><w:t>Head teacher</w:t></w:r></w:p></w:tc>'
        "<w:tc><w:p><w:r><w:t>Ms Ada Okafor</w:t></w:r></w:p></w:tc></w:tr>"
    )
    table.append(row)
    parts["word/document.xml"] = etree.tostring(body)
    result = extract(_write(parts))
    assert [u.to_dict() for u in result.unmapped] == [
        {
            "text": "Head teacher | Ms Ada Okafor",
            "where": "the table under 'Education setting', row 10",
        },
        {
            "text": "Note: figures from the autumn census.",
            "where": "after 'Attendance and exclusions'",
        },
    ]


def test_jinja_looking_text_comes_back_as_typed(tmp_path):
    doc = load(FIXTURES[0])
    doc["child_views"]["going_well"] = "{{ config }} and {% for x in y %}{{ x }}{% endfor %}"
    filled, _ = school_form(doc)
    for kind, data in (("filled", filled), ("stripped", strip_controls(filled))):
        result = extract(data)
        assert result.data["child_views"]["going_well"] == doc["child_views"]["going_well"], kind


def test_a_word_document_that_is_not_our_form_is_refused_in_one_line(tmp_path):
    import docx

    letter = docx.Document()
    letter.add_paragraph("Dear Ms Hale,")
    letter.add_paragraph("Thank you for the PEP meeting on 3 November. Child ID BF00004.")
    table = letter.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Amelia"
    out = io.BytesIO()
    letter.save(out)
    path = tmp_path / "letter.docx"
    path.write_bytes(out.getvalue())
    with pytest.raises(FormReadError) as err:
        extract(path)
    assert str(err.value) == (
        f"{path}: this Word document is not a PEP form pep-docs can read: it has no form "
        "fields, and does not show a PEP form's title, phase, child ID and labels (send the "
        "completed PEP form that was sent to the school)"
    )
    assert "\n" not in str(err.value)


def test_every_model_field_a_form_shows_is_learned_from_the_blank_form():
    from pep_docs.extractors.docx_layout import layout_for
    from pep_docs.schema import PHASES

    model = load_model()
    for phase in PHASES:
        layout = layout_for("peterborough", phase)
        learned = {s.pointer for t in layout.tables for s in t.labels.values()}
        learned |= {pattern for t in layout.tables for _, pattern in t.columns}
        shown = {
            f.pointer
            for f in model.fields(phase)
            if not f.hidden and f.pointer[1:] not in ("authority", "phase", "term", "child_id")
        }
        shown.discard("/$schema")
        assert shown - learned == set(), phase


def test_path_3_a_value_that_cannot_be_typed_is_kept_as_typed_with_a_warning(returns):
    from lxml import etree

    from tests.school_fill import _read, _write, q

    parts = _read(returns["st-post-16"]["bytes"]["stripped"])
    body = etree.fromstring(parts["word/document.xml"])
    row = next(
        tr
        for tr in body.iter(q("w:tr"))
        if "".join(tr.find(q("w:tc")).itertext()) == "Date of next meeting"
    )
    answer = row.findall(q("w:tc"))[1]
    texts = list(answer.iter(q("w:t")))
    texts[0].text = "after half term, tbc"
    for t in texts[1:]:
        t.text = ""
    parts["word/document.xml"] = etree.tostring(body)
    result = extract(_write(parts))
    assert result.data["meeting"]["next_meeting"]["date"] == "after half term, tbc"
    assert result.fields["/meeting/next_meeting/date"] == {"how": "layout", "confidence": "low"}
    assert [w.message for w in result.warnings if w.pointer == "/meeting/next_meeting/date"] == [
        "PEP meeting, Next PEP meeting: 'Date of next meeting': 'after half term, tbc' is not a "
        "date this form can read; kept as typed"
    ]


def test_path_3_form_of_another_version_says_which(returns):
    """A pasted copy of a form made with another version of the PEP form is read against the
    current one, with a warning naming both versions (not 'the line is gone')."""
    from lxml import etree

    from tests.school_fill import _read, _write, q

    parts = _read(returns["cb-post-16"]["bytes"]["pasted"])
    body = etree.fromstring(parts["word/document.xml"])
    current = load_model().version
    [t] = [t for t in body.iter(q("w:t")) if f"PEP form version {current}" in (t.text or "")]
    t.text = t.text.replace(current, "0.9.0")
    parts["word/document.xml"] = etree.tostring(body)
    result = extract(_write(parts))
    assert result.form["schema_id"] == load_model().id.replace(f"/{current}/", "/0.9.0/")
    messages = [w.message for w in result.warnings]
    assert messages[-1] == (
        "this form was made with another version of the PEP form (schema 0.9.0; this is "
        f"{current}): it was read against the current one, so check its answers"
    )
    assert not any("which version" in m for m in messages)


def test_path_1_saved_by_word_on_the_web_main_part_named_otherwise():
    """Word on the web (Microsoft 365 in a browser) saves the main part as `word/document2.xml`,
    named by the package's relationships: read the same as from Word, comments included."""
    from tests.school_fill import _read, _write
    from tests.test_extract_docx_notes import COMMENT, with_notes

    doc = load(FIXTURES[0])
    filled, _ = school_form(doc)
    noted = with_notes(filled)
    parts = _read(noted)
    parts["word/document2.xml"] = parts.pop("word/document.xml")
    parts["word/_rels/document2.xml.rels"] = parts.pop("word/_rels/document.xml.rels")
    for name in ("_rels/.rels", "[Content_Types].xml"):
        parts[name] = parts[name].replace(b"word/document.xml", b"word/document2.xml")
    online, word = extract(_write(parts)), extract(noted)
    assert online.to_dict() == word.to_dict()
    assert COMMENT in [u.text for u in online.unmapped]


@pytest.mark.parametrize("kind", ["libreoffice", "stripped-libreoffice", "via-odt"])
def test_run_formatting_left_out_changes_nothing_read(returns, kind, monkeypatch):
    """LibreOffice writes fonts, kerning and language on every run; the reader leaves them out
    before parsing (`docx_text.without_run_formatting`). Every file reads the same without that."""
    from pep_docs.extractors import docx as docx_reader
    from pep_docs.extractors.docx_text import without_run_formatting

    lean = {}
    for stem, made in returns.items():
        data = made["bytes"][kind]
        part = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
        assert len(without_run_formatting(part)) < 0.8 * len(part), stem  # there was some
        lean[stem] = extract(data, where=stem).to_dict()
    monkeypatch.setattr(docx_reader, "without_run_formatting", lambda part: part)
    for stem, made in returns.items():
        assert extract(made["bytes"][kind], where=stem).to_dict() == lean[stem], stem
