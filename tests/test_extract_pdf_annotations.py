"""Text a person adds to a returned fillable PDF with a reader's comment tools is never lost.

A real form is rendered and filled as a school would (`school_fill_pdf`), then sticky notes, a
typed text box, a comment on a highlight, a popup and a link are added with pypdf, as a reader
saves them. Every note comes back in `unmapped` with what it is, its page and the field beside
it, with one warning; the form's data is the same as without them. Both readers (the small
object reader, and pypdf for a file qpdf rewrote with object streams) give the same notes.
"""

from __future__ import annotations

import codecs
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText, Highlight, Link, Popup, Text
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from pep_docs.extractors import extract
from pep_docs.extractors.pdf_notes import MAX_NOTE_CHARS, collect, rich_text
from pep_docs.extractors.pdf_objects import MAX_ANNOTATIONS, MAX_NOTES, Unusual, read_form
from pep_docs.extractors.result import Unmapped
from pep_docs.forms import prepare
from pep_docs.render import render
from tests.conftest import PEPS, load
from tests.exactness import Tally

STEM = "bf-school-age-ehcp"
NOTE = "Ask Zoë’s carer – before Friday"  # PDFDocEncoding holds ’ and –
TYPED = "Zoë’s tutor – call Mon ✓"  # ✓ is not in PDFDocEncoding: written as UTF-16BE
QUESTION = "Is this figure right?"
MARGIN = "Seen by the VS head"
AUTHOR = "Mr Łukasz   Nowak (DT)"  # a reader writes who added a note in /T
SUMMARY = (
    "this form has 4 comments or notes added in a PDF reader: they are listed as unread text; "
    "check them"
)


@pytest.fixture(scope="module")
def filled() -> bytes:
    from tests.school_fill_pdf import fill_as_school

    doc = load(PEPS / f"{STEM}.json")
    return fill_as_school(render(prepare(data=doc), "pdf"), doc)


def _widget(data: bytes, pointer: str) -> tuple[int, tuple[float, float, float, float]]:
    """The page (from 0) and rectangle of a field's widget."""
    for index, page in enumerate(PdfReader(io.BytesIO(data)).pages):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/T") == pointer:
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                return index, (x0, y0, x1, y1)
    raise AssertionError(pointer)


def _on(data: bytes, pointer: str, size: float = 16) -> tuple[int, tuple[float, ...]]:
    """A small rectangle centred on a field's widget, and its page."""
    page, (x0, y0, x1, y1) = _widget(data, pointer)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return page, (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)


