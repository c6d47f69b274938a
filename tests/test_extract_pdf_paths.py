"""Returned PDF forms, every way they come back, over every fixture PEP.

Path 4: the fillable form filled as a school would (`school_fill_pdf`): every field exact.
Path 5: flattened copies of it -- `qpdf --flatten-annotations=all` and a print-to-PDF made with
poppler's `pdftocairo -pdf` (prints drop the fields and the metadata) -- read from the page
layout: every value a page can show exact; an unticked box (False), which prints the same as an
unanswered one, absent and warned about (about 1.5% of the fixtures' values); never invented;
text typed outside the boxes comes back in `unmapped` with its page and position. And the filled
Word form exported to PDF by a real LibreOffice (other geometry, no fields): read by its labels.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from pep_docs.errors import FormReadError
from pep_docs.extractors import extract
from pep_docs.extractors.pdf_objects import Unusual, read_fields
from pep_docs.forms import prepare
from pep_docs.render import render
from pep_docs.render.docx import render_docx
from tests.conftest import fixture_peps, load
from tests.exactness import Tally, checked, differences, truth
from tests.school_fill_pdf import fill_as_school

FIXTURES = fixture_peps()
NOTE = "Please see the attached letter from CAMHS."


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Per fixture: the filled form, its qpdf-flattened copy and
    its print (both made from a fill with a note typed below the boxes)."""
    for tool in ("qpdf", "pdftocairo"):
        assert shutil.which(tool), f"{tool} is installed by scripts/install-system-packages.sh"
    out = tmp_path_factory.mktemp("returned")
    made: dict[str, dict[str, Path]] = {}
    for path in FIXTURES:
        doc = load(path)
        form = render(prepare(data=doc), "pdf")
        files = {k: out / f"{path.stem}-{k}.pdf" for k in ("filled", "noted", "qpdf", "print")}
        files["filled"].write_bytes(fill_as_school(form, doc))
        files["noted"].write_bytes(fill_as_school(form, doc, note=NOTE))
        subprocess.run(
            ["qpdf", "--flatten-annotations=all", str(files["noted"]), str(files["qpdf"])],
            check=True,
            timeout=60,
        )
        subprocess.run(
            ["pdftocairo", "-pdf", str(files["noted"]), str(files["print"])],
            check=True,
            timeout=60,
        )
        made[path.stem] = files
    return made


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_path_4_a_form_filled_by_a_school_comes_back_exactly(returned, path):
    result = extract(returned[path.stem]["filled"])
    doc = load(path)
    assert differences(doc, result.data) == {}
    assert result.warnings == [] and result.unmapped == []
    assert {f["how"] for f in result.fields.values()} == {"acroform"}
    assert result.form["form_id"] and result.form["matches_data"] is True


def test_path_4_reads_the_school_formats_and_choices_by_value_or_label(returned):
    stem = "bf-school-age-ehcp"
    raw, identity = read_fields(returned[stem]["filled"].read_bytes())
    assert identity["authority"] == "bracknell-forest"
    assert raw["/meeting/date"] == "3.11.26"
    assert raw["/attendance/term_percent"] == "95.3%"
    assert raw["/meeting/type"] == "Termly review meeting"  # by its label, as Preview saves
    assert raw["/education_setting/out_of_authority"] == "true"  # by its value, as Acrobat
    assert raw["/attendance/permanent_exclusion"] == "No"
    result = extract(returned[stem]["filled"])
    assert result.data["meeting"]["date"] == "2026-11-03"
    assert result.data["attendance"]["term_percent"] == 95.3
    assert result.data["meeting"]["type"] == "review"
    assert result.data["education_setting"]["out_of_authority"] is True
    assert result.data["attendance"]["permanent_exclusion"] is False


def test_path_4_uses_pypdf_for_what_the_small_reader_does_not_read(returned, tmp_path):
    """Object streams and cross-reference streams (as Acrobat saves): pypdf reads them."""
    stem = "pb-post-16"
    packed = tmp_path / "packed.pdf"
    subprocess.run(
        ["qpdf", "--object-streams=generate", str(returned[stem]["filled"]), str(packed)],
        check=True,
        timeout=60,
    )
    with pytest.raises(Unusual):
        read_fields(packed.read_bytes())
    result = extract(packed)
    assert differences(load(fixture_path(stem)), result.data) == {}


