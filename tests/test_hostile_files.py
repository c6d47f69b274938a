"""Hostile and broken returned files (issue 8, the file-level part): one table, one answer each.

Every file is made here by the test. Each case runs twice: through the CLI
(`python -m pep_docs extract FILE -o OUT`) in a child process under a hard `setrlimit` (2 GB of
address space, 60 s of CPU), and through `extract_untrusted` directly. A refused file gives exit
status 2 and exactly its one-line reason; a read-and-flagged file gives exit status 0 and exactly
its warning. No file appears anywhere but the output file, and nothing from the file runs or
leaks (the XXE target's text never appears).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.pdfgen import canvas

from pep_docs.errors import FormReadError, UnsafeInputError
from pep_docs.extractors import extract
from pep_docs.extractors.safety import Limits
from pep_docs.extractors.sandbox import extract_untrusted, start_method, warm
from pep_docs.forms import prepare
from pep_docs.render import render
from tests.conftest import PEPS, ROOT, load

SECRET = "SECRET-8d1f-never-read"
JINJA = "{{ config }} {% for x in y %}{{ x.__class__ }}{% endfor %}"
OLD_SCHEMA = "https://pep-docs.invalid/schemas/pep/0.9.0/pep.schema.json"
RESEND = "open it in Word, save it as a Word document (.docx) and send it again"
UNLOCK = "ask the school to send an unlocked copy"
EXPORT = "ask the school to export the form as PDF again"
ACTIVE = "the PDF carries active content ({}): none of it was run, only the form's fields and text were read"  # fmt: skip
GB = 1024**3


# --- the forms everything is built on ----------------------------------------------------


@pytest.fixture(scope="module")
def forms() -> dict[str, bytes]:
    """A real returned form of each kind, with Jinja-looking text typed into a field."""
    doc = load(PEPS / "bf-school-age-ehcp.json")
    doc["child_views"]["going_well"] = JINJA
    spec = prepare(data=doc)
    old = replace(spec, identity=replace(spec.identity, schema_id=OLD_SCHEMA))
    return {
        "docx": render(spec, "docx"),
        "pdf": render(spec, "pdf"),
        "old.docx": render(old, "docx"),
        "old.pdf": render(old, "pdf"),
    }


FORMS: dict[str, bytes] = {}  # filled by the autouse fixture below, for the makers


@pytest.fixture(autouse=True)
def _forms_for_makers(forms):
    FORMS.update(forms)


# --- making hostile .docx files ----------------------------------------------------------


def rezip(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    # Level 1: the 50 MB text part compresses in seconds, not tens of seconds.
    with zipfile.ZipFile(out, "w", compression, compresslevel=1) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def docx_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(FORMS["docx"])) as z:
        return {name: z.read(name) for name in z.namelist()}


DOCUMENT, TYPES = "word/document.xml", "[Content_Types].xml"


def docx_with(changes: dict[str, bytes | None]) -> bytes:
    """The real form with parts replaced, added or (None) removed."""
    parts = docx_parts()
    for name, value in changes.items():
        if value is None:
            parts.pop(name)
        else:
            parts[name] = value
    return rezip(parts)


def document_xml_with(prolog: bytes = b"", body: bytes | None = None) -> bytes:
    """word/document.xml with something before the root element, or another body."""
    xml = docx_parts()["word/document.xml"]
    if body is not None:
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog + body
    head, _, rest = xml.partition(b"?>")
    return head + b"?>" + prolog + rest


def declared_bomb(folder: Path) -> Path:
    """1,000 stored bytes whose zip directory declares 4 GB."""
    parts = docx_parts()
    parts["word/media/image9.bin"] = b"\0" * 1000
    data = bytearray(rezip(parts, zipfile.ZIP_STORED))
    at = 0
    while True:  # find the central directory entry of that part
        at = data.index(b"PK\x01\x02", at)
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == b"word/media/image9.bin":
            break
        at += 4
    struct.pack_into("<I", data, at + 24, 0xFFFFFFFF)  # uncompressed size
    return write(folder, "bomb.docx", bytes(data))


def ratio_bomb(folder: Path) -> Path:
    parts = docx_parts()
    parts["word/media/image9.bin"] = b"\0" * (20 * 1024 * 1024)
    return write(folder, "ratio.docx", rezip(parts))


def many_entries(folder: Path) -> Path:
    parts = docx_parts()
    parts.update({f"word/media/x{i}.bin": b"x" for i in range(5000)})
    return write(folder, "many.docx", rezip(parts))


def zip_slip(folder: Path) -> Path:
    parts = docx_parts()
    parts["../../x"] = b"written outside"
    return write(folder, "slip.docx", rezip(parts))


def password_docx(folder: Path) -> Path:
    """A real Word-encrypted .docx (ECMA-376 agile encryption in an OLE file)."""
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(FORMS["docx"])).encrypt("s3cret", out)
    return write(folder, "locked.docx", out.getvalue())


def saved_by_libreoffice(folder: Path, target: str, extension: str, name: str) -> Path:
    """The form converted by a real LibreOffice (`target`: its filter), written as `name`."""
    source = folder / "convert" / "form.docx"
    source.parent.mkdir()
    source.write_bytes(FORMS["docx"])
    profile = folder / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         target, "--outdir", str(source.parent), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    made = write(folder, name, (source.parent / f"form.{extension}").read_bytes())
    shutil.rmtree(source.parent)
    shutil.rmtree(profile)
    return made


def old_doc(folder: Path) -> Path:
    """A real Word 97 .doc made by LibreOffice, renamed .docx."""
    return saved_by_libreoffice(folder, "doc:MS Word 97", "doc", "old.docx")


def odt(folder: Path) -> Path:
    """The form saved by a real LibreOffice in its own format (its Save As default)."""
    return saved_by_libreoffice(folder, "odt", "odt", "form.odt")


def pages(folder: Path) -> Path:
    """What Apple Pages saves: a zip of IWA (protobuf) streams, here with made-up bytes."""
    parts = {"Index/Document.iwa": b"\x00\x01", "Metadata/Properties.plist": b"bplist00"}
    return write(folder, "form.pages", rezip(parts))


def docm(folder: Path) -> Path:
    types = docx_parts()["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504  # a macro project's OLE header
    return write(folder, "macros.docx", docx_with({TYPES: types, "word/vbaProject.bin": vba}))


def xxe(folder: Path) -> Path:
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    dtd = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
    xml = document_xml_with(dtd).replace(b"<w:t>", b"<w:t>&xxe;", 1)
    return write(folder, "xxe.docx", docx_with({DOCUMENT: xml}))


def parameter_entity(folder: Path) -> Path:
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    dtd = f'<!DOCTYPE w:document [<!ENTITY % ext SYSTEM "file://{secret}"> %ext;]>'.encode()
    return write(folder, "pe.docx", docx_with({DOCUMENT: document_xml_with(dtd)}))


def billion_laughs(folder: Path) -> Path:
    lol = [b'<!ENTITY lol "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"") * 10)
        for i in range(1, 10)
    ]
    dtd = b"<!DOCTYPE Types [" + b"".join(lol) + b"]>"
    types = docx_parts()["[Content_Types].xml"]
    head, _, rest = types.partition(b"?>")
    return write(folder, "laughs.docx", docx_with({TYPES: head + b"?>" + dtd + rest}))


def late_doctype(folder: Path) -> Path:
    """A DOCTYPE after a 5,000-character comment, past where a quick look stops."""
    prolog = b"<!--" + b"c" * 5000 + b'--><!DOCTYPE w:document SYSTEM "file:///etc/passwd">'
    return write(folder, "late.docx", docx_with({DOCUMENT: document_xml_with(prolog)}))


def deep_xml(folder: Path) -> Path:
    """100,000 nested elements; random names so that it does not compress like a zip bomb."""
    rng = random.Random(8)
    names = ["".join(rng.choices("abcdefghij", k=6)).encode() for _ in range(100_000)]
    body = b"".join(b"<%s>" % n for n in names) + b"".join(b"</%s>" % n for n in reversed(names))
    return write(folder, "deep.docx", docx_with({DOCUMENT: document_xml_with(body=body)}))


def huge_text(folder: Path) -> Path:
    """A 50 MB text node (four letters at random: compresses about 4:1, so no zip bomb)."""
    table = bytes(b"acgt"[i % 4] for i in range(256))
    text = random.Random(8).randbytes(50_000_000).translate(table)
    body = b'<w:document xmlns:w="x"><w:t>' + text + b"</w:t></w:document>"
    return write(folder, "text.docx", docx_with({DOCUMENT: document_xml_with(body=body)}))


def huge_xml(folder: Path) -> Path:
    """48 MB of tiny elements: legal XML whose tree is far bigger than the file."""
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types">' + b'<Default Extension="x" ContentType="y"/>' * 1_200_000 + b"</Types>"
    )
    return write(folder, "huge.docx", docx_with({TYPES: types}))


# --- making hostile PDFs -----------------------------------------------------------------


def pdf_with(change: Callable[[PdfWriter], None], name: str, base: str = "pdf") -> Callable:
    def make(folder: Path) -> Path:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(FORMS[base])))
        change(writer)
        out = io.BytesIO()
        writer.write(out)
        return write(folder, name, out.getvalue())

    return make


def encrypted(user: str, algorithm: str = "RC4-128") -> Callable[[PdfWriter], None]:
    return lambda w: w.encrypt(user_password=user, owner_password="owner", algorithm=algorithm)


def javascript(w: PdfWriter) -> None:
    """A document script, and a script run on opening."""
    w.add_open_action(JavaScript("app.alert('hello');"))  # (pypdf: the document's script tree)
    action = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("this.exportDataObject({cName: 'x'});"),
    })  # fmt: skip
    w._root_object[NameObject("/OpenAction")] = w._add_object(action)


def launch(w: PdfWriter, folder: Path | None = None) -> None:
    action = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"),
        NameObject("/F"): TextStringObject("/bin/sh"),
        NameObject("/Win"): DictionaryObject({NameObject("/F"): TextStringObject("cmd.exe")}),
        NameObject("/P"): TextStringObject("-c 'touch PWNED'"),
    })  # fmt: skip
    page = w.pages[0]
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): w._add_object(action)})


def attachment(w: PdfWriter) -> None:
    w.add_attachment("payload.exe", b"MZ\x90\x00 not really a program")


def xfa(w: PdfWriter) -> None:
    packet = w._add_object(DictionaryObject())
    w._root_object["/AcroForm"][NameObject("/XFA")] = ArrayObject(
        [TextStringObject("template"), packet]
    )


def rich_media(w: PdfWriter) -> None:
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/RichMedia"),
        NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
    })  # fmt: skip
    w.pages[0][NameObject("/Annots")].append(w._add_object(annotation))


def cyclic_outlines(w: PdfWriter) -> None:
    root = w._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Outlines")}))
    a = w._add_object(DictionaryObject({NameObject("/Title"): TextStringObject("A")}))
    b = w._add_object(DictionaryObject({NameObject("/Title"): TextStringObject("B")}))
    for item, other in ((a, b), (b, a)):
        item.get_object().update({NameObject("/Parent"): root, NameObject("/Next"): other,
                                  NameObject("/Prev"): other, NameObject("/First"): item})  # fmt: skip
    root.get_object().update({NameObject("/First"): a, NameObject("/Last"): b})
    w._root_object[NameObject("/Outlines")] = root


def circular_xref(folder: Path) -> Path:
    """The real form plus an update whose /Prev points back, and the first /Prev forward."""
    data = FORMS["pdf"]
    first_xref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = data.rindex(b"trailer")
    opening = data.index(b"<<", trailer) + 2
    patched = data[:opening] + b" /Prev 0000000000 " + data[opening:]
    root, info = (re.search(rb"/%s (\d+ \d+ R)" % k, data[trailer:]).group(1) for k in (b"Root", b"Info"))  # fmt: skip
    size = re.search(rb"/Size (\d+)", data[trailer:]).group(1)
    update_at = len(patched) + 1
    update = b"\nxref\n0 0\ntrailer\n<< /Size %s /Root %s /Info %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, info, first_xref, update_at)  # fmt: skip
    patched = patched.replace(b"/Prev 0000000000", b"/Prev %010d" % update_at)
    return write(folder, "xref-loop.pdf", patched + update)


def raw_pdf(content: bytes, stream_dict: bytes = b"", length: int | None = None) -> bytes:
    """A one-page PDF written by hand, so that its structure can lie."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d %s >>\nstream\n" % (length or len(content), stream_dict)
        + content
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def flate_bomb(gigabytes: int) -> bytes:
    """A zlib stream inflating to `gigabytes` of zeros: 1 MB blocks, each compressed once."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = block.compress(b"\0" * 1024 * 1024) + block.flush(zlib.Z_FULL_FLUSH)
    size = gigabytes * GB
    adler = ((size % 65521) << 16) | 1  # Adler-32 of that many zeros
    return b"\x78\xda" + unit * (size // (1024 * 1024)) + b"\x03\x00" + adler.to_bytes(4, "big")


def pdf_bomb(gigabytes: int) -> Callable[[Path], Path]:
    return lambda folder: write(
        folder, "bomb.pdf", raw_pdf(flate_bomb(gigabytes), b"/Filter /FlateDecode")
    )


def absurd_length(folder: Path) -> Path:
    text = b"BT /F1 12 Tf 72 720 Td (Minutes of the garden committee) Tj ET"
    return write(folder, "length.pdf", raw_pdf(text, length=99999999999999))


def many_pages(folder: Path) -> Path:
    writer = PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return write(folder, "pages.pdf", out.getvalue())


def scan(folder: Path) -> Path:
    from PIL import Image

    path = folder / "scan.pdf"
    Image.new("RGB", (600, 800), "white").save(path, "PDF")
    return path


def not_ours(folder: Path) -> Path:
    path = folder / "invoice.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Invoice 1234: garden furniture, two benches, one table")
    pdf.save()
    return path


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def raw(name: str, key: str) -> Callable[[Path], Path]:
    return lambda folder: write(folder, name, FORMS[key])


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A hostile file and the one answer it must get."""

    id: str
    make: Callable[[Path], Path]
    reason: str | Callable[[Path], str] | None = None  # refused: the one line after "FILE: "
    warning: str | None = None  # read and flagged: the exact warning
    expect_authority: str | None = None
    env: dict[str, str] = field(default_factory=dict)  # limits set for this case
    check: Callable[[dict], None] | None = None  # more about what was read

    def expected(self, path: Path) -> str:
        """The whole one-line reason, where included."""
        return self.reason(path) if callable(self.reason) else f"{path}: {self.reason}"

    @property
    def is_read(self) -> bool:
        return self.reason is None