def _annotated(data: bytes, add: Callable[[PdfWriter], None]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    add(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _utf16(value: str) -> TextStringObject:
    return TextStringObject(codecs.BOM_UTF16_BE + value.encode("utf-16-be"))


def _every_kind(data: bytes) -> Callable[[PdfWriter], None]:
    def add(writer: PdfWriter) -> None:
        page, rect = _on(data, "/attendance/term_percent")
        sticky = Text(rect=rect, text=NOTE)
        sticky[NameObject("/T")] = _utf16(AUTHOR)
        note = writer.add_annotation(page, sticky)
        popup = Popup(rect=(rect[0], rect[1] - 80, rect[0] + 150, rect[1]), parent=note)
        popup[NameObject("/Contents")] = TextStringObject(NOTE)  # as some readers copy it
        writer.add_annotation(page, popup)
        link = Link(rect=(20, 20, 60, 40), target_page_index=0)
        link[NameObject("/Contents")] = TextStringObject("Go to page 1")  # a link's alt text
        writer.add_annotation(page, link)

        page, rect = _on(data, "/meeting/date", size=40)
        box = FreeText(text="", rect=rect)
        box[NameObject("/Contents")] = _utf16(TYPED)
        writer.add_annotation(page, box)

        page, (x0, y0, x1, y1) = _widget(data, "/child_views/going_well")
        quads = ArrayObject(FloatObject(v) for v in (x0, y1, x1, y1, x0, y0, x1, y0))
        mark = Highlight(rect=(x0, y0, x1, y1), quad_points=quads)
        mark[NameObject("/Contents")] = TextStringObject(QUESTION)
        writer.add_annotation(page, mark)

        empty = Highlight(rect=(x0, y0, x1, y1), quad_points=quads)  # a highlight, no comment
        writer.add_annotation(page, empty)

        # Rich text only (no /Contents), as some readers save a typed box.
        rich = FreeText(text="", rect=(x0, y0 - 60, x0 + 200, y0 - 30))
        del rich["/Contents"]
        rich[NameObject("/RC")] = TextStringObject(
            '<?xml version="1.0"?><body xmlns="http://www.w3.org/1999/xhtml">'
            '<p dir="ltr"><span style="font-size:10pt">Reviewed by the <b>DT</b></span></p>'
            "<p>see &amp; sign</p></body>"
        )
        writer.add_annotation(page, rich)

    return add


@pytest.fixture(scope="module")
def noted(filled) -> bytes:
    return _annotated(filled, _every_kind(filled))


def test_every_note_comes_back_in_unmapped_with_where_it_is(filled, noted):
    plain, result = extract(filled), extract(noted)
    assert [(u.text, u.where) for u in result.unmapped] == [
        (TYPED, "text added on page 1, near PEP meeting: 'Date of meeting'"),
        (
            NOTE,
            "a sticky note by Mr Łukasz Nowak (DT) on page 4, beside Attendance and "
            "exclusions: 'Attendance this term'",
        ),
        (
            QUESTION,
            "a comment on highlighted text on page 6, near Child's views: 'What is going well?'",
        ),
        (  # typed below that box: nearer the next one
            "Reviewed by the DT\nsee & sign",
            "text added on page 6, near Child's views: 'What is hard or worrying?'",
        ),
    ]
    assert [w.message for w in result.warnings] == [SUMMARY]
    assert result.data == plain.data
    assert result.fields == plain.fields
    assert plain.unmapped == [] and plain.warnings == []


def test_the_small_reader_reads_the_notes_and_pypdf_reads_the_same(noted):
    _fields, _identity, ours = read_form(noted)
    theirs = collect(PdfReader(io.BytesIO(noted)))
    assert ours.notes == theirs.notes
    assert sorted(ours.places, key=repr) == sorted(theirs.places, key=repr)
    assert [n.subtype for n in ours.notes] == ["/FreeText", "/Text", "/Highlight", "/FreeText"]
    # Both encodings of text strings are in the file: UTF-16BE with its BOM, PDFDocEncoding.
    assert b"/Contents (\\376\\377\\000Z\\000o\\000\\353 \\031" in noted
    assert b"/Contents (Ask Zo\\353\\220s carer \\205 before" in noted
    assert [n.contents for n in ours.notes[:2]] == [TYPED, NOTE]


def test_a_file_rewritten_by_qpdf_is_read_by_pypdf_with_the_same_notes(noted, tmp_path: Path):
    assert shutil.which("qpdf"), "qpdf is installed by scripts/install-system-packages.sh"
    source, packed = tmp_path / "noted.pdf", tmp_path / "packed.pdf"
    source.write_bytes(noted)
    subprocess.run(
        ["qpdf", "--object-streams=generate", str(source), str(packed)], check=True, timeout=60
    )
    with pytest.raises(Unusual):
        read_form(packed.read_bytes())
    fast, slow = extract(source), extract(packed)
    assert slow.unmapped == fast.unmapped
    assert len(slow.unmapped) == 4
    assert [w.message for w in slow.warnings] == [SUMMARY]
    assert slow.data == fast.data


def test_one_note_is_said_in_the_singular(filled):
    page, rect = _on(filled, "/attendance/term_percent")
    one = _annotated(filled, lambda w: w.add_annotation(page, Text(rect=rect, text="Check")))
    result = extract(one)
    assert [(u.text, u.where) for u in result.unmapped] == [
        (
            "Check",
            "a sticky note on page 4, beside Attendance and exclusions: 'Attendance this term'",
        )
    ]
    assert [w.message for w in result.warnings] == [
        "this form has 1 comment or note added in a PDF reader: it is listed as unread text; "
        "check it"
    ]


def test_more_notes_than_the_cap_are_cut_and_said(filled):
    page, rect = _on(filled, "/attendance/term_percent")

    def many(writer: PdfWriter) -> None:
        for n in range(MAX_NOTES + 20):
            writer.add_annotation(page, Text(rect=rect, text=f"note {n + 1}"))

    result = extract(_annotated(filled, many))
    assert [u.text for u in result.unmapped] == [f"note {n + 1}" for n in range(MAX_NOTES)]
    assert [w.message for w in result.warnings] == [
        f"this form has {MAX_NOTES} comments or notes added in a PDF reader: they are listed "
        "as unread text; check them",
        f"this form has more comments or notes than are read ({MAX_NOTES} notes, "
        f"{MAX_ANNOTATIONS} annotations in all): the rest were not read; open the PDF to see them",
    ]


def test_a_long_note_is_cut_and_said(filled):
    page, rect = _on(filled, "/attendance/term_percent")
    long = "word " * MAX_NOTE_CHARS
    result = extract(
        _annotated(filled, lambda w: w.add_annotation(page, Text(rect=rect, text=long)))
    )
    assert [len(u.text) for u in result.unmapped] == [MAX_NOTE_CHARS]
    assert result.unmapped[0].text == long[: MAX_NOTE_CHARS - 1] + "…"
    assert [w.message for w in result.warnings][1:] == [
        f"a comment or note longer than {MAX_NOTE_CHARS} characters was cut short; open the "
        "PDF to read it whole"
    ]


def test_rich_text_is_read_without_entities_or_network():
    assert rich_text("<body><p>one</p>\n<p>two<br/>three</p></body>") == "one\ntwo\nthree"
    assert rich_text("<p>a  <i>b</i></p><p>c") == "a b\nc"  # a fragment, not closed
    assert rich_text("plain words") == "plain words"
    assert rich_text("") == ""
    outside = (
        '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<body><p>before &e; after</p></body>"
    )
    assert rich_text(outside) == "before after"
    bomb = '<!DOCTYPE b [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><body>x &b; y</body>'
    assert rich_text(bomb) == "x y"
    assert len(rich_text("<p>" + "x" * 200_000 + "</p>")) == 64 * 1024 - 3


def test_a_note_with_no_rectangle_or_field_nearby_names_its_page(filled):
    def add(writer: PdfWriter) -> None:
        note = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Stamp"),
                NameObject("/Contents"): TextStringObject("Approved"),
            }
        )
        writer.add_annotation(0, note)

    result = extract(_annotated(filled, add))
    assert [(u.text, u.where) for u in result.unmapped] == [
        ("Approved", "a comment on a stamp on page 1")
    ]


