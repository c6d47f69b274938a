"""A small zip writer for packs: members added whole, streamed, or copied still compressed.

Python's `zipfile` (3.11) has no public way to copy a member's compressed bytes from one zip to
another (cpython gh-113924), nor to give each member its own compression level. A pack copies
every form from the chunk file a worker made; inflating and deflating it again would cost more
than rendering it. So this module writes the format itself, from PKWARE's APPNOTE 6.3.10
(sections 4.3, 4.4 and 4.5), using only `zlib` and `struct`; reading stays with `zipfile`.

- A member added whole (`write`, `write_raw`, `copy`) has its CRC and sizes in its local
  header; a streamed one (`stream`, for the manifests) sets flag bit 3 and puts them in a data
  descriptor after its data.
- Names are UTF-8 (flag bit 11 when not ASCII); entries are made on Unix with the mode given,
  and carry the date given, never the clock: the same members give the same bytes.
- Zip64: when an offset, the central directory or the number of entries passes the classic
  limits, the central directory entry carries a Zip64 extra field and the archive ends with a
  Zip64 end record and locator. One member is at most 4 GiB - 1 (a form is a few hundred KB).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
ZIP64_LIMIT = 0xFFFFFFFF  # an offset or size from here on moves to the Zip64 records
MAX_ENTRIES = 0xFFFF  # so does a count of entries
MAX_MEMBER = 0xFFFFFFFF - 1
_FULL32, _FULL16 = 0xFFFFFFFF, 0xFFFF  # "see the Zip64 record" in a classic field

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DESCRIPTOR = struct.Struct("<IIII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_LOCAL_SIG, _CENTRAL_SIG, _DESCRIPTOR_SIG = 0x04034B50, 0x02014B50, 0x08074B50
_END_SIG, _END64_SIG, _LOCATOR64_SIG = 0x06054B50, 0x06064B50, 0x07064B50
_UTF8, _DATA_DESCRIPTOR = 0x800, 0x8
_UNIX = 3
_BLOCK = 1 << 20

DateTime = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Entry:
    """One member as the central directory records it."""

    name: str
    method: int
    crc: int
    compress_size: int
    file_size: int
    date_time: DateTime
    mode: int
    offset: int
    flags: int


def _dos(date_time: DateTime) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    if not 1980 <= y <= 2107:
        raise ValueError(f"a zip entry's year must be 1980 to 2107, not {y}")
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def deflate(data: bytes, level: int) -> bytes:
    """Raw deflate (no zlib header), as a zip member holds it."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


class SharedPrefix:
    """Deflates members that all start with the same bytes, the prefix deflated only once.

    The prefix is compressed and flushed to a byte boundary (`Z_SYNC_FLUSH`); each member
    continues from a copy of the compressor, so it costs only its own bytes. A PDF form of a
    pack is about half layout shared by every child of that layout. The same prefix and rest
    always give the same bytes.
    """

    def __init__(self, prefix: bytes, level: int) -> None:
        self.prefix = prefix
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._head = self._compressor.compress(prefix) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        self._crc = zlib.crc32(prefix)

    def write(
        self, writer: ZipWriter, name: str, rest: bytes, *, date_time: DateTime, mode: int = 0o600
    ) -> Entry:
        """The member `prefix + rest`."""
        compressor = self._compressor.copy()
        tail = compressor.compress(rest) + compressor.flush()
        return writer.write_raw(name, [self._head, tail], method=DEFLATED,
                                crc=zlib.crc32(rest, self._crc),
                                compress_size=len(self._head) + len(tail),
                                file_size=len(self.prefix) + len(rest), date_time=date_time,
                                mode=mode)  # fmt: skip


