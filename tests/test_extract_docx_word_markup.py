"""The markup real Word adds around what a person types changes nothing that is read.

Word does not keep a typed answer as one run: it splits text into runs at every edit session
(`w:rsidR` attributes), marks spelling and grammar (`w:proofErr`), where it last broke the page
(`w:lastRenderedPageBreak`), bookmarks, smart tags, hyperlinks and fields, and gives each run
its fonts and language. Every fixture form is
filled as a school does, then given all of that in every answer and every printed paragraph,
and must read exactly as the plain file does, values, unread text and warnings alike: with its
boxes (path 1) and without them (path 3).
"""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from pep_docs.extractors import extract
from tests.conftest import fixture_peps, load
from tests.school_fill import NS, _read, _write, q, school_form, strip_controls, with_added_rows

W = NS["w"]
WORD_RUN_FORMATTING = (
    f'<w:rPr xmlns:w="{W}"><w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:cs="Arial"/>'
    '<w:sz w:val="22"/><w:lang w:val="en-GB"/></w:rPr>'
)


def _wordy_runs(run: etree._Element, n: int) -> list[etree._Element]:
    """`run` split as Word splits it: in two at its middle, with the marks between."""
    t = run.find("w:t", NS)
    if t is None or not t.text or len(t.text) < 2:
        return [run]
    middle = len(t.text) // 2
    second = copy.deepcopy(run)
    t.text, second.find("w:t", NS).text = t.text[:middle], t.text[middle:]
    for r in (run, second):
        r.set(q("w:rsidR"), f"00{n:06X}")
        if r.find("w:rPr", NS) is None:  # Word's fonts and language on every run
            r.insert(0, etree.fromstring(WORD_RUN_FORMATTING))
        r.find("w:t", NS).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    marks = [
        etree.fromstring(f'<w:proofErr xmlns:w="{W}" w:type="spellStart"/>'),
        etree.fromstring(f'<w:bookmarkStart xmlns:w="{W}" w:id="{9000 + n}" w:name="_Hlk{n}"/>'),
        etree.fromstring(f'<w:bookmarkEnd xmlns:w="{W}" w:id="{9000 + n}"/>'),
        etree.fromstring(f'<w:proofErr xmlns:w="{W}" w:type="spellEnd"/>'),
    ]
    # A smart tag around the second half, and a page break Word last drew in the first.
    run.insert(1, etree.fromstring(f'<w:lastRenderedPageBreak xmlns:w="{W}"/>'))
    tag = etree.fromstring(
        f'<w:smartTag xmlns:w="{W}" w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="place"/>'
    )
    tag.append(second)
    return [run, *marks, tag]


def as_word_writes_it(docx: bytes) -> bytes:
    parts = _read(docx)
    body = etree.fromstring(parts["word/document.xml"])
    for n, p in enumerate(body.iter(q("w:p"))):
        p.set(q("w:rsidR"), f"00{n:06X}")
        p.set(q("w:rsidRDefault"), "00A1B2C3")
    for n, run in enumerate(list(body.iter(q("w:r")))):
        parent = run.getparent()
        at = parent.index(run)
        parent.remove(run)
        for k, piece in enumerate(_wordy_runs(run, n)):
            parent.insert(at + k, piece)
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    return _write(parts)


@pytest.mark.parametrize("boxes", ["with boxes", "boxes gone"])
@pytest.mark.parametrize("path", fixture_peps()[::6], ids=lambda p: p.stem)
def test_word_markup_changes_nothing_read(path, boxes):
    """Read by the boxes (path 1), and with the boxes gone, by labels (path 3)."""
    filled, _ = school_form(with_added_rows(load(path)))
    wordy = as_word_writes_it(filled)
    if boxes == "boxes gone":
        filled, wordy = strip_controls(filled), strip_controls(wordy)
    plain, wordy = extract(filled), extract(wordy)
    assert wordy.data == plain.data
    assert [(u.text, u.where) for u in wordy.unmapped] == [
        (u.text, u.where) for u in plain.unmapped
    ]
    assert [w.message for w in wordy.warnings] == [w.message for w in plain.warnings]


PLAIN = b'<w:rPr><w:rFonts w:ascii="Arial"/><w:kern w:val="0"/><w:lang w:val="en-GB"/></w:rPr>'
CHANGED = b'<w:rPr><w:del w:id="7" w:author="A Teacher"/><w:sz w:val="22"/></w:rPr>'
RESTYLED = (
    b'<w:rPr><w:b/><w:rPrChange w:id="8" w:author="A Teacher"><w:rPr><w:i/></w:rPr>'
    b"</w:rPrChange></w:rPr>"
)


def _part(*runs: bytes, before: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + before
        + f'<w:document xmlns:w="{W}"><w:body><w:p>'.encode()
        + b"".join(b"<w:r>" + formatting + b"<w:t>Ava &lt;w:rPr&gt;</w:t></w:r>" for formatting in runs)
        + b"</w:p></w:body></w:document>"
    )  # fmt: skip


def test_plain_run_formatting_is_left_out_and_tracked_changes_kept():
    from pep_docs.extractors.docx_text import without_run_formatting

    part = _part(PLAIN, CHANGED, RESTYLED, b"<w:rPr></w:rPr>", b"<w:rPr/>")
    lean = without_run_formatting(part)
    # A formatting change keeps its record; the plain formatting it was made from goes too.
    restyled = RESTYLED.replace(b"<w:rPr><w:i/></w:rPr>", b"")
    assert lean == _part(b"", CHANGED, restyled, b"", b"<w:rPr/>")
    assert [len(r) for r in etree.fromstring(lean).iter(q("w:r"))] == [1, 2, 2, 1, 2]


@pytest.mark.parametrize(
    "before",
    [b"<!-- a comment -->", b'<?mso-application progid="Word.Document"?>'],
    ids=["comment", "processing instruction"],
)
def test_run_formatting_is_kept_where_markup_is_not_plain(before):
    """A comment or processing instruction may hold a `<` that starts no tag: left as it is."""
    from pep_docs.extractors.docx_text import without_run_formatting

    part = _part(PLAIN, before=before)
    assert without_run_formatting(part) == part


def test_run_formatting_is_kept_in_utf16():
    from pep_docs.extractors.docx_text import without_run_formatting

    part = _part(PLAIN).replace(b"UTF-8", b"UTF-16").decode().encode("utf-16")
    assert without_run_formatting(part) == part
