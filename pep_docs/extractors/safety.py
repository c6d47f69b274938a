"""Opening untrusted returned files safely: OOXML zips checked before anything inflates them,
XML parsed without entities, DTDs or network, and every limit a setting.

A .docx is a zip. Its central directory says how many entries it has and how big each claims to
be; a zip bomb or a zip with thousands of entries is refused from that alone. Each part is then
read with a hard cap on the bytes actually inflated (the declared size can lie).

Every limit is a `PEP_DOCS_*` environment variable, read when `Limits()` is made (so a test or a
service can make its own); `LIMITS` is the one read at import. The README's Security section
lists them (a test keeps it true).
"""

from __future__ import annotations

import functools
import io
import os
import re
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from lxml import etree

from pep_docs.errors import FormReadError, UnsafeInputError

# libxml2's own ceilings without XML_PARSE_HUGE (which is never set): nesting and text length.
LIBXML_MAX_DEPTH = 256
LIBXML_MAX_TEXT_MB = 10


def _setting(env: str, default: int | float, meaning: str) -> Any:
    """A limit read from the environment variable `env` when `Limits()` is made."""
    kind = type(default)

    def read() -> int | float:
        try:
            return kind(os.environ.get(env, default))
        except ValueError:
            return default

    return field(
        default_factory=read, metadata={"env": env, "default": default, "meaning": meaning}
    )