def forms_zip_bomb(folder: Path) -> Path:
    """A zip of forms with a 20 MB file of zeros beside them."""
    parts = {"Oak Primary/BF00001.docx": FORMS["docx"], "Oak Primary/scan.pdf": b"\0" * (20 * 1024 * 1024)}  # fmt: skip
    return write(folder, "returns-bomb.zip", rezip(parts))


def forms_zip_bomb_reason(path: Path) -> str:
    info = zipfile.ZipFile(path).getinfo("Oak Primary/scan.pdf")
    return (
        f"{path}: the part 'Oak Primary/scan.pdf' would inflate to 20971520 bytes (ratio "
        f"{info.file_size / info.compress_size:.0f}:1): refused as a possible zip bomb (ask the "
        "school to send the forms again, each on its own or in a new zip)"
    )


def ratio_reason(path: Path) -> str:
    info = zipfile.ZipFile(path).getinfo("word/media/image9.bin")
    return (
        f"{path}: the part 'word/media/image9.bin' would inflate to 20971520 bytes (ratio "
        f"{info.file_size / info.compress_size:.0f}:1): refused as a possible zip bomb ({RESEND})"
    )


def jinja_kept(extraction: dict) -> None:
    assert extraction["data"]["child_views"]["going_well"] == JINJA
    assert extraction["warnings"] == []


