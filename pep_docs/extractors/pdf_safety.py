"""Looking at an untrusted PDF before its form is read.

Refused: a password-protected PDF (user or owner password: either way its contents are
encrypted), more pages than a returned form has, a compressed stream that inflates past the
limits (a decompression bomb), a structure too large to check. Flagged: active content --
JavaScript, an action run on opening (OpenAction), additional actions (AA), Launch actions,
embedded files, XFA, RichMedia, form submission or import. Nothing found is ever run: pep-docs
reads a form's fields and text only, and says on the extraction what the file carried, so a
person knows.

Every object reachable from the trailer is visited once (cycles in outlines, page trees or
/Prev chains end where an object repeats); stream data is inflated in chunks with a cap,
never held whole.

A plain file -- classic cross-reference tables (incremental updates too), no object streams,
and none of the names of active content (nor any name written with # escapes) anywhere outside
stream data, as our forms, pypdf, qpdf and poppler write them -- is inspected by the small
object reader (`pdf_objects`) instead: every object its tables list is looked at (versions an
update replaced too), the page tree counted and every Flate stream inflated with the same caps,
in milliseconds instead of a full pypdf parse. Anything else gets the full walk.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from pep_docs.errors import FormReadError, UnsafeInputError
from pep_docs.extractors.pdf_objects import PdfObjects, Ref, Unusual
from pep_docs.extractors.safety import LIMITS, UNLOCK, Limits

# More objects than any form has; a file past it is refused rather than walked for ever.
MAX_OBJECTS = 200_000
_CHUNK = 1024 * 1024
_MB = 1024 * 1024
EXPORT_AGAIN = "ask the school to export the form as PDF again"

# What may be found, in the order a warning names them (the PDF specification's names).
ACTIVE = (
    "JavaScript",
    "OpenAction",
    "AA",
    "Launch",
    "EmbeddedFile",
    "XFA",
    "RichMedia",
    "SubmitForm",
    "ImportData",
)
_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "Launch", "/SubmitForm": "SubmitForm",
            "/ImportData": "ImportData", "/RichMediaExecute": "RichMedia"}  # fmt: skip
_ANNOTATIONS = {"/RichMedia": "RichMedia", "/FileAttachment": "EmbeddedFile"}


@dataclass(frozen=True)
class PdfInspection:
    """What a PDF is, seen before reading it: its pages and the active content it carries."""

    pages: int
    active: tuple[str, ...]

    def warning(self) -> str | None:
        """The warning an extraction carries, or None when the PDF has no active content."""
        if not self.active:
            return None
        return (
            f"the PDF carries active content ({', '.join(self.active)}): none of it was run, "
            "only the form's fields and text were read"
        )


def inspect_pdf(data: bytes, where: str, limits: Limits = LIMITS) -> PdfInspection:
    """Refuse a PDF that is locked, too long or a bomb; name the active content it carries."""
    quick = _quick_inspection(data, where, limits)
    if quick is not None:
        return quick
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FormReadError("the PDF is password-protected", where=where, hint=UNLOCK)
        pages = len(reader.pages)
    except FormReadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise _damaged(exc, where) from exc
    _check_pages(pages, where, limits)
    try:
        found = _walk(reader, where, limits)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise _damaged(exc, where) from exc
    return PdfInspection(pages, tuple(name for name in ACTIVE if name in found))


def _check_pages(pages: int, where: str, limits: Limits) -> None:
    if pages > limits.max_pdf_pages:
        raise UnsafeInputError(
            f"the PDF has {pages} pages, more than the {limits.max_pdf_pages} a returned form "
            "may have: refused",
            where=where,
            hint="send the PEP form on its own, without other documents",
        )


# Any of these names in an object (or a name written with # escapes) sends the file to the full
# walk below, which says exactly what it is: the quick path only passes files with none of them.
_SUSPECT = re.compile(
    rb"/(?:JS|JavaScript|AA|OpenAction|Launch|EmbeddedFiles?|EF|XFA|RichMedia\w*|SubmitForm"
    rb"|ImportData|FileAttachment|ObjStm|XRef|XRefStm|Encrypt|GoToR|GoToE|URI|Sound|Movie"
    rb"|Rendition|Names)(?![A-Za-z0-9])|/[^\x00\t\n\x0c\r /\[\]()<>{}%]*#"
)
_STREAM = re.compile(rb"\bstream(?:\r\n|\n)")
_OBJ_WORD = re.compile(rb"obj(?![A-Za-z0-9])")
_STREAM_KEYS = frozenset({"Length", "Filter"})


def _quick_inspection(data: bytes, where: str, limits: Limits) -> PdfInspection | None:
    """The inspection of a plain PDF (classic cross-reference table, no object streams, none of
    the suspect names anywhere outside stream data), read with the small object reader in a few
    milliseconds; None: anything else, for the full walk with pypdf."""
    try:
        objects = PdfObjects(data)
        if "Encrypt" in objects.trailer or len(objects.offsets) > MAX_OBJECTS:
            return None
        # Every object the file spells out is looked at, older versions that an incremental
        # update replaced included: a reader rebuilding a damaged table would find them. One no
        # table lists (hidden) sends the file to the full walk.
        if not _lists_every_object(data, len(objects.definitions)):
            return None
        pages = _count_pages(objects)
        if pages is None:
            return None
        _check_pages(pages, where, limits)
        inflated = 0
        for number, offset in objects.definitions:
            size = _quick_object(objects, number, offset, where, limits, inflated)
            if size is None:
                return None
            inflated += size
    except (Unusual, ValueError, IndexError, KeyError, TypeError, RecursionError):
        return None
    return PdfInspection(pages, ())


def _lists_every_object(data: bytes, in_use: int) -> bool:
    """Whether the file spells out ("12 0 obj ... endobj") exactly the objects its table lists:
    as many "endobj" as entries, and as many "obj" standing alone besides. A chance "obj" in
    the data only makes a count wrong, which sends the file to the full walk. (A regular
    expression for the whole "12 0 obj" costs 25 times as much.)"""
    ends = data.count(b"endobj")
    return ends == in_use and len(_OBJ_WORD.findall(data)) - ends == in_use


def _quick_object(
    objects: PdfObjects, number: int, offset: int, where: str, limits: Limits, so_far: int
) -> int | None:
    """Bytes the object's stream inflates to (0 without one); None: send the file to pypdf."""
    if not objects.defines(number, offset):
        # The table points at another object (two entries at one place): the object it should
        # name is hidden from this check, as a reader that repairs the table would find it.
        return None
    data = objects.data
    end = data.find(b"endobj", offset)
    if end < 0:
        return None
    body = data.find(b">>", offset, end)
    stream = _STREAM.search(data, offset, end) if body >= 0 else None
    head = data[offset : stream.start() if stream else end]
    if _SUSPECT.search(head):
        return None
    if stream is None:
        return 0
    entries = objects._entries(objects.parser.skip(data.index(b"obj", offset) + 3), _STREAM_KEYS)
    length = objects.get(entries.get("Length"))
    if not isinstance(length, int) or length < 0:
        return None
    start = stream.end()
    tail = data[start + length : start + length + 12].lstrip(b"\r\n")
    if not tail.startswith(b"endstream"):
        return None
    filters = entries.get("Filter")
    first = filters[0] if isinstance(filters, list) and filters else filters
    if first is None:
        return 0
    if first not in ("/FlateDecode", "/Fl"):
        return None  # other filters: the full walk decides
    return _inflate(data[start : start + length], number, where, limits, so_far)