def fixture_path(stem: str) -> Path:
    return next(p for p in FIXTURES if p.stem == stem)


@pytest.mark.parametrize("kind", ["qpdf", "print"])
def test_path_5_a_flattened_form_is_read_from_its_layout(returned, kind):
    tally = Tally()
    for stem, files in returned.items():
        result = extract(files[kind])
        tally.add(load(fixture_path(stem)), result, stem)
        assert {f["how"] for f in result.fields.values()} == {"layout"}, stem
        assert {f["confidence"] for f in result.fields.values()} <= {"medium", "low"}, stem
        # Nothing lost: the note typed below the boxes is kept, with where it was.
        assert [(u.text, u.where.split(",")[0]) for u in result.unmapped] == [
            (NOTE, f"page {result.source['pages']}")
        ], stem
        assert result.form["authority"] == load(fixture_path(stem))["authority"]
        assert result.form["child_id"] == load(fixture_path(stem))["child_id"]
    # A yes/no question prints Yes or No, so a No is read like any other answer.
    assert (tally.exact, tally.missed) == (tally.total, {}), tally


def test_path_5_a_printed_no_is_read_as_no_and_an_unanswered_question_as_absent(returned):
    result = extract(returned["bf-school-age-ehcp"]["print"])
    doc = load(fixture_path("bf-school-age-ehcp"))
    assert doc["attendance"]["permanent_exclusion"] is False
    assert result.data["attendance"]["permanent_exclusion"] is False
    assert result.fields["/attendance/permanent_exclusion"] == {
        "how": "layout",
        "confidence": "medium",
    }
    assert "planned" not in doc["education_setting"].get("school_change", {})
    assert "school_change" not in result.data["education_setting"]


@pytest.fixture(scope="module")
def word_exports(tmp_path_factory) -> dict[str, Path]:
    """The filled Word form of every fixture, exported to PDF by a real LibreOffice (one call)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is installed by scripts/install-system-packages.sh"
    words = tmp_path_factory.mktemp("word")
    out = tmp_path_factory.mktemp("word-pdf")
    profile = tmp_path_factory.mktemp("lo-profile")
    for path in FIXTURES:
        (words / f"{path.stem}.docx").write_bytes(render_docx(prepare(data=load(path))))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), *sorted(str(p) for p in words.glob("*.docx"))],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    return {p.stem: out / f"{p.stem}.pdf" for p in FIXTURES}


def test_path_5_a_pdf_exported_from_the_word_form_is_read_by_its_labels(word_exports):
    tally = Tally()
    for stem, exported in word_exports.items():
        result = extract(exported)
        tally.add(load(fixture_path(stem)), result, stem)
        assert {f["how"] for f in result.fields.values()} == {"layout"}, stem
        # Nothing lost: every piece of text is the form's own or read into a field.
        assert result.unmapped == [], stem
        assert result.source["layout"] == "word-form", stem
        doc = load(fixture_path(stem))
        assert (result.form["authority"], result.form["child_id"], result.form["term"]) == (
            doc["authority"],
            doc["child_id"],
            doc["term"],
        )
    assert (tally.exact, tally.missed) == (tally.total, {}), tally


def test_path_5_a_note_on_a_pdf_exported_from_the_word_form_names_its_question(word_exports):
    """A sticky note added to the Word form's PDF is placed at the question whose row it is on
    (its label and answer), worded as on the fillable form; one in the margin far from every
    question, by its page alone. Text typed with a reader's text tool over an empty cell (its
    guidance in brackets) is that cell's answer, warned about, as on the fillable form."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText, Text
    from pypdf.generic import NameObject, TextStringObject

    from pep_docs.extractors.pdf_page import read_pages

    exported = word_exports["bf-school-age-ehcp"].read_bytes()
    segments = [s for p in read_pages(exported) for s in p.segments]
    label = next(s for s in segments if s.text == "Date of meeting")
    empty = next(s for s in segments if s.text == "[Full name of the person.]")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(exported)))
    # Over the answer, in the column right of the label.
    writer.add_annotation(label.page, Text(rect=(300, label.y0, 316, label.y0 + 16), text=NOTE))
    writer.add_annotation(1, Text(rect=(290, 2, 306, 18), text="Seen"))  # below the footer
    typed = FreeText(text="", rect=(empty.x0, empty.y0 - 2, empty.x0 + 120, empty.y1 + 2))
    typed[NameObject("/Contents")] = TextStringObject("Ms Okafor")
    writer.add_annotation(empty.page, typed)
    noted = io.BytesIO()
    writer.write(noted)
    plain, result = extract(io.BytesIO(exported)), extract(io.BytesIO(noted.getvalue()))
    assert [(u.text, u.where) for u in result.unmapped] == [
        (NOTE, f"a sticky note on page {label.page + 1}, beside PEP meeting: 'Date of meeting'"),
        ("Seen", "a sticky note on page 2"),
    ]
    attendees = plain.data["meeting"]["attendees"]
    assert result.data["meeting"]["attendees"] == [*attendees, {"name": "Ms Okafor"}]
    assert [w.message for w in result.warnings] == [
        f"PEP meeting, Attendees, row {len(attendees) + 1}: 'Name': was typed over its box on "
        f"page {empty.page + 1} with a PDF reader's text tool, not into the box: read from "
        "there, check it",
        "this form has 2 comments or notes added in a PDF reader: they are listed as unread "
        "text; check them",
    ]


