"""Text of Word paragraphs and table cells as a person sees it, and label text made comparable.

Runs are joined; a line break (`w:br`, `w:cr`) is a newline, a tab a tab (not a tab stop), a
non-breaking hyphen a hyphen, and paragraphs inside one cell are separated by newlines, so
multi-paragraph answers keep their breaks. One pass of lxml's C iterator per element, no per-run
Python beyond the join.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from pep_docs.extractors.safety import plain_markup

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
P, T, BR, CR, TAB = (f"{{{W}}}{t}" for t in ("p", "t", "br", "cr", "tab"))
# Ctrl+Shift+hyphen in Word: a hyphen that is an element, not text. A `w:tab` inside `w:tabs` is
# a paragraph's tab stop, not a tab typed.
HYPHEN, TABS = f"{{{W}}}noBreakHyphen", f"{{{W}}}tabs"
# The elements a paragraph's text is made of, and what each but `w:t` reads as (`piece`).
TEXT = (T, BR, CR, TAB, HYPHEN)
_PIECES = {BR: "\n", CR: "\n", TAB: "\t", HYPHEN: "-"}
TBL, TR, TC, SDT, SDT_CONTENT = (f"{{{W}}}{t}" for t in ("tbl", "tr", "tc", "sdt", "sdtContent"))
DOCUMENT, BODY = f"{{{W}}}document", f"{{{W}}}body"
PPR, PSTYLE, VAL = f"{{{W}}}pPr", f"{{{W}}}pStyle", f"{{{W}}}val"
# What cannot be read as text, and what a person calls it.
PICTURES = {
    "{http://schemas.openxmlformats.org/drawingml/2006/picture}pic": "a picture",
    "{urn:schemas-microsoft-com:vml}imagedata": "a picture",
    "{http://schemas.openxmlformats.org/drawingml/2006/chart}chart": "a chart",
    f"{{{W}}}object": "an embedded object (a spreadsheet or another document)",
}
_SPACE = re.compile(r"\s+")
# A run's or paragraph mark's formatting made only of these, each written empty as Word and
# LibreOffice write them: fonts, size, language, colour... (the run formatting elements of
# ECMA-376 Part 1, 17.3.2, less the tracked changes `w:ins`, `w:del`, `w:moveFrom`, `w:moveTo`
# and `w:rPrChange`). No reader here looks at them. (One with a `/` in an attribute is left:
# that only costs time, and the pattern needs no backtracking.)
_PLAIN_FORMATTING = re.compile(
    rb"<w:rPr>(?:<w:(?:"
    rb"rFonts|kern|lang|sz|szCs|b|bCs|i|iCs|color|rStyle|noProof|u|highlight|shd|spacing|w|"
    rb"position|vertAlign|caps|smallCaps|strike|dstrike|outline|shadow|emboss|imprint|vanish|"
    rb"webHidden|specVanish|snapToGrid|effect|bdr|fitText|rtl|cs|em|eastAsianLayout|oMath"
    rb")\b[^/<>]*/>)*</w:rPr>"
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


def without_run_formatting(data: bytes) -> bytes:
    """A main part's bytes without its runs' plain formatting (`_PLAIN_FORMATTING`), to be
    parsed and walked faster.

    LibreOffice writes fonts, kerning and language on every run it saves: a third of the
    elements of a form it saved, which every walk of the tree would step over (path 2 reads
    about a quarter faster without them; `benchmarks.bench_extract_docx`). Only a part whose
    every `<` starts a tag (`plain_markup`) is changed, so the pattern cannot match inside a
    comment, CDATA or a processing instruction; `<` is never in a well-formed attribute value,
    so it matches whole elements only."""
    if b"<w:rPr>" not in data or not plain_markup(data):
        return data
    return _PLAIN_FORMATTING.sub(b"", data)


def piece(node: etree._Element) -> str | None:
    """What an element of typed text other than `w:t` reads as (`TEXT`); None for any other
    element. A `w:tab` in `w:tabs` is a paragraph's tab stop, no tab typed: ""."""
    text = _PIECES.get(node.tag)
    if text == "\t" and node.getparent().tag == TABS:
        return ""
    return text


def paragraph_texts(root: etree._Element) -> dict[etree._Element, str]:
    """Every paragraph's text, in one pass over the document (for `text_of(el, texts)`)."""
    texts: dict[etree._Element, str] = {}
    current = None
    out: list[str] = []
    for node in root.iter(*TEXT, P):
        tag = node.tag
        if tag == T:
            out.append(node.text or "")
        elif tag == P:
            if current is not None:
                texts[current] = "".join(out)
            current, out = node, []
        else:
            out.append(piece(node) or "")
    if current is not None:
        texts[current] = "".join(out)
    return texts


def by_tag(el: etree._Element) -> dict[object, etree._Element]:
    """An element's children by tag, the first of each (as `el.find(tag)` would give).

    One pass over a few children is several times cheaper than a `find` per tag: lxml's `find`
    goes through its ElementPath machinery (about 2 µs a call), and a Word control is asked for
    five or six of its properties."""
    children: dict[object, etree._Element] = {}
    for child in el:
        children.setdefault(child.tag, child)
    return children


def text_of(el: etree._Element, texts: dict[etree._Element, str] | None = None) -> str:
    """A paragraph's or a cell's text: breaks as newlines, a newline between paragraphs.

    `texts`: `paragraph_texts` of the document, when many cells of it are read."""
    if texts is not None:
        # A paragraph's own text, then that of any paragraph inside it (in a text box).
        return "\n".join([texts.get(p, "") for p in el.iter(P)]).strip("\n")
    return _joined(el.iter(*TEXT, P))


def small_text_of(el: etree._Element) -> str:
    """`text_of` an element of a handful of nodes (a control's content: a run or two).

    Walking every node in Python is then about twice as fast as setting up lxml's five-tag
    filter; for a paragraph or a cell the filter is faster."""
    return _joined(el.iter())


def _joined(nodes: Iterator[etree._Element]) -> str:
    out: list[str] = []
    for node in nodes:
        tag = node.tag
        if tag == T:
            out.append(node.text or "")
        elif tag == P:
            if out:
                out.append("\n")
        else:
            text = piece(node)
            if text:
                out.append(text)
    return "".join(out).strip("\n")


@lru_cache(maxsize=1 << 16)
def label_key(text: str) -> str:
    """Printed text made comparable: one kind of space and quote, no case, no trailing colon."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().rstrip(":*").strip().casefold()


def blocks(parent: etree._Element) -> Iterator[etree._Element]:
    """Body-level paragraphs and tables in order, looking through block-level content controls.

    `parent` is the `w:document` root, its `w:body` or a control's content."""
    if parent.tag == DOCUMENT:
        parent = parent.find(BODY)
    if parent is None:
        return
    for child in parent:
        tag = child.tag
        if tag == P or tag == TBL:
            yield child
        elif tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from blocks(content)


_ROWS = etree.XPath("w:tr|w:sdt/w:sdtContent/w:tr", namespaces={"w": W})
_CELLS = etree.XPath("w:tc|w:sdt/w:sdtContent/w:tc", namespaces={"w": W})


def rows(table: etree._Element) -> list[etree._Element]:
    """A table's rows (also rows a content control wraps)."""
    return _ROWS(table)


def cells(row: etree._Element) -> list[etree._Element]:
    return _CELLS(row)


def style_of(p: etree._Element) -> str:
    ppr = p.find(PPR)
    style = ppr.find(PSTYLE) if ppr is not None else None
    return style.get(VAL, "") if style is not None else ""