def _count_pages(objects: PdfObjects) -> int | None:
    """Pages in the page tree (each node visited once); None when the tree is not plain."""
    catalog = objects.dict_at(objects.trailer.get("Root"))
    stack, seen, count = [catalog.get("Pages")], set(), 0
    while stack:
        ref = stack.pop()
        if not isinstance(ref, Ref) or ref.num in seen or len(seen) > MAX_OBJECTS:
            return None
        seen.add(ref.num)
        node = objects.dict_at(ref)
        kind = node.get("Type")
        if kind == "/Page":
            count += 1
        elif kind == "/Pages" and isinstance(node.get("Kids"), list):
            stack.extend(reversed(node["Kids"]))
        else:
            return None
    return count


def _damaged(exc: Exception, where: str) -> FormReadError:
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    if isinstance(exc, LimitReachedError):
        return UnsafeInputError(
            f"the PDF breaks a safety limit of the PDF reader ({reason}): refused",
            where=where,
            hint=EXPORT_AGAIN,
        )
    return FormReadError(
        f"the PDF is damaged and cannot be read ({reason})", where=where, hint=EXPORT_AGAIN
    )


def _walk(reader: PdfReader, where: str, limits: Limits) -> set[str]:
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    inflated = 0
    stack: list[object] = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        number = None
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            number = obj.idnum
            obj = obj.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise UnsafeInputError(
                f"the PDF has more than {MAX_OBJECTS} objects to check: refused",
                where=where,
                hint=EXPORT_AGAIN,
            )
        if isinstance(obj, DictionaryObject):
            _classify(obj, found)
            if isinstance(obj, StreamObject):
                inflated += _inflated_size(obj, number, where, limits, inflated)
            # dict.values: the raw values, so references are followed here, once each.
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return found


