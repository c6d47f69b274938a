"""Reading a returned Word form by its content controls (returns paths 1 and 2).

Path 1, filled in Word: every answer is a content control whose `w:tag` is its JSON Pointer.
Path 2, opened and saved in LibreOffice: tags are gone, but each control's `w:dataBinding` xpath
and the bookmark around it survive, and both name the pointer (see `pep_docs.render.docx` for the
structure every generated form has). Placeholders are recognised by `w:showingPlcHdr` (Word) or by
the bracketed guidance they show (LibreOffice drops the flag).

Text typed outside any control is reported as unmapped, found by comparing the body's paragraphs
with the printed text of a blank form of the same authority and phase.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Set
from functools import cache, lru_cache
from typing import NamedTuple

from lxml import etree

from pep_docs.extractors.docx_text import PICTURES, TEXT, by_tag, piece, small_text_of
from pep_docs.extractors.result import Assembler, Reading, Unmapped
from pep_docs.extractors.safety import SafeZip
from pep_docs.forms import IDENTITY_NS
from pep_docs.render.docx_sdt import BOOKMARK_MAX, VALUES_NS, VALUES_PREFIX, bookmark_name
from pep_docs.schema import Field, PepModel, Table, load_model

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
_DIGITS = re.compile(r"\d+")
# Child tags in Clark notation: lxml finds these in C (a prefixed path goes through Python).
_W_DATABINDING = f"{{{W}}}dataBinding"
_W_BOOKMARKSTART = f"{{{W}}}bookmarkStart"
_W_DATE = f"{{{W}}}date"
_W_SDTCONTENT = f"{{{W}}}sdtContent"
_W_SDTPR = f"{{{W}}}sdtPr"
_W_SHOWINGPLCHDR = f"{{{W}}}showingPlcHdr"
_W_TAG = f"{{{W}}}tag"
_W_VAL = f"{{{W}}}val"


def pointer_from_xpath(xpath: str, model: PepModel | None = None) -> str | None:
    """`/pv:pep[1]/pv:targets[1]/pv:item[2]/pv:target[1]` -> `/targets/1/target`.

    Rows are `pv:item` elements; a step named `item` is a row only where the path so far is a
    table (Pupil Premium Plus has a field called `item` too). Steps may leave out `[1]`."""
    return _pointer_from_xpath(xpath, model or load_model())


@lru_cache(maxsize=1 << 15)  # the same few thousand xpaths come back in every return
def _pointer_from_xpath(xpath: str, model: PepModel) -> str | None:
    steps = [step for step in xpath.split("/") if step]
    if not steps or steps[0].split("[")[0] != f"{VALUES_PREFIX}:pep":
        return None
    pointer = ""
    for step in steps[1:]:
        name, _, index = step.partition("[")
        name = name.split(":", 1)[-1]
        position = int(index.rstrip("]")) if index else 1
        node = model.node(pointer) if pointer and model.has(pointer) else None
        if name == "item" and isinstance(node, Table):
            pointer += f"/{position - 1}"
        else:
            pointer += f"/{name}"
    return pointer or None


@cache
def _bookmark_patterns(model: PepModel) -> tuple[tuple[re.Pattern[str], str], ...]:
    """A regex per field turning a bookmark name back into the field's concrete pointer."""
    patterns = []
    for f in model.fields():
        sample = f.pointer.replace("*", "0")
        name = bookmark_name(sample)
        regex = re.escape(name)
        # The indexes written as 0 in the sample become any number in the pattern.
        for _ in range(f.pointer.count("*")):
            regex = regex.replace("_0", r"_(\d+)", 1) if len(name) <= BOOKMARK_MAX else regex
        patterns.append((re.compile(f"^{regex}$"), f.pointer))
    return tuple(patterns)


@lru_cache(maxsize=1 << 15)
def pointer_from_bookmark(name: str, model: PepModel) -> str | None:
    for regex, pattern in _bookmark_patterns(model):
        match = regex.match(name)
        if match:
            pointer = pattern
            for index in match.groups():
                pointer = pointer.replace("*", index, 1)
            return pointer
    return None


def read_identity(package: SafeZip) -> dict[str, str]:
    """The form identity from its custom XML part, or from the custom document properties."""
    for name in sorted(n for n in package.names if re.fullmatch(r"customXml/item\d+\.xml", n)):
        root = package.xml_if_any(name)
        if root is not None and root.tag == f"{{{IDENTITY_NS}}}form":
            return {etree.QName(child).localname: (child.text or "") for child in root}
    if "docProps/custom.xml" in package.names:
        root = package.xml("docProps/custom.xml")
        found = {}
        for prop in root:
            name = prop.get("name", "")
            if name.startswith("pep_docs."):
                found[name[len("pep_docs.") :]] = "".join(prop.itertext())
        return found
    return {}