def part(name: str, reason: str) -> Callable[[Path], str]:
    return lambda path: f"{path}, part {name}: {reason}"


UNZIP = (
    "unzip it and read each form on its own (the web service, pep-docs serve, unpacks a zip "
    "of forms uploaded to it and reads each form as a return of its own)"
)
DOCTYPE = f"the file contains an XML document type declaration, which Word never writes: refused ({RESEND})"  # fmt: skip
NOT_A_FORM_PDF = "this PDF is not a pep-docs PEP form (send the PEP form that was sent to the school)"  # fmt: skip

CASES = [
    # Word: the zip container
    Case("docx-zip-bomb-declared", declared_bomb,
         f"the part 'word/media/image9.bin' would inflate to 4294967295 bytes (ratio 4294967:1): refused as a possible zip bomb ({RESEND})"),
    Case("docx-zip-bomb-ratio", ratio_bomb, ratio_reason),
    Case("docx-5000-entries", many_entries,
         lambda path: f"{path}: the file holds {len(docx_parts()) + 5000} parts, more than the 1000 allowed ({RESEND})"),
    Case("docx-zip-slip", zip_slip, f"the file has a part with an unsafe name: '../../x' ({RESEND})"),
    Case("docx-truncated", lambda f: write(f, "cut.docx", FORMS["docx"][: len(FORMS["docx"]) // 2]),
         "the file is damaged or not a Word document (its zip structure is broken) (open it in Word and save it again as .docx)"),
    Case("docx-no-content-types", lambda f: write(f, "bare.docx", docx_with({TYPES: None})),
         f"the file has no [Content_Types].xml, so it is not a whole Word document ({RESEND})"),
    Case("docx-password", password_docx, f"the Word document is password-protected ({UNLOCK})"),
    Case("doc-renamed-docx", old_doc, f"this is an old Word (.doc) file, not a .docx ({RESEND})"),
    Case("odt", odt,
         "this is an OpenDocument file (.odt, as LibreOffice saves by default), not the Word form (in LibreOffice choose File > Save As, set the file type to 'Word 2007-365 (.docx)', keep that format, and send the .docx)"),
    Case("apple-pages", pages,
         "this is an Apple Pages document, not the Word form (in Pages choose File > Export To > Word, and send the .docx)"),
    Case("zip-of-returns", lambda f: write(f, "returns.zip", rezip(
        {"Oak Primary/BF00001.docx": FORMS["docx"], "Oak Primary/BF00002.pdf": FORMS["pdf"]})),
         f"this is a zip file holding 2 forms, not a form itself ({UNZIP})"),
    Case("zip-of-returns-from-a-mac", lambda f: write(f, "returns.zip", rezip(
        {"Oak Primary/BF00001.docx": FORMS["docx"], "__MACOSX/Oak Primary/._BF00001.docx": b"\0\5\26\7",
         "Oak Primary/._BF00001.docx": b"\0\5\26\7", "Oak Primary/.DS_Store": b"\0\0\0\1Bud1"})),
         f"this is a zip file holding 1 form, not a form itself ({UNZIP})"),
    Case("zip-of-returns-with-a-bomb", forms_zip_bomb, forms_zip_bomb_reason),
    Case("docm-renamed-docx", docm,
         f"this is a macro-enabled Word document (.docm), not a .docx: refused, and its macros were not run ({RESEND})"),
    # Word: the XML inside
    Case("xml-xxe-local-file", xxe, part("word/document.xml", DOCTYPE)),
    Case("xml-external-parameter-entity", parameter_entity, part("word/document.xml", DOCTYPE)),
    Case("xml-billion-laughs", billion_laughs, part("[Content_Types].xml", DOCTYPE)),
    Case("xml-doctype-after-long-comment", late_doctype, part("word/document.xml", DOCTYPE)),
    Case("xml-nested-100000", deep_xml,
         part("word/document.xml", f"the XML is nested deeper than 256 levels: refused ({RESEND})")),
    Case("xml-50mb-text-node", huge_text,
         part("word/document.xml", f"the XML holds a text or name longer than 10 MB: refused ({RESEND})")),
    Case("xml-huge-tree-over-memory", huge_xml,
         "the file needed more than 100 MB to read: refused (ask the school to save the form again and send it; PEP_DOCS_PARSE_MEMORY_MB sets the limit)",
         env={"PEP_DOCS_MAX_ZIP_RATIO": "1000000", "PEP_DOCS_PARSE_MEMORY_MB": "100"}),
    Case("docx-jinja-typed", raw("jinja.docx", "docx"), check=jinja_kept),
    # PDF
    Case("pdf-jinja-typed", raw("jinja.pdf", "pdf"), check=jinja_kept),
    Case("pdf-user-password", pdf_with(encrypted("user"), "user.pdf"),
         f"the PDF is password-protected ({UNLOCK})"),
    Case("pdf-owner-password", pdf_with(encrypted(""), "owner.pdf"),
         f"the PDF is password-protected ({UNLOCK})"),
    Case("pdf-aes-256-password", pdf_with(encrypted("user", "AES-256"), "aes.pdf"),
         f"the PDF is password-protected ({UNLOCK})"),
    Case("pdf-decompression-bomb", pdf_bomb(2),
         f"the PDF has a compressed stream (object 4) that inflates to more than 50 MB: refused as a possible decompression bomb ({EXPORT})"),
    Case("pdf-bomb-over-time-limit", pdf_bomb(8),
         "the file took longer than 0.5 s to read: refused (ask the school to save the form again and send it; PEP_DOCS_PARSE_TIMEOUT sets the limit)",
         env={"PEP_DOCS_MAX_PART_BYTES": str(16 * GB), "PEP_DOCS_MAX_UNZIPPED_BYTES": str(16 * GB),
              "PEP_DOCS_PARSE_TIMEOUT": "0.5"}),
    Case("pdf-circular-xref", circular_xref, check=jinja_kept),
    Case("pdf-cyclic-outlines", pdf_with(cyclic_outlines, "outlines.pdf"), check=jinja_kept),
    Case("pdf-absurd-length", absurd_length,
         f"the PDF breaks a safety limit of the PDF reader (Declared stream length of 99999999999999 exceeds maximum allowed length.): refused ({EXPORT})"),
    Case("pdf-2000-pages", many_pages,
         "the PDF has 2000 pages, more than the 200 a returned form may have: refused (send the PEP form on its own, without other documents)"),
    Case("pdf-javascript", pdf_with(javascript, "js.pdf"), warning=ACTIVE.format("JavaScript, OpenAction")),
    Case("pdf-launch", pdf_with(launch, "launch.pdf"), warning=ACTIVE.format("AA, Launch")),
    Case("pdf-embedded-file", pdf_with(attachment, "attached.pdf"), warning=ACTIVE.format("EmbeddedFile")),
    Case("pdf-xfa", pdf_with(xfa, "xfa.pdf"), warning=ACTIVE.format("XFA")),
    Case("pdf-richmedia", pdf_with(rich_media, "rich.pdf"), warning=ACTIVE.format("RichMedia")),
    Case("pdf-image-only-scan", scan,
         "this PDF is a scanned image with no text, so it cannot be read automatically (ask the school for the Word or fillable PDF form, or enter it by hand)"),
    Case("pdf-not-ours", not_ours, NOT_A_FORM_PDF),
    Case("pdf-other-authority", raw("other.pdf", "pdf"), expect_authority="peterborough",
         warning="this form was made for Bracknell Forest Council, not Peterborough City Council: it was read, but check it belongs here"),
    Case("docx-other-authority", raw("other.docx", "docx"), expect_authority="stockton-on-tees",
         warning="this form was made for Bracknell Forest Council, not Stockton-on-Tees Borough Council: it was read, but check it belongs here"),
    Case("pdf-older-schema", raw("old.pdf", "old.pdf"),
         warning="this form was made with another version of the PEP form (schema 0.9.0; this is 1.0.0): it was read against the current one, so check its answers"),
    Case("docx-older-schema", raw("old.docx", "old.docx"),
         warning="this form was made with another version of the PEP form (schema 0.9.0; this is 1.0.0): it was read against the current one, so check its answers"),
]  # fmt: skip


# --- running the table ---------------------------------------------------------------------


def hard_limits() -> None:
    """In the CLI's process, before it starts: what the test allows it at most."""
    resource.setrlimit(resource.RLIMIT_AS, (2 * GB, 2 * GB))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if not p.is_dir()}


def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pep_docs", *args],
        cwd=cwd, env=env, preexec_fn=hard_limits, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_hostile_file_gets_its_one_answer(case: Case, tmp_path, monkeypatch):
    inbox, out = tmp_path / "in", tmp_path / "work" / "a" / "out"
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    for folder in (inbox, out, home, scratch):
        folder.mkdir(parents=True)
    path = case.make(inbox)
    before = files_under(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home), "TMPDIR": str(scratch),
           **case.env}  # fmt: skip
    args = ["extract", str(path), "-o", str(out / "read.json")]
    if case.expect_authority:
        args += ["--expect-authority", case.expect_authority]

    result = run_cli(args, out, env)

    written = files_under(tmp_path) - before
    assert SECRET not in result.stdout + result.stderr
    if case.is_read:
        assert result.returncode == 0, result.stderr
        assert written == {out / "read.json"}
        extraction = json.loads((out / "read.json").read_text(encoding="utf-8"))
        assert SECRET not in json.dumps(extraction)
        expected = [case.warning] if case.warning else []
        assert [w["message"] for w in extraction["warnings"]] == expected
        assert result.stderr == "".join(f"warning: {path}: {w}\n" for w in expected)
        if case.check:
            case.check(extraction)
    else:
        assert (result.returncode, result.stderr) == (2, f"error: {case.expected(path)}\n")
        assert written == set()

    # The same file through the API the web service calls, in this process.
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if case.is_read:
        extraction = extract_untrusted(
            path, expect_authority=case.expect_authority, limits=Limits()
        )
        assert [w.message for w in extraction.warnings] == expected
        if case.check:
            case.check(extraction.to_dict())
    else:
        with pytest.raises(FormReadError) as err:
            extract_untrusted(path, expect_authority=case.expect_authority, limits=Limits())
        assert str(err.value) == case.expected(path)
    assert files_under(tmp_path) - before == written