def test_more_annotations_than_the_cap_stop_the_reading_and_say_so(filled):
    """Links are not notes, but each is looked at: past the cap, reading stops (a note after
    them is not read) and the warning says so."""

    def links_then_a_note(writer: PdfWriter) -> None:
        for _ in range(MAX_ANNOTATIONS + 1):
            writer.add_annotation(0, Link(rect=(20, 20, 60, 40), target_page_index=0))
        writer.add_annotation(0, Text(rect=(20, 20, 40, 40), text="never read"))

    data = _annotated(filled, links_then_a_note)
    _fields, _identity, ours = read_form(data)
    assert ours.notes == [] and ours.cut is True
    result = extract(data)
    assert result.unmapped == []
    assert [w.message for w in result.warnings] == [
        f"this form has more comments or notes than are read ({MAX_NOTES} notes, "
        f"{MAX_ANNOTATIONS} annotations in all): the rest were not read; open the PDF to see them"
    ]
    assert result.data == extract(filled).data


def test_rich_text_in_a_stream_is_read_by_pypdf(filled):
    """/RC may be a stream: the small reader leaves the file to pypdf, which inflates it (the
    file passed the bomb checks first)."""
    page, rect = _on(filled, "/attendance/term_percent")

    def add(writer: PdfWriter) -> None:
        stream = DecodedStreamObject()
        stream.set_data(b"<body><p>From a stream</p><p>second line</p></body>")
        box = FreeText(text="", rect=rect)
        del box["/Contents"]
        box[NameObject("/RC")] = writer._add_object(stream.flate_encode())
        writer.add_annotation(page, box)

    data = _annotated(filled, add)
    with pytest.raises(Unusual):
        read_form(data)
    result = extract(data)
    assert [(u.text, u.where) for u in result.unmapped] == [
        (
            "From a stream\nsecond line",
            "text added on page 4, near Attendance and exclusions: 'Attendance this term'",
        )
    ]


