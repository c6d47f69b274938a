"""A small reader of the PDF objects a returned fillable form needs: its fields and identity.

pypdf's `get_fields` builds the whole document model (about 50 to 80 ms for a 7-page form). A
returned form needs far less: the cross-reference table, the catalog's `/AcroForm /Fields`, each
field's `/T`, `/V` and `/Kids`, and the `/PepDocsIdentity` of the Info dictionary.
`read_form` also walks the pages' `/Annots` for what a person added with a reader's comment
tools (sticky notes, text boxes, comments on markup): widgets of known fields are skipped by
their object number, so a form without comments costs one look at each page.
This module reads exactly that from the file as our renderer and ordinary PDF readers (pypdf,
Preview, most viewers saving in place) write it: classic `xref` tables, incremental updates
through `/Prev`, objects stored plainly in the file.

Anything else -- a cross-reference stream or object streams (as Acrobat often writes), an object
that is not where the table says, a syntax this reader does not know, more nesting or more
objects than a form has -- raises `Unusual`, and the caller reads the file with pypdf instead.
The file has already passed `pdf_safety` (size, pages, stream bombs); this reader never inflates
a stream and bounds everything it follows.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from pypdf._codecs import _pdfdoc_encoding

from pep_docs.extractors.result import MAX_NOTES

# Bounds: more than any form of ours has, so a file past them is read by pypdf (or refused there).
MAX_XREF_SECTIONS = 64
MAX_FIELDS = 20_000
MAX_DEPTH = 12
MAX_NESTING = 64
FIELD_KEYS = frozenset({"T", "V", "Kids"})
_WANTED = {key.encode(): key for key in FIELD_KEYS}
# Annotations that carry no text of a person's: form fields, links, and popups (a popup shows
# its parent's /Contents, which is read from the parent).
NOT_NOTES = frozenset({"/Widget", "/Link", "/Popup"})
# Bounds on annotations (an untrusted file may carry any number): notes kept (`MAX_NOTES`, the
# same for every reader), other annotations looked at (links, popups, empty ones). Past either,
# reading stops and says so (`cut`).
MAX_ANNOTATIONS = 1_000
NOTE_KEYS = frozenset({"Subtype", "Rect", "Contents", "RC", "T"})
RECT_KEYS = frozenset({"Rect"})
PAGE_KEYS = frozenset({"Type", "Kids", "Annots"})


class Unusual(Exception):
    """The file uses something this reader does not read: use pypdf."""


class Name(str):
    """A PDF name, kept with its slash (`/Yes`), as pypdf gives it."""


@dataclass(frozen=True)
class Ref:
    num: int
    gen: int


_WS = rb"[\x00\t\n\x0c\r ]"
_SKIP = re.compile(rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*")
_REF = re.compile(rb"(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+R(?![A-Za-z])")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_NAME = re.compile(rb"/[^\x00\t\n\x0c\r /\[\]()<>{}%]*")
_KEYWORD = re.compile(rb"(true|false|null)(?![A-Za-z])")
_HEX = re.compile(rb"<([0-9A-Fa-f\x00\t\n\x0c\r ]*)>")
_OBJ = re.compile(rb"(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+obj")
_DELIMITER = re.compile(rb"<<|>>|\[|\]|\((?:[^()\\]|\\.)*\)|\(|<[0-9A-Fa-f\x00\t\n\x0c\r ]*>", re.S)
_SCALAR = re.compile(
    rb"/[^\x00\t\n\x0c\r /\[\]()<>{}%]*|\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R(?![A-Za-z])"
    rb"|[+-]?(?:\d+\.?\d*|\.\d+)(?![\d.])|(?:true|false|null)(?![A-Za-z])"
)
_PDFDOC_SPECIAL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)")
_W = rb"[\x00\t\n\x0c\r ]*"
# One dictionary entry: a key and a scalar or simple string value, or the start of a container.
_ENTRY_START = re.compile(
    _W + rb"/([^\x00\t\n\x0c\r /\[\]()<>{}%]*)" + _W + rb"(?:(?P<open><<|\[)|(?P<value>"
    rb"/[^\x00\t\n\x0c\r /\[\]()<>{}%]*|\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R(?![A-Za-z])"
    rb"|[+-]?(?:\d+\.?\d*|\.\d+)(?![\d.])|(?:true|false|null)(?![A-Za-z])"
    rb"|\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f\x00\t\n\x0c\r ]*>))",
    re.S,
)
_DICT_END = re.compile(_W + rb">>")
# An array or dictionary nested at most three deep, in one match (possessive: no backtracking).
_ATOM = rb"(?:[^\[\]<>()]++|\((?:[^()\\]|\\.)*+\)|<[0-9A-Fa-f\x00\t\n\x0c\r ]*+>)"
_NEST = _ATOM
for _ in range(3):
    _NEST = (
        rb"(?>\[(?:" + _ATOM + rb"|" + _NEST + rb")*+\]|<<(?:" + _ATOM + rb"|" + _NEST + rb")*+>>)"
    )
_CONTAINER = re.compile(_NEST, re.S)
# An array of references only (a page's /Annots, a node's /Kids), read with one match.
_REF_ARRAY = re.compile(rb"\[((?:" + _W + rb"\d+" + _WS + rb"+\d+" + _WS + rb"+R)*+)" + _W + rb"\]")
_REF_PAIR = re.compile(rb"(\d+)" + _WS + rb"+(\d+)")
_LITERAL = re.compile(rb"\(((?:[^()\\]|\\.)*)\)", re.S)
_UNESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
# A backslash that does not start a three-digit octal escape below 400 (our renderer writes
# every "/" of a name as \057): a string without one is decoded by Python's own escape decoder,
# which reads exactly those escapes as PDF does, at a fifteenth of the cost of `_unescape`.
_NOT_OCTAL = re.compile(rb"\\(?![0-3][0-7][0-7])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
            ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}  # fmt: skip


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def skip(self, pos: int) -> int:
        return _SKIP.match(self.data, pos).end()  # type: ignore[union-attr]

    def value(
        self, pos: int, depth: int = 0, wanted: frozenset[str] | None = None
    ) -> tuple[object, int]:
        """The value at `pos` and where it ends; a dictionary keeps only `wanted` keys if given."""
        if depth > MAX_NESTING:
            raise Unusual("nesting")
        data = self.data
        pos = self.skip(pos)
        head = data[pos : pos + 2]
        if head == b"<<":
            out: dict[str, object] = {}
            pos += 2
            while True:
                pos = self.skip(pos)
                if data.startswith(b">>", pos):
                    return out, pos + 2
                key = _NAME.match(data, pos)
                if key is None:
                    raise Unusual("dictionary key")
                name = _name(key.group()[1:])
                if wanted is not None and name not in wanted:
                    pos = self.skip_value(key.end())
                    continue
                value, pos = self.value(key.end(), depth + 1)
                out[name] = value
        first = head[:1]
        if first == b"[":
            refs = _REF_ARRAY.match(data, pos)
            if refs is not None:
                pairs = _REF_PAIR.findall(refs.group(1))
                return [Ref(int(n), int(g)) for n, g in pairs], refs.end()
            items: list[object] = []
            pos += 1
            while True:
                pos = self.skip(pos)
                if data.startswith(b"]", pos):
                    return items, pos + 1
                item, pos = self.value(pos, depth + 1)
                items.append(item)
        if first == b"/":
            match = _NAME.match(data, pos)
            return Name(_name(match.group())), match.end()  # type: ignore[union-attr]
        if first == b"(":
            return self.literal(pos)
        if first == b"<":
            match = _HEX.match(data, pos)
            if match is None:
                raise Unusual("hex string")
            digits = re.sub(rb"[^0-9A-Fa-f]", b"", match.group(1))
            if len(digits) % 2:
                digits += b"0"
            return bytes.fromhex(digits.decode("ascii")), match.end()
        match = _REF.match(data, pos)
        if match:
            return Ref(int(match.group(1)), int(match.group(2))), match.end()
        match = _NUMBER.match(data, pos)
        if match:
            text = match.group()
            return (float(text) if b"." in text else int(text)), match.end()
        match = _KEYWORD.match(data, pos)
        if match:
            return {b"true": True, b"false": False, b"null": None}[match.group()], match.end()
        raise Unusual(f"unknown syntax at {pos}")

    def skip_value(self, pos: int) -> int:
        """Where the value at `pos` ends, without building it (only delimiters are looked at)."""
        data = self.data
        pos = self.skip(pos)
        if not data.startswith((b"<<", b"["), pos):
            scalar = _SCALAR.match(data, pos)
            if scalar is not None:
                return scalar.end()
            return self.value(pos)[1]
        depth = 0
        while True:
            match = _DELIMITER.search(data, pos)
            if match is None:
                raise Unusual("unterminated array or dictionary")
            token = match.group()
            if token in (b"<<", b"["):
                depth += 1
                if depth > MAX_NESTING:
                    raise Unusual("nesting")
                pos = match.end()
            elif token in (b">>", b"]"):
                depth -= 1
                pos = match.end()
                if depth == 0:
                    return pos
            elif token == b"(":  # a string with nested parentheses
                pos = self.literal(match.start())[1]
            else:
                pos = match.end()  # a hex string

    def literal(self, pos: int) -> tuple[bytes, int]:
        data = self.data
        close = data.find(b")", pos + 1)
        if close > 0:
            plain = data[pos + 1 : close]
            if b"\\" not in plain and b"(" not in plain:
                return plain, close + 1
        simple = _LITERAL.match(data, pos)
        if simple is not None:  # escapes but no nested parentheses
            return _unescaped(simple.group(1)), simple.end()
        out, level, i = bytearray(), 1, pos + 1
        end = len(data)
        while i < end:
            byte = data[i]
            if byte == 0x5C:  # backslash
                i += 1
                if i >= end:
                    break
                nxt = data[i]
                if nxt in _ESCAPES:
                    out += _ESCAPES[nxt]
                elif 0x30 <= nxt <= 0x37:
                    digits = data[i : i + 3]
                    n = 0
                    while n < len(digits) and 0x30 <= digits[n] <= 0x37:
                        n += 1
                    out.append(int(digits[:n], 8) & 0xFF)
                    i += n - 1
                elif nxt == 0x0D:
                    if data[i + 1 : i + 2] == b"\n":
                        i += 1
                elif nxt != 0x0A:
                    out.append(nxt)
            elif byte == 0x28:
                level += 1
                out.append(byte)
            elif byte == 0x29:
                level -= 1
                if level == 0:
                    return bytes(out), i + 1
                out.append(byte)
            else:
                out.append(byte)
            i += 1
        raise Unusual("unterminated string")


def _scalar(raw: bytes) -> object:
    """A string or name value matched whole by `_ENTRY_START` (None: parse it the long way)."""
    head = raw[:1]
    if head == b"(":
        inner = raw[1:-1]
        return _unescaped(inner) if b"\\" in inner else inner
    if head == b"/":
        return Name(_name(raw))
    return None


def _unescaped(inner: bytes) -> bytes:
    """The bytes a literal string's escapes stand for."""
    if _NOT_OCTAL.search(inner) is None:
        return codecs.escape_decode(inner)[0]
    return _UNESCAPE.sub(_unescape, inner)


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8) & 0xFF])
    if code in (b"\r\n", b"\n", b"\r"):
        return b""  # a line continuation
    return _ESCAPES.get(code[0], code)