def _text(content: etree._Element) -> str:
    """A control's text as the person sees it: runs joined, breaks and paragraphs as newlines."""
    return small_text_of(content)


_P = f"{{{W}}}p"
_T = f"{{{W}}}t"
_W_SDT = f"{{{W}}}sdt"
_W_GROUP = f"{{{W}}}group"


class Control(NamedTuple):  # a named tuple: made 300 times a form, faster than a dataclass
    """A content control that holds one answer, with its properties (`w:sdtPr`'s children by
    tag) and its content (`w:sdtContent`, None when it has none)."""

    sdt: etree._Element
    props: dict[object, etree._Element]
    content: etree._Element | None


class BodyScan:
    """One walk of the body, shared by every reader of a file with controls.

    `answers()` yields each control that holds one answer as the walk reaches it: not the group
    control wrapping the form, and the innermost where LibreOffice has wrapped a control in
    another bound to the same value. The same walk fills `outside`: each paragraph's pieces of
    text that lie in no control but the group control (labels, guidance, headings, typed text,
    with its breaks and tabs as `text_of` reads them), and `pictures`: every picture, chart
    and embedded object (`PICTURES`); both complete once `answers()` is exhausted.

    One pass of lxml's C iterator: two XPath queries over the whole body took longer (each walk
    of a 7-page form is most of a millisecond). Controls are yielded, not listed, so that each
    one's elements are let go once it is read: thousands of live objects at a time made
    Python's collector run its full collections several times as often.
    """

    def __init__(self, body: etree._Element):
        self.body = body
        self.outside: dict[etree._Element, list[str]] = {}
        self.pictures: list[etree._Element] = []

    def answers(self) -> Iterator[Control]:
        inside: set[etree._Element] = set()  # every piece of text in a control not a group
        outside = self.outside
        for el in self.body.iter(_W_SDT, *TEXT, *PICTURES):
            tag = el.tag
            if tag == _W_SDT:
                props, contents = [], []
                for child in el:
                    if child.tag == _W_SDTPR:
                        props.append(by_tag(child))
                    elif child.tag == _W_SDTCONTENT:
                        contents.append(child)
                grouped = [_W_GROUP in pr for pr in props]
                if not any(grouped):  # a group control's text is the form's; any other's an answer
                    inside.update(el.iter(*TEXT))
                if not all(grouped) and all(next(c.iter(_W_SDT), None) is None for c in contents):
                    yield Control(el, props[0], contents[0] if contents else None)
            elif tag in PICTURES:
                self.pictures.append(el)
            elif el not in inside:
                p = el.getparent().getparent()  # w:t in w:r in w:p, mostly
                if p is None or p.tag != _P:
                    p = next(el.iterancestors(_P), None)
                if p is not None:
                    text = (el.text or "") if tag == _T else (piece(el) or "")
                    outside.setdefault(p, []).append(text)

    def texts(self) -> dict[etree._Element, str]:
        """Each paragraph's text outside the controls (for `text_of(el, texts)`), once
        `answers()` is exhausted."""
        return {p: "".join(pieces) for p, pieces in self.outside.items()}


def pointer_of(control: Control, model: PepModel) -> tuple[str | None, str]:
    """The field a control holds and how that was known: its tag, else its data binding, else
    the bookmark just before it (what LibreOffice keeps); `(None, "")` for none of ours."""
    tag = control.props.get(_W_TAG)
    if tag is not None:
        val = tag.get(_W_VAL, "")
        if model.has(val):
            return val, "content-control"
    binding = control.props.get(_W_DATABINDING)
    if binding is not None:
        pointer = pointer_from_xpath(binding.get(f"{{{W}}}xpath", ""), model)
        if pointer and model.has(pointer):
            return pointer, "data-binding"
    previous = control.sdt.getprevious()
    while previous is not None and previous.tag == _W_BOOKMARKSTART:
        pointer = pointer_from_bookmark(previous.get(f"{{{W}}}name", ""), model)
        if pointer and model.has(pointer):
            return pointer, "data-binding"
        previous = previous.getprevious()
    return None, ""


def bound_values(package: SafeZip) -> dict[str, str]:
    """The values part the controls are bound to, by xpath: what the form was generated with
    (and, after Word, what was typed). An empty element means the form did not know the value."""
    for name in sorted(n for n in package.names if re.fullmatch(r"customXml/item\d+\.xml", n)):
        root = package.xml_if_any(name)
        if root is None or root.tag != f"{{{VALUES_NS}}}pep":
            continue
        tree = root.getroottree()
        values = {}
        for el in root.iter():
            if len(el) == 0:
                values[_values_path_norm(tree.getpath(el))] = el.text or ""
        return values
    return {}