@dataclass(frozen=True)
class Limits:
    """Safety limits for untrusted files; each can be set by an environment variable."""

    # fmt: off
    max_file_bytes: int = _setting("PEP_DOCS_MAX_FILE_BYTES", 25 * 1024 * 1024, "largest returned file read")
    max_entries: int = _setting("PEP_DOCS_MAX_ZIP_ENTRIES", 1000, "most parts a .docx may have")
    max_part_bytes: int = _setting("PEP_DOCS_MAX_PART_BYTES", 50 * 1024 * 1024, "largest inflated part of a .docx or stream of a PDF")
    max_total_bytes: int = _setting("PEP_DOCS_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024, "most a .docx or a PDF's streams may inflate to in all")
    max_ratio: int = _setting("PEP_DOCS_MAX_ZIP_RATIO", 100, "highest compression ratio of a .docx part (zip bombs)")
    max_xml_depth: int = _setting("PEP_DOCS_MAX_XML_DEPTH", 256, "deepest XML nesting (libxml2 stops at 256 in any case)")
    max_pdf_pages: int = _setting("PEP_DOCS_MAX_PDF_PAGES", 200, "most pages a returned PDF may have")
    parse_timeout: float = _setting("PEP_DOCS_PARSE_TIMEOUT", 30.0, "seconds one file may take to read (wall clock and CPU)")
    parse_memory_mb: int = _setting("PEP_DOCS_PARSE_MEMORY_MB", 1024, "memory (MB) the reading process may take beyond its start")
    # fmt: on


LIMITS = Limits()

# What to do, said the same way by every refusal.
RESEND = "open it in Word, save it as a Word document (.docx) and send it again"
UNLOCK = "ask the school to send an unlocked copy"
# The same for a zip of forms (a school sending a term's forms at once).
RESEND_FORMS = "ask the school to send the forms again, each on its own or in a new zip"

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
        self.names = {info.filename for info in infos}
        # What a refusal asks for depends on what the zip is: a Word document, or a zip of forms.
        self.resend = resend = RESEND_FORMS if zipped_forms(self.names) else RESEND
        if len(infos) > limits.max_entries:
            raise UnsafeInputError(
                f"the file holds {len(infos)} parts, more than the {limits.max_entries} allowed",
                where=where,
                hint=resend,
            )
        declared = 0
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
                raise UnsafeInputError(
                    f"the file has a part with an unsafe name: {name!r}", where=where, hint=resend
                )
            if info.flag_bits & 0x1:
                raise UnsafeInputError("the file is encrypted", where=where, hint=UNLOCK)
            declared += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.max_part_bytes or ratio > limits.max_ratio:
                raise UnsafeInputError(
                    f"the part {name!r} would inflate to {info.file_size} bytes "
                    f"(ratio {ratio:.0f}:1): refused as a possible zip bomb",
                    where=where,
                    hint=resend,
                )
        if declared > limits.max_total_bytes:
            raise UnsafeInputError(
                f"the file would inflate to {declared} bytes in all: refused as a possible zip bomb",
                where=where,
                hint=resend,
            )
        self.infos = infos

    def read(self, part: str | zipfile.ZipInfo) -> bytes:
        """One part, inflating at most the part limit whatever the header claims. By its name,
        or by its entry (`infos`): a crafted zip can hold two entries of one name."""
        name = part.filename if isinstance(part, zipfile.ZipInfo) else part
        try:
            with self.zip.open(part) as fh:
                data = fh.read(self.limits.max_part_bytes + 1)
        except KeyError:
            raise UnsafeInputError(f"the file has no part {name!r}", where=self.where) from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise UnsafeInputError(
                f"the part {name!r} is damaged ({exc})",
                where=self.where,
                hint="open it in Word and save it again as .docx"
                if self.resend == RESEND
                else self.resend,
            ) from exc
        if len(data) > self.limits.max_part_bytes:
            raise UnsafeInputError(
                f"the part {name!r} inflates to more than {self.limits.max_part_bytes} bytes: "
                "refused as a possible zip bomb",
                where=self.where,
                hint=self.resend,
            )
        return data

    def xml(self, name: str, lean: Callable[[bytes], bytes] | None = None) -> etree._Element:
        """A part parsed; `lean` first leaves out of its bytes what no reader looks at."""
        data = self.read(name)
        return parse_xml(lean(data) if lean else data, f"{self.where}, part {name}", self.limits)

    def xml_if_any(self, name: str) -> etree._Element | None:
        """A part that may be left empty (LibreOffice sometimes writes custom XML parts empty)."""
        data = self.read(name)
        if not data.strip():
            return None
        return parse_xml(data, f"{self.where}, part {name}", self.limits)


def check_word_package(package: SafeZip) -> None:
    """A returned .docx must be a whole Word document without macros (its macros never run)."""
    other = not_a_word_document(package)
    if other is not None:
        raise other
    if "[Content_Types].xml" not in package.names:
        raise FormReadError(
            "the file has no [Content_Types].xml, so it is not a whole Word document",
            where=package.where,
            hint=RESEND,
        )
    types = package.xml("[Content_Types].xml")
    declared = {el.get("ContentType", "") for el in types}
    if any("macroEnabled" in t or "vbaProject" in t for t in declared) or any(
        n.lower().endswith("vbaproject.bin") for n in package.names
    ):
        raise UnsafeInputError(
            "this is a macro-enabled Word document (.docm), not a .docx: refused, and its "
            "macros were not run",
            where=package.where,
            hint=RESEND,
        )


def main_part(package: SafeZip) -> str | None:
    """The name of the document's main part: what the package's `officeDocument` relationship
    names (Word on the web saves `word/document2.xml`), else `word/document.xml`; None when
    there is neither."""
    from pep_docs.render.docx_package import resolve_target

    if "_rels/.rels" in package.names:
        for rel in package.xml("_rels/.rels"):
            if rel.get("Type", "").endswith("/officeDocument"):
                name = resolve_target("", rel.get("Target", ""))
                if name in package.names:
                    return name
    return "word/document.xml" if "word/document.xml" in package.names else None


def not_a_word_document(package: SafeZip) -> FormReadError | None:
    """Why a zip that is not a Word document is not read (another word processor's own format,
    or a zip of forms), with what to do; None when it is not one of those.

    LibreOffice's own format (OpenDocument, .odt) starts with a `mimetype` entry naming it;
    Apple Pages keeps its document in `Index/*.iwa`. A zip of several returns (a school
    sending a term's forms at once) holds .docx or .pdf files and no content types."""
    if "mimetype" in package.names and "[Content_Types].xml" not in package.names:
        mimetype = package.read("mimetype")[:100].decode("ascii", "replace").strip()
        if mimetype.startswith("application/vnd.oasis.opendocument"):
            return FormReadError(
                "this is an OpenDocument file (.odt, as LibreOffice saves by default), not the "
                "Word form",
                where=package.where,
                hint="in LibreOffice choose File > Save As, set the file type to "
                "'Word 2007-365 (.docx)', keep that format, and send the .docx",
            )
    if any(name.startswith("Index/") and name.endswith(".iwa") for name in package.names):
        return FormReadError(
            "this is an Apple Pages document, not the Word form",
            where=package.where,
            hint="in Pages choose File > Export To > Word, and send the .docx",
        )
    forms = zipped_forms(package.names)
    if forms:
        many = "form" if len(forms) == 1 else "forms"
        return FormReadError(
            f"this is a zip file holding {len(forms)} {many}, not a form itself",
            where=package.where,
            hint="unzip it and read each form on its own (the web service, pep-docs serve, "
            "unpacks a zip of forms uploaded to it and reads each form as a return of its own)",
        )
    return None


def zipped_forms(names: Iterable[str]) -> list[str]:
    """The forms (.docx, .pdf) in a zip of forms, by name; empty when the zip is not one (a Word
    document has content types, a zip of forms has none). The copies a Mac adds are not forms."""
    if "[Content_Types].xml" in names:
        return []
    return sorted(
        n for n in names if n.lower().endswith((".docx", ".pdf")) and not made_by_the_system(n)
    )


# Files Windows' Explorer keeps in a folder (thumbnails, folder settings), zipped with it.
_WINDOWS_FOLDER_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})