# --- the sandbox itself --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_the_sandbox_reads_exactly_what_extract_reads(forms, kind):
    assert extract_untrusted(forms[kind], where="return").to_dict() == (
        extract(forms[kind], where="return").to_dict()
    )


def test_a_threaded_caller_gets_its_child_from_the_fork_server(forms):
    stop = threading.Event()
    server_thread = threading.Thread(target=stop.wait)
    server_thread.start()
    try:
        assert start_method() == "forkserver"
        got = extract_untrusted(forms["pdf"], where="return")
    finally:
        stop.set()
        server_thread.join()
    # join() returns as the thread ends in Python; the kernel lets its task go a moment later.
    deadline = time.monotonic() + 5
    while start_method() != "fork" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert start_method() == "fork"
    assert got.to_dict() == extract(forms["pdf"], where="return").to_dict()


class JobTimeout(Exception):
    """What RQ's death penalty raises in a work-horse when a job runs too long."""


def test_an_interrupted_caller_leaves_no_child_behind(tmp_path):
    bomb = pdf_bomb(8)(tmp_path)
    slow = Limits(max_part_bytes=16 * GB, max_total_bytes=16 * GB, parse_timeout=60)

    def penalty(signum, frame):
        raise JobTimeout

    previous = signal.signal(signal.SIGALRM, penalty)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(JobTimeout):
            extract_untrusted(bomb, limits=slow)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert multiprocessing.active_children() == []