def _raw_value(control: Control, f: Field) -> str | None:
    """What the control holds, or None when it still shows its placeholder."""
    pr, content = control.props, control.content
    text = _text(content) if content is not None else ""
    if _W_SHOWINGPLCHDR in pr:
        return None
    if text.strip() == f"[{f.description or f.title}]":
        return None  # LibreOffice keeps the placeholder text but drops the flag.
    if f.widget == "paragraph" and content is not None:
        text = _moved_breaks(control.sdt, content) or text
    date = pr.get(_W_DATE)
    if date is not None and not text.strip():
        full = date.get(f"{{{W}}}fullDate")
        return full[:10] if full else None
    return text


def _moved_breaks(sdt: etree._Element, content: etree._Element) -> str | None:
    """A multi-line answer whose line breaks LibreOffice 7.4 moved out of the control.

    It writes the breaks (`w:br`) in a run just before the control and leaves each line as its
    own `w:t`, side by side. The lines are put back with the breaks shared out evenly between
    them, which is exact when they share evenly (one or two per gap, as people type); None when
    the control does not look like that."""
    pieces = [t.text or "" for t in content.iter(f"{{{W}}}t")]
    if len(pieces) < 2 or content.find(f".//{{{W}}}br") is not None:
        return None
    breaks = 0
    previous = sdt.getprevious()
    while previous is not None and etree.QName(previous).localname in ("bookmarkStart", "r"):
        if etree.QName(previous).localname == "r":
            kids = [etree.QName(k).localname for k in previous if etree.QName(k).localname != "rPr"]
            if not kids or set(kids) != {"br"}:
                break
            breaks += len(kids)
        previous = previous.getprevious()
    gaps = len(pieces) - 1
    if breaks == 0 or breaks % gaps:
        return None
    return ("\n" * (breaks // gaps)).join(pieces)


def _values_path_norm(path: str) -> str:
    # lxml's getpath leaves out `[1]` on an element with no same-named sibling; docx_sdt.xpath
    # always writes it. Without every `[1]` the two agree.
    return path.replace("[1]", "")


def read_controls(
    package: SafeZip, assembler: Assembler, model: PepModel, scanned: BodyScan
) -> int:
    """Feed every answer control to the assembler; the number of controls found.

    `scanned`: the main part, parsed once per file, to be walked; its text outside the controls
    is then known too."""
    bound = bound_values(package)
    found = 0
    for control in scanned.answers():
        pointer, how = pointer_of(control, model)
        content = control.content
        if pointer is None:
            text = _text(content) if content is not None else ""
            if text.strip():
                assembler.unmapped.append(Unmapped(text, "a content control with no field"))
            continue
        found += 1
        f = model.node(pointer)
        if not isinstance(f, Field):
            continue
        raw = _raw_value(control, f)
        if raw is not None and raw.strip():
            assembler.add(Reading(pointer, raw, how, where=f"control {pointer}"))
    _warn_unread(bound, assembler)
    return found


def _warn_unread(bound: dict[str, str], assembler: Assembler) -> None:
    """A value the form was sent with that no box gave back: say so, never guess it."""
    for path, value in bound.items():
        pointer = pointer_from_xpath(path, assembler.model) if value else None
        if pointer and pointer not in assembler.fields and assembler.model.has(pointer):
            f = assembler.model.node(pointer)
            # LibreOffice writes what a box shows back into the part, placeholders included.
            if isinstance(f, Field) and not assembler.is_placeholder(f, value):
                assembler.warn(
                    pointer,
                    f"nothing could be read from its box (another word processor may have changed "
                    f"the form); the form was sent with {value!r}: check it by hand",
                )


def static_texts(body: etree._Element) -> set[str]:
    """The text of every paragraph outside answer controls (labels, guidance, headings)."""
    scanned = BodyScan(body)
    for _ in scanned.answers():  # the walk that finds the text outside them
        pass
    return set(_outside_controls(scanned))


def _outside_controls(scanned: BodyScan, skip: Set[etree._Element] = frozenset()) -> Iterator[str]:
    """Each paragraph's text that is not inside an answer control (nor in `skip`)."""
    for p, pieces in scanned.outside.items():
        if p not in skip:
            text = "".join(pieces)
            if text.strip():
                yield text


def _norm(text: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", " ", text).strip().casefold())


def unmapped_text(
    scanned: BodyScan,
    is_printed: Callable[[str], bool],
    skip: Set[etree._Element] = frozenset(),
) -> list[Unmapped]:
    """Paragraph text outside controls that a blank form of this kind does not print.

    `is_printed` says whether a blank form prints a text (`docx_layout.Layout.is_printed`, which
    knows that the header line names the child and the term)."""
    return [
        Unmapped(text.strip(), "typed outside the form's boxes")
        for text in _outside_controls(scanned, skip)
        if not is_printed(text)
    ]
