"""What a school adds to a Word form besides its answers reaches the officer, on every path.

A filled form (as `tests/school_fill.py` fills it, playing Word) is given what designated
teachers add in Word: a comment on a question, a footnote and an endnote, a line in the page
header, a text box (written twice, as Word writes it: a drawing and its VML fallback), two
pictures (a screenshot in an answer, one on a line of its own), and tracked changes nobody
accepted (an insertion, a deletion and a move inside an answer, a deletion in the text box).
Then it is read as returned (path 1), after a real LibreOffice opened and saved it (path 2),
and with its content controls gone (path 3). Each note is in `unmapped` once, saying where it was; each
picture is named in a warning; the answers read as Word shows them with the changes accepted,
and a warning at each answer (or place) says how many changes there were.
"""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from pep_docs.extractors import extract
from tests.conftest import PEPS, load
from tests.school_fill import (
    NS,
    _read,
    _set_bound,
    _write,
    libreoffice,
    q,
    school_form,
    strip_controls,
)

FIXTURE = PEPS / "bf-early-years-initial.json"
PICTURED = "/attainment/summary"  # the answer with a screenshot pasted into it
CHANGED = "/child_views/going_well"  # the answer with tracked changes in it
SHOWN = "Enjoys art and PE. Has two good friends on his own."  # it, changes accepted
COMMENT = "Venue changed at short notice: see the email of 3 November."
FOOTNOTE = "Figures from the school's own tracker, not the local authority's."
ENDNOTE = "Form completed with the carer present."
HEADER = "Draft 2, updated by the designated teacher"
TEXT_BOX = "Please ring me about transport to the new setting."
AUTHOR = "Ms Example Teacher"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.wordprocessingml"
WORD_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
)


def _run(text: str, tag: str = "w:t") -> str:
    return f'<w:r><{tag} xml:space="preserve">{text}</{tag}></w:r>'


def _notes_part(kind: str, text: str) -> bytes:
    """A footnotes or endnotes part as Word writes it: two separators, then note 1."""
    one = kind[:-1]
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind} {WORD_NS}>'
        f'<w:{one} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{one}>'
        f'<w:{one} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
        f"</w:r></w:p></w:{one}>"
        f'<w:{one} w:id="1"><w:p><w:r><w:{one}Ref/></w:r>{_run(" " + text)}</w:p></w:{one}>'
        f"</w:{kind}>"
    ).encode()


