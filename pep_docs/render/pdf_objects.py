"""A small PDF object writer: just what the form engine needs, fast enough to run per child.

The engine writes PDF syntax itself instead of going through a PDF library so that the bulk path
can keep every object that does not depend on the child as ready-made bytes and only format the
few that do (field values, appearance streams, footers, metadata). Python values map to PDF:
`dict` -> dictionary, `list`/`tuple` -> array, `Name` -> name, `str` -> text string (PDFDocEncoding
literal when ASCII, UTF-16BE with a byte order mark otherwise), `Ref` -> indirect reference,
`bool`, `int`, `float`, `None` -> null, `Raw` -> bytes written as they are.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from typing import Any


class Name(str):
    """A PDF name (`/Widget`)."""


class Ref(int):
    """An indirect reference to object number `n` (generation 0)."""


class Raw(bytes):
    """Bytes that are already PDF syntax."""


_NAME_REGULAR = frozenset(c for c in range(0x21, 0x7F) if chr(c) not in "()<>[]{}/%#")
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", "(": "\\(", ")": "\\)", "\r": "\\r", "\n": "\\n"})


def name(value: str) -> bytes:
    out = bytearray(b"/")
    for byte in value.encode("utf-8"):
        out += bytes([byte]) if byte in _NAME_REGULAR else b"#%02X" % byte
    return bytes(out)


_UNPRINTABLE = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


def text_string(value: str) -> bytes:
    """A PDF text string: literal for printable ASCII, UTF-16BE hex otherwise (any Unicode)."""
    if value.isascii() and not _UNPRINTABLE.search(value):
        return b"(" + value.translate(_LITERAL_ESCAPES).encode("ascii") + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def serialize(value: Any) -> bytes:
    if isinstance(value, Raw):
        return bytes(value)
    if isinstance(value, Name):
        return name(value)
    if isinstance(value, Ref):
        return b"%d 0 R" % value
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | float):
        return number(value).encode("ascii")
    if isinstance(value, str):
        return text_string(value)
    if value is None:
        return b"null"
    if isinstance(value, Mapping):
        parts = [name(k) + b" " + serialize(v) for k, v in value.items()]
        return b"<<" + b" ".join(parts) + b">>"
    if isinstance(value, list | tuple):
        return b"[" + b" ".join(serialize(v) for v in value) + b"]"
    raise TypeError(f"cannot write {type(value).__name__} as PDF")


def stream(entries: Mapping[str, Any], data: bytes, compress: bool = False) -> bytes:
    """The body of a stream object; compressed with Flate when asked."""
    entries = dict(entries)
    if compress:
        data = zlib.compress(data, 6)
        entries["Filter"] = Name("FlateDecode")
    entries["Length"] = len(data)
    return serialize(entries) + b"\nstream\n" + data + b"\nendstream"


def indirect(number_: int, body: bytes) -> bytes:
    return b"%d 0 obj\n" % number_ + body + b"\nendobj\n"


HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def xref_and_trailer(
    offsets: Iterable[int], size: int, trailer: Mapping[str, Any], start: int
) -> bytes:
    """The cross-reference table (objects 1..size-1 in order) and trailer."""
    lines = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
    lines.extend(b"%010d 00000 n \n" % off for off in offsets)
    lines.append(
        b"trailer\n" + serialize({**trailer, "Size": size}) + b"\nstartxref\n%d\n%%%%EOF\n" % start
    )
    return b"".join(lines)