def _name(raw: bytes) -> str:
    if b"#" in raw:
        raw = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return raw.decode("utf-8", "replace")


def text(value: object) -> str | None:
    """A PDF text string (UTF-16BE with BOM, UTF-8 with BOM or PDFDocEncoding) as str."""
    if isinstance(value, Name):
        return str(value)
    if not isinstance(value, bytes):
        return None
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be", "replace")
    if value.startswith(b"\xef\xbb\xbf"):
        return value[3:].decode("utf-8", "replace")
    if value.isascii() and _PDFDOC_SPECIAL.search(value) is None:
        return value.decode("ascii")
    return "".join(_pdfdoc_encoding[b] for b in value)


Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Annotation:
    """An annotation a person added with a reader's comment tools, as the file holds it."""

    page: int  # from 0
    subtype: str  # with its slash: "/Text", "/FreeText", "/Highlight"
    rect: Rect | None
    contents: str | None  # /Contents
    rich: str | None  # /RC (XHTML), read only when /Contents is missing
    author: str | None = None  # /T: who wrote it, as the reader was told


@dataclass(frozen=True)
class Place:
    """Where a field's widget is: what a note is placed beside."""

    page: int
    name: str
    rect: Rect


@dataclass
class NoteBudget:
    """What is left of the bounds on notes for one file, the same for every reader: each
    annotation looked at (other than a field's widget) and each note kept uses one."""

    annotations: int = MAX_ANNOTATIONS
    notes: int = MAX_NOTES

    def look(self) -> bool:
        """One more annotation looked at; False once past the bound (stop reading)."""
        self.annotations -= 1
        return self.annotations >= 0

    def keep(self) -> bool:
        """One more note kept; False once past the bound (stop reading)."""
        self.notes -= 1
        return self.notes >= 0