@pytest.fixture(scope="module")
def flat(filled, tmp_path_factory) -> Path:
    """The filled form flattened by qpdf: no fields any more."""
    out = tmp_path_factory.mktemp("flat")
    source, flat = out / "filled.pdf", out / "flat.pdf"
    source.write_bytes(filled)
    subprocess.run(
        ["qpdf", "--flatten-annotations=all", str(source), str(flat)], check=True, timeout=60
    )
    return flat


def test_a_flattened_copy_places_each_note_at_the_question_it_is_on(filled, flat):
    """Path 5: a copy flattened by qpdf, commented on afterwards. A note does not print, so it
    is not in the page text: pdfium's list of annotations gives it. The copy has no widgets,
    but its boxes are where the form prints them: a note is placed at the box it is on, as on
    the fillable form; one in a page's margin far from every box, by its page alone."""

    def add(writer: PdfWriter) -> None:
        page, rect = _on(filled, "/attendance/term_percent")
        sticky = Text(rect=rect, text=NOTE)
        sticky[NameObject("/T")] = _utf16(AUTHOR)
        note = writer.add_annotation(page, sticky)
        writer.add_annotation(page, Popup(rect=(100, 100, 250, 200), parent=note))
        page, rect = _on(filled, "/meeting/date", size=40)
        box = FreeText(text="", rect=rect)
        box[NameObject("/Contents")] = _utf16(TYPED)
        writer.add_annotation(page, box)
        writer.add_annotation(0, Link(rect=(20, 20, 60, 40), target_page_index=1))
        # At the foot of page 2, below its footer: more than half an inch from every box.
        writer.add_annotation(1, Text(rect=(290, 2, 306, 18), text=MARGIN))

    plain = extract(flat)
    result = extract(_annotated(flat.read_bytes(), add))
    assert plain.source["layout"] == result.source["layout"] == "pdf-form"
    assert [(u.text, u.where) for u in result.unmapped][len(plain.unmapped) :] == [
        (TYPED, "text added on page 1, near PEP meeting: 'Date of meeting'"),
        (MARGIN, "a sticky note on page 2"),
        (
            NOTE,
            "a sticky note by Mr Łukasz Nowak (DT) on page 4, beside Attendance and "
            "exclusions: 'Attendance this term'",
        ),
    ]
    assert [w.message for w in result.warnings][len(plain.warnings) :] == [
        "this form has 3 comments or notes added in a PDF reader: they are listed as unread "
        "text; check them"
    ]
    assert result.data == plain.data and result.fields == plain.fields


def test_the_fillable_form_and_its_flattened_copy_name_the_same_field(filled, noted, flat):
    """The same notes on the fillable form and on its flattened copy are said the same way,
    the box they are on and the nearest one below them alike (a text box typed under a box is
    nearer the next one)."""
    fillable = extract(noted)
    plain = extract(flat)
    flattened = extract(_annotated(flat.read_bytes(), _every_kind(filled)))
    assert flattened.unmapped[len(plain.unmapped) :] == fillable.unmapped
    assert [w.message for w in flattened.warnings][len(plain.warnings) :] == [SUMMARY]
    assert flattened.data == plain.data
    # Every character typed is in the data or in unmapped: the notes add none to the data.
    tally = Tally()
    tally.add(load(PEPS / f"{STEM}.json"), flattened, "flattened")
    assert (tally.exact, tally.missed) == (tally.total, {})