def test_path_5_the_spare_card_a_school_filled_in_is_read_and_notes_on_it_name_it(tmp_path):
    """The form prints one card more than the plan has (a fifth target, for the school to add):
    filled in and flattened, it is read like the others (its labels, met between one card and
    the next, do not end the cards), and a note on it names it."""
    import copy

    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Text

    doc = load(fixture_path("bf-school-age-ehcp"))
    assert len(doc["targets"]) == 4
    more = copy.deepcopy(doc)
    more["targets"].append({**doc["targets"][0], "target": "Read a chapter book every week."})
    filled = fill_as_school(render(prepare(data=doc), "pdf"), more)
    source, flat = tmp_path / "filled.pdf", tmp_path / "flat.pdf"
    source.write_bytes(filled)
    subprocess.run(["qpdf", "--flatten-annotations=all", str(source), str(flat)], check=True)
    page, (x0, y0, _x1, _y1) = next(
        (index, [float(v) for v in ref.get_object()["/Rect"]])
        for index, sheet in enumerate(PdfReader(io.BytesIO(filled)).pages)
        for ref in sheet.get("/Annots") or []
        if ref.get_object().get("/T") == "/targets/4/target"
    )
    for data in (filled, flat.read_bytes()):  # the note added after flattening, as a reader
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.add_annotation(page, Text(rect=(x0 + 4, y0 + 2, x0 + 20, y0 + 18), text=NOTE))
        noted = io.BytesIO()
        writer.write(noted)
        read = extract(io.BytesIO(noted.getvalue()))
        assert differences(more, read.data) == {}
        assert [(u.text, u.where) for u in read.unmapped] == [
            (NOTE, f"a sticky note on page {page + 1}, beside SMART targets, target 5: 'Target'")
        ]


def test_path_5_a_blank_form_printed_gives_no_answers_and_loses_nothing(tmp_path):
    blank = tmp_path / "blank.pdf"
    printed = tmp_path / "printed.pdf"
    blank.write_bytes(
        render(
            prepare(authority="central-bedfordshire", phase="post_16", term="2026-autumn"), "pdf"
        )
    )
    subprocess.run(["pdftocairo", "-pdf", str(blank), str(printed)], check=True, timeout=60)
    result = extract(printed)
    assert result.fields == {} and result.unmapped == []
    assert sorted(result.data) == ["$schema", "authority", "phase", "term"]
    assert (result.data["authority"], result.data["phase"], result.data["term"]) == (
        "central-bedfordshire",
        "post_16",
        "2026-autumn",
    )