def _text_box(text: str) -> etree._Element:
    """A paragraph holding a text box, as Word 2010 and later write it (drawing + VML copy)."""
    first, rest = text.split(" ", 1)  # with a word deleted, change tracking on
    deleted = f'<w:del w:id="31" w:author="{AUTHOR}">{_run(" please", "w:delText")}</w:del>'
    box = f"<w:txbxContent><w:p>{_run(first)}{deleted}{_run(' ' + rest)}</w:p></w:txbxContent>"
    xml = (
        f"<w:p {WORD_NS}><w:r><mc:AlternateContent>"
        f'<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp>"
        f"</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:rect><v:textbox>{box}</v:textbox></v:rect></w:pict>"
        f"</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    return etree.fromstring(xml)


def _picture(n: int) -> etree._Element:
    """A run holding a picture, as Word inserts one (in line with text)."""
    pic = "http://schemas.openxmlformats.org/drawingml/2006/picture"
    xml = (
        f'<w:r {WORD_NS} xmlns:pic="{pic}" xmlns:r="{REL}"><w:drawing>'
        '<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="952500" cy="952500"/>'
        f'<wp:docPr id="{n}" name="Picture {n}"/><a:graphic><a:graphicData uri="{pic}">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{n}" name="tracker.png"/><pic:cNvPicPr/>'
        '</pic:nvPicPr><pic:blipFill><a:blip r:embed="rIdPic"/><a:stretch><a:fillRect/>'
        '</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
        '<a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
        "</a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>"
        "</w:drawing></w:r>"
    )
    return etree.fromstring(xml)


def _control(body: etree._Element, pointer: str) -> etree._Element:
    return next(
        sdt
        for sdt in body.iter(q("w:sdt"))
        if sdt.find("w:sdtPr/w:tag", NS) is not None
        and sdt.find("w:sdtPr/w:tag", NS).get(q("w:val")) == pointer
    )


def with_notes(docx: bytes) -> bytes:
    """The filled form with what a designated teacher adds in Word."""
    parts = _read(docx)
    body = etree.fromstring(parts["word/document.xml"])
    # A comment on the venue: its range around the box, its mark in a run after it.
    venue = _control(body, "/meeting/venue")
    parent = venue.getparent()
    at = parent.index(venue)
    parent.insert(at, etree.fromstring(f'<w:commentRangeStart xmlns:w="{NS["w"]}" w:id="7"/>'))
    parent.insert(at + 2, etree.fromstring(f'<w:commentRangeEnd xmlns:w="{NS["w"]}" w:id="7"/>'))
    parent.insert(
        at + 3,
        etree.fromstring(f'<w:r xmlns:w="{NS["w"]}"><w:commentReference w:id="7"/></w:r>'),
    )
    # The footnote's and endnote's marks: after the labels of the meeting date and time.
    for pointer, kind in (("/meeting/date", "footnote"), ("/meeting/time", "endnote")):
        row = next(_control(body, pointer).iterancestors(q("w:tr")))
        label = next(row.iter(q("w:p")))
        label.append(
            etree.fromstring(f'<w:r xmlns:w="{NS["w"]}"><w:{kind}Reference w:id="1"/></w:r>')
        )
    # Tracked changes in a paragraph answer: an insertion, a deletion and a move.
    content = _control(body, CHANGED).find("w:sdtContent", NS)
    for child in list(content):
        content.remove(child)
    changes = (
        f'<w:p xmlns:w="{NS["w"]}">'
        f'<w:moveTo w:id="21" w:author="{AUTHOR}">{_run("Enjoys art and PE. ")}</w:moveTo>'
        f"{_run('Has two good friends')}"
        f'<w:del w:id="22" w:author="{AUTHOR}">{_run(" with help", "w:delText")}</w:del>'
        f'<w:ins w:id="23" w:author="{AUTHOR}">{_run(" on his own")}</w:ins>{_run(".")}'
        f'<w:moveFrom w:id="24" w:author="{AUTHOR}">{_run(" Enjoys art and PE.")}</w:moveFrom>'
        "</w:p>"
    )
    content.append(etree.fromstring(changes))
    # Word keeps the value bound to the box as the box shows it.
    values = next(n for n in parts if n.startswith("customXml/item") and b"values" in parts[n])
    bound = etree.fromstring(parts[values])
    _set_bound(bound, CHANGED, SHOWN)
    parts[values] = etree.tostring(bound, xml_declaration=True, encoding="UTF-8")
    # A text box after the first table.
    table = next(body.iter(q("w:tbl")))
    table.addnext(_text_box(TEXT_BOX))
    # A screenshot of the school's tracker in an answer, and one on a line of its own.
    content = _control(body, PICTURED).find("w:sdtContent", NS)
    content.append(_picture(101))
    tables = list(body.iter(q("w:tbl")))
    tables[3].addnext(etree.fromstring(f'<w:p xmlns:w="{NS["w"]}"/>'))
    tables[3].getnext().append(_picture(102))
    parts["word/media/tracker.png"] = parts["word/media/logo.png"]
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    parts["word/comments.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments {WORD_NS}>'
        f'<w:comment w:id="7" w:author="{AUTHOR}" w:initials="ET"><w:p>'
        f"<w:r><w:annotationRef/></w:r>{_run(COMMENT)}</w:p></w:comment></w:comments>"
    ).encode()
    parts["word/footnotes.xml"] = _notes_part("footnotes", FOOTNOTE)
    parts["word/endnotes.xml"] = _notes_part("endnotes", ENDNOTE)
    header = etree.fromstring(parts["word/header1.xml"])
    header.append(etree.fromstring(f'<w:p xmlns:w="{NS["w"]}">{_run(HEADER)}</w:p>'))
    parts["word/header1.xml"] = etree.tostring(header, xml_declaration=True, encoding="UTF-8")
    rels = parts["word/_rels/document.xml.rels"].decode()
    picture = f'<Relationship Id="rIdPic" Type="{REL}/image" Target="media/tracker.png"/>'
    rels = rels.replace("</Relationships>", picture + "</Relationships>")
    types = parts["[Content_Types].xml"].decode()
    for n, kind in enumerate(("comments", "footnotes", "endnotes")):
        rel = f'<Relationship Id="rIdNote{n}" Type="{REL}/{kind}" Target="{kind}.xml"/>'
        rels = rels.replace("</Relationships>", rel + "</Relationships>")
        override = f'<Override PartName="/word/{kind}.xml" ContentType="{CT}.{kind}+xml"/>'
        types = types.replace("</Types>", override + "</Types>")
    parts["word/_rels/document.xml.rels"] = rels.encode()
    parts["[Content_Types].xml"] = types.encode()
    return _write(parts)


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict:
    doc = load(FIXTURE)
    filled, _ = school_form(doc)
    noted = with_notes(filled)
    root = tmp_path_factory.mktemp("notes")
    (root / "noted.docx").write_bytes(noted)
    (saved,) = libreoffice([root / "noted.docx"], root / "lo", "docx", root / "profile")
    return {
        "plain": extract(filled),
        "word": extract(noted),
        "libreoffice": extract(saved.read_bytes()),
        "pasted": extract(strip_controls(noted)),
        "plain-pasted": extract(strip_controls(filled)),
    }


def _pairs(extraction) -> list[tuple[str, str]]:
    return [(u.text, u.where) for u in extraction.unmapped]


def _without(data: dict, pointer: str) -> dict:
    out = copy.deepcopy(data)
    section, name = pointer.strip("/").split("/")
    del out[section][name]
    return out


NOTES = (
    None,
    "this form has 3 comments or notes added in Word: they are listed as unread text; check them",
)
READ = "read as if accepted (deleted text left out)"
CHANGE_IN_BOX = (
    None,
    f"this form has a tracked change nobody accepted near '{TEXT_BOX}': {READ}: check it",
)
CHANGES_IN_ANSWER = (
    CHANGED,
    f"Child's views: 'What is going well?': 4 tracked changes nobody accepted: {READ}: check them",
)


def test_word_every_note_once_where_it_was(returns):
    word, plain = returns["word"], returns["plain"]
    assert _pairs(word) == _pairs(plain) + [
        (TEXT_BOX, "typed outside the form's boxes"),
        (COMMENT, f"a Word comment by {AUTHOR} on PEP meeting: 'Venue'"),
        (FOOTNOTE, "a footnote on PEP meeting: 'Date of meeting'"),
        (ENDNOTE, "an endnote on PEP meeting: 'Time of meeting'"),
        (HEADER, "typed in the page header"),
    ]


PICTURE_ON_A_LINE = (
    None,
    "a picture was pasted in the form near 'Who the child is and where they are in their "
    "education.': it cannot be read, so look at it there",
)
PICTURE_IN_ANSWER = (
    PICTURED,
    "Attainment and progress: 'Progress summary': a picture was pasted here: it cannot be "
    "read, so look at it in the form",
)


def _warnings(extraction) -> list[tuple[str | None, str]]:
    return [(w.pointer, w.message) for w in extraction.warnings]


def test_word_changes_read_as_accepted_pictures_named(returns):
    word, plain = returns["word"], returns["plain"]
    assert word.data["child_views"]["going_well"] == SHOWN
    assert _without(word.data, CHANGED) == _without(plain.data, CHANGED)
    assert _warnings(word) == _warnings(plain) + [
        NOTES,
        PICTURE_ON_A_LINE,
        PICTURE_IN_ANSWER,
        CHANGE_IN_BOX,
        CHANGES_IN_ANSWER,
    ]


def test_libreoffice_keeps_every_note(returns):
    """LibreOffice rewrites all of it (its own comment and note parts, its own text box XML,
    and the text box its own way); every note still arrives once."""
    saved, plain = returns["libreoffice"], returns["plain"]
    added = [pair for pair in _pairs(saved) if pair not in _pairs(plain)]
    assert sorted(text for text, _ in added) == sorted(
        [TEXT_BOX, COMMENT, FOOTNOTE, ENDNOTE, HEADER]
    )
    where = dict(added)
    assert where[COMMENT].startswith(f"a Word comment by {AUTHOR}")
    assert where[HEADER] == "typed in the page header"
    # LibreOffice fills a bound box from the data part, where Word keeps the text as shown:
    # the changes in the answer are gone; the one in the text box is kept.
    assert saved.data["child_views"]["going_well"] == SHOWN
    assert _warnings(saved) == _warnings(plain) + [
        NOTES,
        PICTURE_ON_A_LINE,
        PICTURE_IN_ANSWER,
        CHANGE_IN_BOX,
    ]


def test_pasted_notes_named_by_the_label_beside_them(returns):
    """Without content controls, a note is placed by the label in its row."""
    pasted, plain = returns["pasted"], returns["plain-pasted"]
    assert _pairs(pasted) == _pairs(plain) + [
        (TEXT_BOX, "after 'PEP meeting'"),
        (COMMENT, f"a Word comment by {AUTHOR} near 'Venue'"),
        (FOOTNOTE, "a footnote near 'Date of meeting'"),
        (ENDNOTE, "an endnote near 'Time of meeting'"),
        (HEADER, "typed in the page header"),
    ]
    assert pasted.data["child_views"]["going_well"] == SHOWN
    assert _warnings(pasted) == _warnings(plain) + [
        NOTES,
        PICTURE_ON_A_LINE,
        (None, "a picture was pasted in the form near 'Progress summary': it cannot be read, "
         "so look at it there"),
        CHANGE_IN_BOX,
        (None, f"this form has 4 tracked changes nobody accepted near 'What is going well?': "
         f"{READ}: check them"),
    ]  # fmt: skip


def test_a_form_without_notes_reports_none(returns):
    """The blank form's own header and footer lines (the footer names the child) are printed,
    not typed."""
    plain = returns["plain"]
    assert [u for u in plain.unmapped if "page" in u.where or "note" in u.where] == []
    assert not any(
        word in w.message for w in plain.warnings for word in ("tracked", "picture", "comment")
    )


def test_word_text_elements_read_as_shown():
    """Word writes some typed characters as elements: a non-breaking hyphen (Ctrl+Shift+hyphen)
    is a hyphen, in an answer and outside the boxes; a paragraph's tab stops are no tabs, a
    typed tab is one; a line break (Shift+Enter) is a newline, outside the boxes too."""
    filled, _ = school_form(load(FIXTURE))
    parts = _read(filled)
    body = etree.fromstring(parts["word/document.xml"])
    w = f'xmlns:w="{NS["w"]}"'
    venue = _control(body, "/meeting/venue").find("w:sdtContent", NS)
    for child in list(venue):
        venue.remove(child)
    venue.append(
        etree.fromstring(f"<w:r {w}><w:t>Re</w:t><w:noBreakHyphen/><w:t>view room</w:t></w:r>")
    )
    content = _control(body, CHANGED).find("w:sdtContent", NS)
    for child in list(content):
        content.remove(child)
    content.append(
        etree.fromstring(
            f'<w:p {w}><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
            "<w:r><w:t>Art</w:t><w:tab/><w:t>every day</w:t></w:r></w:p>"
        )
    )
    table = next(body.iter(q("w:tbl")))
    table.addnext(
        etree.fromstring(
            f'<w:p {w}><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
            "<w:r><w:t>Call on 01234</w:t><w:noBreakHyphen/><w:t>567890</w:t><w:br/>"
            "<w:t>or</w:t><w:tab/><w:t>07700 900123</w:t></w:r></w:p>"
        )
    )
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    read = extract(_write(parts))
    assert read.data["meeting"]["venue"] == "Re-view room"
    assert read.data["child_views"]["going_well"] == "Art\tevery day"
    typed = ("Call on 01234-567890\nor\t07700 900123", "typed outside the form's boxes")
    assert typed in _pairs(read)


def test_more_notes_and_pictures_than_the_bound_are_cut_and_said():
    """An untrusted file may hold any number: 100 of each are listed, and the rest said."""
    from pep_docs.extractors.result import MAX_NOTES

    filled, _ = school_form(load(FIXTURE))
    parts = _read(filled)
    body = etree.fromstring(parts["word/document.xml"])
    line = etree.fromstring(f'<w:p xmlns:w="{NS["w"]}"/>')
    next(body.iter(q("w:tbl"))).addnext(line)
    for n in range(MAX_NOTES + 5):
        line.append(_picture(200 + n))
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    parts["word/media/tracker.png"] = parts["word/media/logo.png"]
    comments = "".join(
        f'<w:comment w:id="{n}" w:author="{AUTHOR}"><w:p>{_run(f"Note {n}")}</w:p></w:comment>'
        for n in range(MAX_NOTES + 20)
    )
    parts["word/comments.xml"] = f"<w:comments {WORD_NS}>{comments}</w:comments>".encode()
    rels = parts["word/_rels/document.xml.rels"].decode()
    added = (
        f'<Relationship Id="rIdPic" Type="{REL}/image" Target="media/tracker.png"/>'
        f'<Relationship Id="rIdNotes" Type="{REL}/comments" Target="comments.xml"/>'
    )
    parts["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>", added + "</Relationships>"
    ).encode()
    read = extract(_write(parts))
    listed = [u for u in read.unmapped if u.where.startswith("a Word comment")]
    assert [u.text for u in listed] == [f"Note {n}" for n in range(MAX_NOTES)]
    assert read.warnings[0].message == (
        f"this form has more than {MAX_NOTES} comments or notes added in Word: the first "
        f"{MAX_NOTES} are listed as unread text, the rest were not read; open the form to read them"
    )
    pictures = [w.message for w in read.warnings if "picture" in w.message]
    assert len(pictures) == MAX_NOTES + 1
    assert pictures[-1] == (
        f"this form has more than {MAX_NOTES} pictures, charts or embedded objects: the rest "
        "are not listed; look at the form"
    )


def test_a_corrected_child_name_leaves_the_footer_printed():
    """The footer was printed with the name the form was sent with. A school that corrects the
    name in its box (Word keeps the values part in step) leaves the footer as it was: it is
    still the form's own line, not a line typed in the footer."""
    filled, _ = school_form(load(FIXTURE))
    parts = _read(filled)
    body = etree.fromstring(parts["word/document.xml"])
    sent = next(_control(body, "/child/first_name").iter(q("w:t"))).text
    for t in _control(body, "/child/first_name").iter(q("w:t")):
        t.text = "Corrected"
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    name = next(n for n in parts if b"urn:pep-docs:values" in parts[n])
    values = etree.fromstring(parts[name])
    _set_bound(values, "/child/first_name", "Corrected")
    parts[name] = etree.tostring(values, xml_declaration=True, encoding="UTF-8")
    footer = etree.fromstring(parts["word/footer1.xml"])
    assert sent in "".join(footer.itertext())

    read = extract(_write(parts))
    assert read.data["child"]["first_name"] == "Corrected"
    assert [u for u in read.unmapped if "page" in u.where] == []