def test_a_flattened_copy_with_more_notes_than_the_cap(flat):
    def many(writer: PdfWriter) -> None:
        for n in range(MAX_NOTES + 5):
            # In the margin at the foot of the page: placed by its page alone.
            writer.add_annotation(n % 3, Text(rect=(290, 2, 306, 18), text=f"note {n + 1}"))

    plain = extract(flat)
    result = extract(_annotated(flat.read_bytes(), many))
    notes = result.unmapped[len(plain.unmapped) :]
    assert len(notes) == MAX_NOTES
    assert notes[:4] == [
        Unmapped("note 1", "a sticky note on page 1"),
        Unmapped("note 4", "a sticky note on page 1"),
        Unmapped("note 7", "a sticky note on page 1"),
        Unmapped("note 10", "a sticky note on page 1"),
    ]
    assert [w.message for w in result.warnings][len(plain.warnings) :] == [
        f"this form has {MAX_NOTES} comments or notes added in a PDF reader: they are listed "
        "as unread text; check them",
        f"this form has more comments or notes than are read ({MAX_NOTES} notes, "
        f"{MAX_ANNOTATIONS} annotations in all): the rest were not read; open the PDF to see them",
    ]


def test_text_typed_over_an_unanswered_box_is_its_answer():
    """A school that types over the boxes with a reader's text tool ("Fill & Sign") instead of
    into them: the text inside an unanswered question's box is its answer, read by its place
    and warned about; a second text over the same box, and text over an answered one, stay
    notes."""
    import copy

    doc = copy.deepcopy(load(PEPS / f"{STEM}.json"))
    del doc["child_views"]["going_well"]
    sent = render(prepare(data=doc), "pdf")
    over_empty, again = "Likes art and PE.", "And football."

    def add(writer: PdfWriter) -> None:
        for text in (over_empty, again):
            page, rect = _on(sent, "/child_views/going_well")
            box = FreeText(text="", rect=rect)
            box[NameObject("/Contents")] = TextStringObject(text)
            writer.add_annotation(page, box)

    read = extract(_annotated(sent, add))
    assert read.data["child_views"]["going_well"] == over_empty
    assert read.fields["/child_views/going_well"] == {"how": "layout", "confidence": "medium"}
    page = _widget(sent, "/child_views/going_well")[0] + 1
    assert [(w.pointer, w.message) for w in read.warnings] == [
        (
            "/child_views/going_well",
            f"Child's views: 'What is going well?': was typed over its box on page {page} with "
            "a PDF reader's text tool, not into the box: read from there, check it",
        ),
        (None, "this form has 1 comment or note added in a PDF reader: it is listed as unread "
         "text; check it"),
    ]  # fmt: skip
    assert [u.text for u in read.unmapped] == [again]


def _flattened(data: bytes, tmp_path: Path) -> bytes:
    source, flat = tmp_path / "source.pdf", tmp_path / "flat.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["qpdf", "--flatten-annotations=all", str(source), str(flat)], check=True, timeout=60
    )
    return flat.read_bytes()


def _typed_at_top_of(sent: bytes, pointer: str, text: str) -> Callable[[PdfWriter], None]:
    """Text typed with a reader's text tool at the top left of a box, drawn as a reader draws
    it (an appearance stream in Helvetica), so that flattening prints it on the page."""

    def add(writer: PdfWriter) -> None:
        page, (x0, _y0, _x1, y1) = _widget(sent, pointer)
        rect = (x0 + 4, y1 - 18, x0 + 120, y1 - 4)
        box = FreeText(text="", rect=rect)
        box[NameObject("/Contents")] = TextStringObject(text)
        drawn = DecodedStreamObject()
        drawn.set_data(f"BT /Helv 10 Tf 2 3 Td ({text}) Tj ET".encode())
        helvetica = {"/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/Helvetica"}
        font = DictionaryObject({NameObject(k): NameObject(v) for k, v in helvetica.items()})
        drawn.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject(
                    FloatObject(v) for v in (0, 0, rect[2] - rect[0], rect[3] - rect[1])
                ),
                NameObject("/Resources"): DictionaryObject(
                    {NameObject("/Font"): DictionaryObject({NameObject("/Helv"): font})}
                ),
            }
        )
        box[NameObject("/AP")] = DictionaryObject({NameObject("/N"): writer._add_object(drawn)})
        writer.add_annotation(page, box)

    return add