@dataclass
class Annotations:
    """The notes of a file, the widgets of its fields, and whether a bound stopped the reading."""

    notes: list[Annotation]
    places: list[Place]
    cut: bool = False
    budget: NoteBudget = field(default_factory=NoteBudget, compare=False, repr=False)

    def take(self, read: Callable[[], Annotation | None]) -> bool:
        """One more annotation that is not a field's widget: `read` it and keep it if it is a
        note, within the bounds (`budget`). False once a bound stops the reading (`cut`)."""
        note = read() if self.budget.look() else None
        if self.budget.annotations < 0 or (note is not None and not self.budget.keep()):
            self.cut = True
            return False
        if note is not None:
            self.notes.append(note)
        return True


def rect(value: object) -> Rect | None:
    """A rectangle as (left, bottom, right, top), or None when it is not four numbers."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


class PdfObjects:
    """The objects of one PDF, found through its cross-reference tables."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.parser = _Parser(data)
        # The newest entry of each object (the file as a reader sees it), and every in-use entry
        # of every table, older versions of updated objects included (what the file holds).
        self.offsets: dict[int, tuple[int, int]] = {}
        self.definitions: list[tuple[int, int]] = []
        self.trailer: dict[str, object] = {}
        self._cache: dict[int, object] = {}
        self._read_xref()

    def _read_xref(self) -> None:
        data = self.data
        found = data.rfind(b"startxref", max(0, len(data) - 2048))
        if found < 0:
            raise Unusual("no startxref")
        match = re.compile(_WS + rb"*(\d+)").match(data, found + 9)
        if match is None:
            raise Unusual("startxref")
        offset, seen = int(match.group(1)), set()
        while offset is not None:
            if offset in seen or len(seen) >= MAX_XREF_SECTIONS or offset >= len(data):
                raise Unusual("xref chain")
            seen.add(offset)
            pos = self.parser.skip(offset)
            if not data.startswith(b"xref", pos):
                raise Unusual("cross-reference stream")  # or a broken offset: pypdf recovers
            pos = self._read_section(pos + 4)
            trailer, _ = self.parser.value(pos)
            if not isinstance(trailer, dict) or "XRefStm" in trailer:
                raise Unusual("hybrid cross-reference")
            for key, value in trailer.items():
                self.trailer.setdefault(key, value)
            prev = trailer.get("Prev")
            offset = prev if isinstance(prev, int) else None

    def _read_section(self, pos: int) -> int:
        data = self.data
        header = re.compile(_WS + rb"*(\d+)" + _WS + rb"+(\d+)" + rb"[ \t]*\r?\n?")
        while True:
            match = header.match(data, pos)
            if match is None:
                pos = self.parser.skip(pos)
                if not data.startswith(b"trailer", pos):
                    raise Unusual("xref section")
                return pos + 7
            first, count = int(match.group(1)), int(match.group(2))
            pos = match.end()
            if count > MAX_FIELDS * 10:
                raise Unusual("xref size")
            entries = _ENTRY.findall(data, pos, pos + 20 * count)
            if len(entries) != count:
                raise Unusual("xref entry")
            for i, (offset, gen, kind) in enumerate(entries):
                state = (int(offset), int(gen)) if kind == b"n" else (-1, 0)
                self.offsets.setdefault(first + i, state)
                if kind == b"n":
                    self.definitions.append((first + i, int(offset)))
            pos += 20 * count

    def defines(self, number: int, offset: int) -> bool:
        """Whether the file spells out object `number` at `offset`, where its table says it is."""
        match = _OBJ.match(self.data, offset)
        return match is not None and int(match.group(1)) == number

    def get(self, value: object) -> object:
        """An object itself, following a reference."""
        if not isinstance(value, Ref):
            return value
        if value.num in self._cache:
            return self._cache[value.num]
        offset, _gen = self.offsets.get(value.num, (-1, 0))
        if offset < 0:
            return None
        match = _OBJ.match(self.data, offset)
        if match is None or int(match.group(1)) != value.num:
            raise Unusual(f"object {value.num} is not where the table says")
        obj, _ = self.parser.value(match.end())
        self._cache[value.num] = obj
        return obj

    def dict_at(self, value: object) -> dict[str, object]:
        obj = self.get(value)
        return obj if isinstance(obj, dict) else {}

    def field_at(self, value: object) -> dict[str, object]:
        """The entries of a field or widget dictionary that name it and hold its value."""
        return self.entries_at(value, FIELD_KEYS)

    def entries_at(self, value: object, wanted: frozenset[str]) -> dict[str, object]:
        """The `wanted` entries of the dictionary `value` is or refers to."""
        if not isinstance(value, Ref):
            return (
                {k: v for k, v in value.items() if k in wanted} if isinstance(value, dict) else {}
            )
        offset, _gen = self.offsets.get(value.num, (-1, 0))
        if offset < 0:
            return {}
        match = _OBJ.match(self.data, offset)
        if match is None or int(match.group(1)) != value.num:
            raise Unusual(f"object {value.num} is not where the table says")
        return self._entries(self.parser.skip(match.end()), wanted)

    def _entries(self, pos: int, wanted: frozenset[str]) -> dict[str, object]:
        """The `wanted` entries of the dictionary at `pos`, one regular expression per entry."""
        data, parser = self.data, self.parser
        if not data.startswith(b"<<", pos):
            return {}
        pos += 2
        out: dict[str, object] = {}
        while True:
            entry = _ENTRY_START.match(data, pos)
            if entry is None:
                if _DICT_END.match(data, pos) is not None:
                    return out
                pos = parser.skip(pos)  # nested parentheses, a comment: the long way
                key_match = _NAME.match(data, pos)
                if key_match is None:
                    raise Unusual("dictionary entry")
                key = _name(key_match.group()[1:])
                if key in wanted:
                    out[key], pos = parser.value(key_match.end())
                else:
                    pos = parser.skip_value(key_match.end())
                continue
            raw = entry.group(1)
            key = _WANTED.get(raw) if wanted is FIELD_KEYS else _name(raw)
            if entry.group("open") is not None:
                start = entry.start("open")
                if key in wanted:
                    out[key], pos = parser.value(start)
                elif (whole := _CONTAINER.match(data, start)) is not None:
                    pos = whole.end()
                else:
                    pos = parser.skip_value(start)
            else:
                if key in wanted:
                    out[key] = (
                        _scalar(entry.group("value")) or parser.value(entry.start("value"))[0]
                    )
                pos = entry.end()