class ZipWriter:
    """Writes a zip to a binary stream, front to back (the stream need not be seekable)."""

    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = fp
        self._pos = 0
        self._entries: list[Entry] = []
        self._names: set[str] = set()
        self._closed = False

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    def _emit(self, data: bytes) -> None:
        self._fp.write(data)
        self._pos += len(data)

    def _start(self, name: str, method: int, date_time: DateTime, flags: int) -> tuple[int, ...]:
        if self._closed:
            raise ValueError("the zip is closed")
        if name in self._names:
            raise ValueError(f"the zip already holds {name!r}")
        if method not in (STORED, DEFLATED):
            raise ValueError(f"compression method {method} is not stored or deflated")
        self._names.add(name)
        if not name.isascii():
            flags |= _UTF8
        return (self._pos, flags, *_dos(date_time))

    def write_raw(
        self,
        name: str,
        blocks: Iterable[bytes],
        *,
        method: int,
        crc: int,
        compress_size: int,
        file_size: int,
        date_time: DateTime,
        mode: int = 0o600,
    ) -> Entry:
        """A member whose data (`blocks`, already compressed by `method`) and CRC are known."""
        if max(compress_size, file_size) > MAX_MEMBER:
            raise ValueError(f"{name}: a member of 4 GiB or more is not supported")
        offset, flags, dos_time, dos_date = self._start(name, method, date_time, 0)
        encoded = name.encode()
        self._emit(_LOCAL.pack(_LOCAL_SIG, 20, flags, method, dos_time, dos_date, crc,
                               compress_size, file_size, len(encoded), 0) + encoded)  # fmt: skip
        written = 0
        for block in blocks:
            self._emit(block)
            written += len(block)
        if written != compress_size:
            raise ValueError(f"{name}: {written} bytes of data, not {compress_size}")
        entry = Entry(name, method, crc, compress_size, file_size, date_time, mode, offset, flags)
        self._entries.append(entry)
        return entry

    def write(
        self, name: str, data: bytes, *, level: int | None, date_time: DateTime, mode: int = 0o600
    ) -> Entry:
        """A member from its bytes: stored when `level` is None, else deflated at `level`."""
        body = data if level is None else deflate(data, level)
        return self.write_raw(name, [body], method=STORED if level is None else DEFLATED,
                              crc=zlib.crc32(data), compress_size=len(body),
                              file_size=len(data), date_time=date_time, mode=mode)  # fmt: skip

    def stream(
        self,
        name: str,
        blocks: Iterable[bytes],
        *,
        level: int = 6,
        date_time: DateTime,
        mode: int = 0o600,
    ) -> Entry:
        """A deflated member from blocks of bytes, never all in memory (sizes follow the data)."""
        offset, flags, dos_time, dos_date = self._start(name, DEFLATED, date_time, _DATA_DESCRIPTOR)
        encoded = name.encode()
        self._emit(_LOCAL.pack(_LOCAL_SIG, 20, flags, DEFLATED, dos_time, dos_date, 0, 0, 0,
                               len(encoded), 0) + encoded)  # fmt: skip
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        crc = size = compressed = 0
        for block in blocks:
            crc = zlib.crc32(block, crc)
            size += len(block)
            out = compressor.compress(block)
            compressed += len(out)
            self._emit(out)
        out = compressor.flush()
        compressed += len(out)
        self._emit(out)
        if max(size, compressed) > MAX_MEMBER:
            raise ValueError(f"{name}: a member of 4 GiB or more is not supported")
        self._emit(_DESCRIPTOR.pack(_DESCRIPTOR_SIG, crc, compressed, size))
        entry = Entry(name, DEFLATED, crc, compressed, size, date_time, mode, offset, flags)
        self._entries.append(entry)
        return entry

    def close(self) -> None:
        """Write the central directory and the end records."""
        if self._closed:
            return
        start = self._pos
        for e in self._entries:
            encoded = e.name.encode()
            extra = b""
            offset = e.offset
            if offset >= ZIP64_LIMIT:
                extra = struct.pack("<HHQ", 1, 8, offset)
                offset = _FULL32
            version = 45 if extra else 20
            dos_time, dos_date = _dos(e.date_time)
            self._emit(
                _CENTRAL.pack(_CENTRAL_SIG, _UNIX << 8 | version, version, e.flags, e.method,
                              dos_time, dos_date, e.crc, e.compress_size, e.file_size,
                              len(encoded), len(extra), 0, 0, 0, (0o100000 | e.mode) << 16,
                              offset)
                + encoded + extra
            )  # fmt: skip
        size, count = self._pos - start, len(self._entries)
        if count >= MAX_ENTRIES or size >= ZIP64_LIMIT or start >= ZIP64_LIMIT:
            end64 = self._pos
            self._emit(_END64.pack(_END64_SIG, _END64.size - 12, _UNIX << 8 | 45, 45, 0, 0,
                                   count, count, size, start))  # fmt: skip
            self._emit(_LOCATOR64.pack(_LOCATOR64_SIG, 0, end64, 1))
            count, size, start = _FULL16, _FULL32, _FULL32
        self._emit(_END.pack(_END_SIG, 0, 0, count, count, size, start, 0))
        self._closed = True


def raw_blocks(fh: IO[bytes], info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The compressed data of one member of the zip open as `fh`, in blocks, as stored.

    `info` comes from `zipfile.ZipFile(fh).getinfo(...)`; the local header is read here to
    find where the data starts (its name and extra field may differ in length from the
    central directory's).
    """
    if info.flag_bits & 0x1:
        raise ValueError(f"{info.filename}: an encrypted member cannot be copied")
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL.size)
    if len(header) < _LOCAL.size or _LOCAL.unpack(header)[0] != _LOCAL_SIG:
        raise ValueError(f"{info.filename}: no local header at {info.header_offset}")
    fields = _LOCAL.unpack(header)
    fh.seek(fields[9] + fields[10], 1)
    remaining = info.compress_size
    while remaining:
        block = fh.read(min(remaining, _BLOCK))
        if not block:
            raise ValueError(f"{info.filename}: the data is cut short")
        remaining -= len(block)
        yield block


def copy_member(writer: ZipWriter, src: zipfile.ZipFile, fh: IO[bytes], name: str) -> Entry:
    """Copy member `name` of `src` (a `ZipFile` on the binary file `fh`) into `writer`, still
    compressed: CRC, sizes, date and mode are the source's, so readers check the copy as usual."""
    info = src.getinfo(name)
    return writer.write_raw(
        name,
        raw_blocks(fh, info),
        method=info.compress_type,
        crc=info.CRC,
        compress_size=info.compress_size,
        file_size=info.file_size,
        date_time=info.date_time,
        mode=(info.external_attr >> 16) & 0o777 or 0o600,
    )