def test_a_crashed_reader_gives_a_reason_not_a_hang(tmp_path):
    bomb = pdf_bomb(8)(tmp_path)
    slow = Limits(max_part_bytes=16 * GB, max_total_bytes=16 * GB, parse_timeout=60)

    def crash_the_child() -> None:
        while not multiprocessing.active_children():
            time.sleep(0.01)
        os.kill(multiprocessing.active_children()[0].pid, signal.SIGSEGV)

    killer = threading.Thread(target=crash_the_child)
    killer.start()
    try:
        with pytest.raises(FormReadError) as err:
            extract_untrusted(bomb, limits=slow)
    finally:
        killer.join()
    assert str(err.value) == (
        f"{bomb}: the reader crashed on this file (SIGSEGV): refused "
        "(ask the school to save the form again and send it)"
    )
    assert not isinstance(err.value, UnsafeInputError)


def test_check_reads_forms_in_the_sandbox_too(tmp_path):
    bomb = pdf_bomb(8)(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PEP_DOCS_PARSE_TIMEOUT": "0.5",
           "PEP_DOCS_MAX_PART_BYTES": str(16 * GB), "PEP_DOCS_MAX_UNZIPPED_BYTES": str(16 * GB)}  # fmt: skip
    result = run_cli(["check", str(bomb)], tmp_path, env)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: {bomb}: the file took longer than 0.5 s to read: refused (ask the school to "
        "save the form again and send it; PEP_DOCS_PARSE_TIMEOUT sets the limit)\n",
    )