def read_fields(data: bytes) -> tuple[dict[str, object], dict[str, str]]:
    """Every terminal field's full name and value (`/V`, as pypdf gives it), and the identity.

    Raises `Unusual` when the file needs pypdf."""
    objects = _open(data)
    return _fields(objects, {}), _identity(objects)


def read_form(data: bytes) -> tuple[dict[str, object], dict[str, str], Annotations]:
    """`read_fields`, and the notes on the pages with the widgets of the fields.

    Raises `Unusual` when the file needs pypdf."""
    objects = _open(data)
    widgets: dict[int, str] = {}
    fields = _fields(objects, widgets)
    return fields, _identity(objects), _annotations(objects, widgets)


def _open(data: bytes) -> PdfObjects:
    objects = PdfObjects(data)
    if "Encrypt" in objects.trailer:
        raise Unusual("encrypted")
    return objects


def _fields(objects: PdfObjects, widgets: dict[int, str]) -> dict[str, object]:
    """The terminal fields' full names and values; `widgets` gets the object number of each
    terminal field and of its widgets, with the field's name."""
    catalog = objects.dict_at(objects.trailer.get("Root"))
    acroform = objects.dict_at(catalog.get("AcroForm"))
    fields: dict[str, object] = {}
    roots = objects.get(acroform.get("Fields"))
    stack: list[tuple[object, str, object, int]] = [
        (ref, "", None, 0) for ref in reversed(roots if isinstance(roots, list) else [])
    ]
    seen: set[int] = set()
    while stack:
        ref, parent, inherited, depth = stack.pop()
        if depth > MAX_DEPTH or len(seen) > MAX_FIELDS:
            raise Unusual("field tree too deep or too large")
        if isinstance(ref, Ref):
            if ref.num in seen:
                continue
            seen.add(ref.num)
        field = objects.field_at(ref)
        part = text(field.get("T"))
        name = f"{parent}.{part}" if parent and part is not None else (part or parent)
        value = field["V"] if "V" in field else inherited
        kids = objects.get(field.get("Kids"))
        named_kids = isinstance(kids, list) and any("T" in objects.field_at(k) for k in kids)
        if named_kids:
            stack.extend((k, name, value, depth + 1) for k in reversed(kids))  # type: ignore[arg-type]
            continue
        if not name:
            continue
        fields[name] = _plain(objects, objects.get(value))
        for widget in [ref, *kids] if isinstance(kids, list) else [ref]:
            if isinstance(widget, Ref):
                widgets[widget.num] = name
    return fields