@pytest.fixture(scope="module")
def unanswered() -> bytes:
    """The form sent with one question left unanswered: the child's 'What is going well?'."""
    import copy

    doc = copy.deepcopy(load(PEPS / f"{STEM}.json"))
    del doc["child_views"]["going_well"]
    return render(prepare(data=doc), "pdf")


def test_text_typed_over_boxes_then_flattened_is_printed_in_them_and_read_there(
    unanswered, tmp_path
):
    """Text typed over the boxes with a reader's text tool ("Fill & Sign"), then flattened:
    qpdf prints it on the page, where it is nothing but text in a box, read once. Over the
    unanswered box it is that question's answer (without the fillable form's warning: the
    copy cannot show how it was typed); over an answered box it is read as the rest of that
    answer, as a person reading the page would (the fillable form keeps it apart, as a
    note)."""
    typed, extra = "Likes art and PE.", "Also: music."
    both = [
        _typed_at_top_of(unanswered, "/child_views/going_well", typed),
        _typed_at_top_of(unanswered, "/child_views/challenges", extra),
    ]
    fillable = _annotated(unanswered, lambda w: [add(w) for add in both])
    flat = _flattened(fillable, tmp_path)
    as_filled, as_flat = extract(fillable), extract(flat)
    assert as_filled.data["child_views"]["going_well"] == typed
    assert [u.text for u in as_filled.unmapped] == [extra]
    assert as_flat.data["child_views"]["going_well"] == typed
    assert as_flat.fields["/child_views/going_well"] == {"how": "layout", "confidence": "medium"}
    challenges = load(PEPS / f"{STEM}.json")["child_views"]["challenges"]
    assert as_flat.data["child_views"]["challenges"] == f"{challenges}\n{extra}"
    assert as_flat.unmapped == [] and as_flat.warnings == []


def test_text_typed_on_a_flattened_copy_is_read_as_on_the_fillable_form(unanswered, tmp_path):
    """A school that printed the form to PDF and typed on the print with a reader's text tool:
    text inside the unanswered box is its answer, with the same warning as on the fillable form;
    a second text over it stays a note beside it."""
    flat = _flattened(unanswered, tmp_path)
    texts = ("Likes art and PE.", "And football.")

    def add(writer: PdfWriter) -> None:
        for text in texts:
            page, rect = _on(unanswered, "/child_views/going_well")
            box = FreeText(text="", rect=rect)
            box[NameObject("/Contents")] = TextStringObject(text)
            writer.add_annotation(page, box)

    fillable, flattened = extract(_annotated(unanswered, add)), extract(_annotated(flat, add))
    page = _widget(unanswered, "/child_views/going_well")[0] + 1
    for read in (fillable, flattened):
        assert read.data["child_views"]["going_well"] == texts[0]
        assert read.fields["/child_views/going_well"] == {"how": "layout", "confidence": "medium"}
        assert [w.message for w in read.warnings] == [
            f"Child's views: 'What is going well?': was typed over its box on page {page} with "
            "a PDF reader's text tool, not into the box: read from there, check it",
            "this form has 1 comment or note added in a PDF reader: it is listed as unread "
            "text; check it",
        ]
        assert [(u.text, u.where) for u in read.unmapped] == [
            (texts[1], f"text added on page {page}, near Child's views: 'What is going well?'")
        ]