def made_by_the_system(name: str) -> bool:
    """Whether a zip entry is one the computer added, never a file a person made: what the
    Mac's Archive Utility adds beside each file (its resource fork: the `__MACOSX/` folder,
    `._name`; Finder's `.DS_Store`), what Windows keeps in a folder (`Thumbs.db`,
    `desktop.ini`), and the lock file Word keeps beside a document while it is open
    (`~$name.docx`, zipped when a school zips the folder with the form still open)."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return (
        name.startswith("__MACOSX/")
        or base.startswith(("._", "~$"))
        or base == ".DS_Store"
        or base.lower() in _WINDOWS_FOLDER_FILES
    )


def ole_refusal(data: bytes, where: str) -> FormReadError:
    """Why an OLE compound file (an old Office file, or an encrypted .docx) is not read."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(path) for path in ole.listdir(streams=True, storages=False)}
    except (OSError, ValueError, IndexError, KeyError, struct.error):
        streams = set()
    if "EncryptedPackage" in streams:
        # Word keeps a password-protected .docx as an encrypted package inside an OLE file.
        return FormReadError("the Word document is password-protected", where=where, hint=UNLOCK)
    if "WordDocument" in streams:
        return FormReadError(
            "this is an old Word (.doc) file, not a .docx", where=where, hint=RESEND
        )
    return FormReadError(
        "this is an old Microsoft Office file, not a Word or PDF form",
        where=where,
        hint="send the completed PEP form as .docx or .pdf",
    )


_DECLARATION = re.compile(rb"<!(?i:doctype|entity)")


def parse_xml(data: bytes, where: str, limits: Limits = LIMITS) -> etree._Element:
    """Parse untrusted XML: no DOCTYPE at all, no entities, no network, bounded depth and text."""
    if _marked(data, b"!") and _DECLARATION.search(data):
        raise _doctype(where)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if exc.code == etree.ErrorTypes.ERR_NO_MEMORY:
            # libxml2 ran out: the same answer as Python running out (the sandbox's limit).
            raise MemoryError(f"{where}: the XML parser ran out of memory") from None
        if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            if "depth" in str(exc).lower():
                raise _too_deep(where, limits) from None
            raise UnsafeInputError(
                f"the XML holds a text or name longer than {LIBXML_MAX_TEXT_MB} MB: refused",
                where=where,
                hint=RESEND,
            ) from None
        raise UnsafeInputError(f"the XML is damaged: {exc}", where=where, hint=RESEND) from exc
    # A DOCTYPE can follow a long comment, past the first bytes: ask the parser too.
    if root.getroottree().docinfo.doctype:
        raise _doctype(where)
    if not _parser_bounds_depth(data, limits.max_xml_depth) and _depth_exceeds(
        root, limits.max_xml_depth
    ):
        raise _too_deep(where, limits)
    return root