def _pages(objects: PdfObjects) -> list[dict[str, object]]:
    """The page dictionaries in order (each node of the tree visited once, the tree bounded)."""
    catalog = objects.dict_at(objects.trailer.get("Root"))
    stack, seen, pages = [catalog.get("Pages")], set(), []
    while stack:
        ref = stack.pop()
        if isinstance(ref, Ref):
            if ref.num in seen:
                continue
            seen.add(ref.num)
        if len(seen) > MAX_FIELDS:
            raise Unusual("page tree too large")
        node = objects.entries_at(ref, PAGE_KEYS)
        kids = objects.get(node.get("Kids"))
        if node.get("Type") == "/Pages" or isinstance(kids, list):
            stack.extend(reversed(kids if isinstance(kids, list) else []))
        else:
            pages.append(node)
    return pages


def _annotations(objects: PdfObjects, widgets: dict[int, str]) -> Annotations:
    """The notes on every page, and (only when there are notes) where the fields' widgets are.

    A widget of a known field is passed over by its object number without being read."""
    found = Annotations([], [])
    spots: list[tuple[int, str, object]] = []
    for index, page in enumerate(_pages(objects)):
        annots = objects.get(page.get("Annots"))
        for ref in annots if isinstance(annots, list) else []:
            if isinstance(ref, Ref) and ref.num in widgets:
                spots.append((index, widgets[ref.num], ref))
                continue
            if not found.take(partial(_note, objects, index, ref)):
                break
        if found.cut:
            break
    if found.notes:
        for index, name, ref in spots:
            where = rect(_numbers(objects, objects.entries_at(ref, RECT_KEYS).get("Rect")))
            if where is not None:
                found.places.append(Place(index, name, where))
    return found