def _classify(d: DictionaryObject, found: set[str]) -> None:
    """Name the active content one dictionary is or holds."""
    action = _name(d, "/S")
    if action in _ACTIONS:
        found.add(_ACTIONS[action])
    if "/JS" in d or "/JavaScript" in d:  # an action's script, or the document's script tree
        found.add("JavaScript")
    if "/AA" in d:
        found.add("AA")
    if "/OpenAction" in d:
        opening = _value(d, "/OpenAction")
        # A plain destination (open at page 1) or a go-to action is what many producers write.
        if isinstance(opening, DictionaryObject) and _name(opening, "/S") != "/GoTo":
            found.add("OpenAction")
    if "/EmbeddedFiles" in d or "/EF" in d or _name(d, "/Type") == "/EmbeddedFile":
        found.add("EmbeddedFile")
    subtype = _name(d, "/Subtype")
    if subtype in _ANNOTATIONS:
        found.add(_ANNOTATIONS[subtype])
    if "/XFA" in d:
        found.add("XFA")


def _value(d: DictionaryObject, key: str) -> object:
    value = dict.get(d, key)
    return value.get_object() if isinstance(value, IndirectObject) else value


def _name(d: DictionaryObject, key: str) -> str | None:
    value = _value(d, key)
    return str(value) if isinstance(value, str) else None


def _inflated_size(
    stream: StreamObject, number: int | None, where: str, limits: Limits, so_far: int
) -> int:
    """Bytes a Flate stream inflates to, counted in chunks and refused past the limits."""
    filters = _value(stream, "/Filter")
    first = filters[0] if isinstance(filters, ArrayObject) and filters else filters
    if first not in ("/FlateDecode", "/Fl"):
        return 0
    return _inflate(getattr(stream, "_data", b""), number, where, limits, so_far)


def _inflate(pending: bytes, number: int | None, where: str, limits: Limits, so_far: int) -> int:
    """Bytes Flate data inflates to, counted in chunks and refused past the limits."""
    cap = min(limits.max_part_bytes, limits.max_total_bytes - so_far)
    inflater = zlib.decompressobj()
    total = 0
    try:
        while pending and total <= cap:
            total += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
    except zlib.error:
        return total  # damaged data: the reader reports it, if it matters
    if total > cap:
        which = f"stream (object {number})" if number is not None else "stream"
        limit = limits.max_part_bytes if cap == limits.max_part_bytes else limits.max_total_bytes
        raise UnsafeInputError(
            f"the PDF has a compressed {which} that inflates to more than {limit // _MB} MB: "
            "refused as a possible decompression bomb",
            where=where,
            hint=EXPORT_AGAIN,
        )
    return total