def test_a_pdf_that_is_not_our_form_is_refused_with_a_reason(tmp_path):
    from reportlab.pdfgen import canvas

    letter = tmp_path / "letter.pdf"
    page = canvas.Canvas(str(letter))
    for i, line in enumerate(
        ["Dear Virtual School,", "Please find our PEP notes below.", "X" * 40]
    ):
        page.drawString(72, 700 - 14 * i, line)
    page.save()
    with pytest.raises(FormReadError) as err:
        extract(letter)
    assert str(err.value) == (
        f"{letter}: this PDF is not a pep-docs PEP form (send the PEP form that was sent to the "
        "school)"
    )


def test_path_5_text_a_reader_drew_past_its_box_is_never_given_to_a_field(tmp_path):
    """pypdf draws its own appearances on one line, neither wrapped nor shrunk: long answers run
    over the next box. Such text is kept in `unmapped` and both boxes are warned about."""
    from pypdf import PdfReader, PdfWriter

    from pep_docs.schema import Field, load_model
    from tests.school_fill_pdf import school_text

    stem = "cb-post-16"
    doc = load(fixture_path(stem))
    model = load_model()
    identity = {k: doc[k] for k in ("authority", "phase", "term", "child_id")}
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render(prepare(data=identity), "pdf"))))
    typed = {
        pointer: school_text(f, value, n)
        for n, (pointer, value) in enumerate(truth(doc).items())
        if model.has(pointer) and isinstance(f := model.node(pointer), Field) and not f.hidden
    }
    for page in writer.pages:
        writer.update_page_form_field_values(page, typed, auto_regenerate=False)
    filled, flat = tmp_path / "filled.pdf", tmp_path / "flat.pdf"
    with filled.open("wb") as out:
        writer.write(out)
    subprocess.run(["qpdf", "--flatten-annotations=all", str(filled), str(flat)], check=True)
    result = extract(flat)
    expected, got = truth(doc), truth(result.data)
    warned = {w.pointer for w in result.warnings}
    wrong = {k: v for k, v in got.items() if expected.get(k) != v}
    assert wrong == {}
    assert {k for k in expected if k not in got} <= warned
    assert any("runs on over the next box" in w.message for w in result.warnings)
    assert len([k for k in expected if got.get(k) == expected[k]]) / len(expected) >= 0.8


def test_check_gives_the_same_result_on_a_printed_form_as_on_its_json(returned):
    stem = "cb-weak-late-return"
    outputs = checked(fixture_path(stem), returned[stem]["print"], returned[stem]["qpdf"])
    assert outputs[0]["rating"] == "Satisfactory"
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


def test_a_row_a_school_added_to_a_word_table_is_read_from_its_pdf(tmp_path):
    """A school adds a row to the attendees table in Word, then exports to PDF."""
    import copy

    from docx import Document

    doc = load(fixture_path("bf-school-age-ehcp"))
    word = Document(io.BytesIO(render_docx(prepare(data=doc))))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    table = next(
        t
        for t in word.element.body.iter(f"{w}tbl")
        if t.find(f"{w}tblPr/{w}tblCaption").get(f"{w}val") == "Attendees"
    )
    last = table.findall(f"{w}tr")[len(doc["meeting"]["attendees"])]
    added = copy.deepcopy(last)
    for cell, typed in zip(added.findall(f"{w}tc"), ["", "Carer", "", "Apologies"], strict=True):
        texts = list(cell.iter(f"{w}t"))
        if typed:
            texts[0].text = typed
            for extra in texts[1:]:
                extra.text = ""
    last.addnext(added)
    word.save(tmp_path / "added.docx")
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [shutil.which("soffice"), f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "added.docx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    result = extract(tmp_path / "added.pdf")
    attendees = result.data["meeting"]["attendees"]
    assert attendees[:-1] == doc["meeting"]["attendees"]
    assert (attendees[-1]["role"], attendees[-1]["attendance"]) == ("carer", "apologies")
    assert result.unmapped == []