def _note(objects: PdfObjects, page: int, ref: object) -> Annotation | None:
    """The note an annotation is, or None: not a note, or no text."""
    entries = objects.entries_at(ref, NOTE_KEYS)
    subtype = objects.get(entries.get("Subtype"))
    if not isinstance(subtype, Name) or subtype in NOT_NOTES:
        return None
    contents = objects.get(entries.get("Contents"))
    rich = objects.get(entries.get("RC")) if not isinstance(contents, bytes) else None
    if isinstance(rich, dict):
        raise Unusual("rich text in a stream")  # pypdf inflates it
    if not isinstance(contents, bytes) and not isinstance(rich, bytes):
        return None
    where = rect(_numbers(objects, entries.get("Rect")))
    author = text(objects.get(entries.get("T")))
    return Annotation(page, str(subtype), where, text(contents), text(rich), author)


def _numbers(objects: PdfObjects, value: object) -> object:
    value = objects.get(value)
    return [objects.get(v) for v in value] if isinstance(value, list) else value


def _plain(objects: PdfObjects, value: object) -> object:
    """A value as pypdf gives it: text as str, names with their slash, arrays as lists."""
    if isinstance(value, list):
        return [_plain(objects, objects.get(v)) for v in value]
    if isinstance(value, bytes | Name):
        return text(value)
    return value


def _identity(objects: PdfObjects) -> dict[str, str]:
    info = objects.dict_at(objects.trailer.get("Info"))
    raw = text(objects.get(info.get("PepDocsIdentity")))
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