# The XML declaration Word and LibreOffice write: UTF-8, named or by default.
_UTF8_DECLARATION = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\?>""", re.IGNORECASE)
_ENCODING = re.compile(rb"""\sencoding\s*=\s*["']([^"']*)["']""")


def _parser_bounds_depth(data: bytes, limit: int) -> bool:
    """Whether libxml2 has already enforced `limit`, so the tree need not be walked again.

    The parser refuses elements nested deeper than 256 levels (`LIBXML_MAX_DEPTH`), but not a
    comment or processing instruction inside the deepest element, which the walk counts as a
    level. So with a limit of 256 or more, a part in `plain_markup` is within the limit
    already."""
    return limit >= LIBXML_MAX_DEPTH and plain_markup(data)


def plain_markup(data: bytes) -> bool:
    """Whether every `<` in a UTF-8 part starts an element's tag: no comment, CDATA, document
    type or processing instruction past the XML declaration, as in everything Word and
    LibreOffice write.

    The test is on the bytes and errs towards False: another encoding (UTF-16, or UTF-7, where
    `<` need not be the byte `<`), or those marks anywhere, even inside text, give False."""
    if _marked(data, b"!"):  # a comment, CDATA or a document type
        return False
    declaration = _UTF8_DECLARATION.match(data)
    if declaration:
        named = _ENCODING.search(declaration.group())
        if named and named.group(1).lower() not in (b"utf-8", b"utf8"):
            return False
        rest = declaration.end()
    else:  # no declaration: UTF-8 unless the first bytes say otherwise
        rest = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        if data[rest : rest + 1] != b"<" or data[rest + 1 : rest + 2] in (b"\x00", b""):
            return False
    return not _marked(data, b"?", rest)


def _marked(data: bytes, mark: bytes, start: int = 0) -> bool:
    """Whether `<` followed by `mark` occurs in `data` at or after `start`.

    `bytes.find` of two bytes steps through every byte of a 300 KB part (a quarter of a
    millisecond, as long as parsing a tenth of it); of one rare byte (`!`, `?`) it is a memchr,
    and only its few hits are checked for the `<` before them. Past a few dozen hits (a text
    full of them) the rest is searched for both bytes, in C, as before."""
    at = data.find(mark, start + 1)
    for _ in range(64):
        if at < 0:
            return False
        if data[at - 1] == 0x3C:  # <
            return True
        at = data.find(mark, at + 1)
    return at >= 0 and data.find(b"<" + mark, at - 1) >= 0


def _doctype(where: str) -> UnsafeInputError:
    return UnsafeInputError(
        "the file contains an XML document type declaration, which Word never writes: refused",
        where=where,
        hint=RESEND,
    )


def _too_deep(where: str, limits: Limits) -> UnsafeInputError:
    depth = min(limits.max_xml_depth, LIBXML_MAX_DEPTH)
    return UnsafeInputError(
        f"the XML is nested deeper than {depth} levels: refused", where=where, hint=RESEND
    )


def _depth_exceeds(root: etree._Element, limit: int) -> bool:
    """Whether any node lies deeper than `limit` levels (the root is level 1).

    One compiled XPath walks the tree in C: `*/*/.../node()` with `limit` steps selects exactly
    the nodes below level `limit` (text is not a level). (A Python walk over every node took 8 ms on a 7-page form.)
    """
    return bool(_deeper_than(limit)(root))


@functools.cache
def _deeper_than(limit: int) -> etree.XPath:
    last = "node()[not(self::text())][1]"  # elements, comments and processing instructions
    return etree.XPath("/".join(["*"] * (limit - 1) + [last]) if limit > 1 else last)
