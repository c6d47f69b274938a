"""Opening untrusted returned files safely: OOXML zips checked before anything inflates them,
XML parsed without entities, DTDs or network, and every limit a setting.

A .docx is a zip. Its central directory says how many entries it has and how big each claims to
be; a zip bomb or a zip with thousands of entries is refused from that alone. Each part is then
read with a hard cap on the bytes actually inflated (the declared size can lie).
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from pep_docs.errors import UnsafeInputError


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """Safety limits for untrusted files; each can be set by an environment variable."""

    max_file_bytes: int = _env_int("PEP_DOCS_MAX_FILE_BYTES", 25 * 1024 * 1024)
    max_entries: int = _env_int("PEP_DOCS_MAX_ZIP_ENTRIES", 1000)
    max_part_bytes: int = _env_int("PEP_DOCS_MAX_PART_BYTES", 50 * 1024 * 1024)
    max_total_bytes: int = _env_int("PEP_DOCS_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024)
    max_ratio: int = _env_int("PEP_DOCS_MAX_ZIP_RATIO", 100)
    max_xml_depth: int = _env_int("PEP_DOCS_MAX_XML_DEPTH", 256)


LIMITS = Limits()

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


class SafeZip:
    """A zip whose central directory passed the limits; parts are read with inflation caps."""

    def __init__(self, source: bytes | BinaryIO, where: str, limits: Limits = LIMITS):
        self.where = where
        self.limits = limits
        data = source if isinstance(source, bytes) else source.read(limits.max_file_bytes + 1)
        if len(data) > limits.max_file_bytes:
            raise UnsafeInputError(
                f"the file is larger than {limits.max_file_bytes // (1024 * 1024)} MB",
                where=where,
                hint="send a smaller file, or raise PEP_DOCS_MAX_FILE_BYTES",
            )
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, EOFError, ValueError) as exc:
            raise UnsafeInputError(
                "the file is damaged or not a Word document (its zip structure is broken)",
                where=where,
                hint="open it in Word and save it again as .docx",
            ) from exc
        if len(infos) > limits.max_entries:
            raise UnsafeInputError(
                f"the file holds {len(infos)} parts, more than the {limits.max_entries} allowed",
                where=where,
            )
        declared = 0
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
                raise UnsafeInputError(
                    f"the file has a part with an unsafe name: {name!r}", where=where
                )
            if info.flag_bits & 0x1:
                raise UnsafeInputError(
                    "the file is encrypted",
                    where=where,
                    hint="remove the password in Word and send it again",
                )
            declared += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.max_part_bytes or ratio > limits.max_ratio:
                raise UnsafeInputError(
                    f"the part {name!r} would inflate to {info.file_size} bytes "
                    f"(ratio {ratio:.0f}:1): refused as a possible zip bomb",
                    where=where,
                )
        if declared > limits.max_total_bytes:
            raise UnsafeInputError(
                f"the file would inflate to {declared} bytes in all: refused as a possible zip bomb",
                where=where,
            )
        self.names = {info.filename for info in infos}

    def read(self, name: str) -> bytes:
        """One part, inflating at most the part limit whatever the header claims."""
        try:
            with self.zip.open(name) as fh:
                data = fh.read(self.limits.max_part_bytes + 1)
        except KeyError:
            raise UnsafeInputError(f"the file has no part {name!r}", where=self.where) from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise UnsafeInputError(
                f"the part {name!r} is damaged ({exc})",
                where=self.where,
                hint="open it in Word and save it again as .docx",
            ) from exc
        if len(data) > self.limits.max_part_bytes:
            raise UnsafeInputError(f"the part {name!r} is too large", where=self.where)
        return data

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.read(name), f"{self.where}, part {name}", self.limits)

    def xml_if_any(self, name: str) -> etree._Element | None:
        """A part that may be left empty (LibreOffice sometimes writes custom XML parts empty)."""
        data = self.read(name)
        if not data.strip():
            return None
        return parse_xml(data, f"{self.where}, part {name}", self.limits)


def parse_xml(data: bytes, where: str, limits: Limits = LIMITS) -> etree._Element:
    """Parse untrusted XML: no DOCTYPE at all, no entities, no network, bounded depth."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise UnsafeInputError(
            "the file contains an XML document type declaration, which Word never writes: refused",
            where=where,
        )
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeInputError(f"the XML is damaged: {exc}", where=where) from exc
    if _depth_exceeds(root, limits.max_xml_depth):
        raise UnsafeInputError(
            f"the XML is nested deeper than {limits.max_xml_depth} levels: refused", where=where
        )
    return root


def _depth_exceeds(root: etree._Element, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in node)
    return False