def test_every_limit_is_in_the_readme_security_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    security = readme.split("## Security", 1)[1].split("\n## ", 1)[0]
    for limit in fields(Limits):
        env, default = limit.metadata["env"], limit.metadata["default"]
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        assert f"| `{env}` | {shown} " in security, env


def test_warm_reads_every_authoritys_blank_forms_once():
    """What the fork server and `pep-docs worker` do before any child is forked from them."""
    from pep_docs.extractors.docx_layout import layout_for
    from pep_docs.extractors.pdf_layout import form_model
    from pep_docs.profiles import available
    from pep_docs.schema import PHASES

    layout_for.cache_clear()
    form_model.cache_clear()
    warm()
    kinds = len(available()) * len(PHASES)
    assert (kinds, layout_for.cache_info().currsize, form_model.cache_info().currsize) == (
        12,
        12,
        12,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-7"])
@pytest.mark.parametrize("inner", ["<!--c-->", "<?pi x?>", "<b/>"])
def test_xml_one_level_too_deep_is_refused_whatever_the_node(inner, encoding):
    """libxml2 bounds elements to 256 levels itself, so the depth walk is skipped for plain
    UTF-8 XML; a comment or processing instruction inside the 256th element, which the parser
    lets through, is still refused, also where another encoding hides its `<!--` from a byte
    test."""
    from pep_docs.errors import UnsafeInputError
    from pep_docs.extractors.safety import parse_xml

    body = "<a>" * 256 + inner + "</a>" * 256
    data = f'<?xml version="1.0" encoding="{encoding}"?>{body}'.encode(encoding)
    with pytest.raises(UnsafeInputError, match="nested deeper than 256 levels"):
        parse_xml(data, "test")
    shallow = f'<?xml version="1.0" encoding="{encoding}"?>{body[3:-4]}'.encode(encoding)
    parse_xml(shallow, "test")  # 256 levels with the comment: within the limit


def test_markup_search_finds_what_a_plain_search_finds():
    """`_marked` (memchr for a rare byte, then the `<` before it) answers as `in` would."""
    from pep_docs.extractors.safety import _marked

    rng = random.Random(8)
    for n in range(3000):
        size = rng.randrange(0, 12) if n < 2000 else rng.randrange(60, 200)  # past 64 hits too
        data = bytes(rng.choice(b"<!?a>" if n < 2000 else b"!?a>") for _ in range(size))
        if n >= 2500:
            data += rng.choice([b"<!", b"<?", b""])
        start = rng.randrange(0, 4)
        for mark in (b"!", b"?"):
            assert _marked(data, mark, start) == (b"<" + mark in data[start:]), (data, start)
