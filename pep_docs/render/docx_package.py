"""The .docx package around the form body: template parts, branding, logo, custom XML parts.

`expand()` turns a base template (the shipped one or an authority's override) plus a FormSpec's
profile and phase into the *expanded template*: a .docx whose body, custom XML parts, custom
properties and core properties are Jinja source. The fast renderer compiles it once; the naive
baseline hands the very same bytes to `DocxTemplate` for every child.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from PIL import Image

from pep_docs.errors import TemplateError
from pep_docs.forms import IDENTITY_NS, FormIdentity
from pep_docs.render.docx_sdt import IDENTITY_STORE_ID, VALUES_NS, VALUES_STORE_ID
from pep_docs.zipwriter import ZipWriter, deflate

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM_XML_REL = f"{R}/customXml"
CUSTOM_XML_PROPS_REL = f"{R}/customXmlProps"
CUSTOM_PROPS_REL = f"{R}/custom-properties"
CUSTOM_PROPS_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
ITEM_PROPS_CT = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
CUSTOM_PROPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
PROPERTY_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
PROPERTY_PREFIX = "pep_docs."
DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
NSMAP = {"w": W, "wp": WP, "a": A, "r": R}

# Styles that carry the authority's colour (text) and those whose borders carry it.
BRANDED_TEXT = ("Title", "Heading1", "Heading2", "PEPHeaderName")
BRANDED_BORDER = ("Heading1", "PEPHeaderRule")
BODY_SLOT = re.compile(r"\{\{\s*p\s+form_body\s*\}\}")
LOGO_SLOT = "{{ logo_alt }}"
_BODY_MARK = "pep-form-body"

MAX_TEMPLATE_BYTES = 20_000_000


def read_parts(path: Path) -> dict[str, bytes]:
    """Every part of a template .docx, in zip order."""
    try:
        with zipfile.ZipFile(path) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_TEMPLATE_BYTES:
                raise TemplateError("the template is larger than 20 MB", where=str(path))
            return {name: zf.read(name) for name in zf.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise TemplateError(f"cannot read the Word template: {exc}", where=str(path)) from exc


# The earliest date a zip entry can hold: parts of a form made without a known time.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_date(iso: str | None) -> tuple[int, int, int, int, int, int]:
    """A zip entry date from an ISO time (a form's `generated_at`); ZIP_EPOCH when none."""
    try:
        moment = datetime.fromisoformat(iso or "")
    except ValueError:
        return ZIP_EPOCH
    if moment.year < 1980:
        return ZIP_EPOCH
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def write_zip(
    parts: Mapping[str, bytes],
    level: int = 6,
    date_time: tuple[int, int, int, int, int, int] = ZIP_EPOCH,
) -> bytes:
    """A .docx from its parts, every entry dated `date_time` (never the clock), so the same
    form gives the same bytes whenever it is made."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


@dataclass(frozen=True)
class Deflated:
    """A part deflated once, written as it is into every form (`write_docx`)."""

    data: bytes
    crc: int
    size: int


def deflate_parts(parts: Mapping[str, bytes], level: int = 6) -> dict[str, Deflated]:
    return {n: Deflated(deflate(b, level), zlib.crc32(b), len(b)) for n, b in parts.items()}


def write_docx(
    order: Mapping[str, bytes],
    deflated: Mapping[str, Deflated],
    rendered: Mapping[str, bytes],
    level: int,
    date_time: tuple[int, int, int, int, int, int],
) -> bytes:
    """A .docx with the parts of `order` in its order: each rendered part deflated at `level`,
    every other one copied from `deflated`; every entry dated `date_time`."""
    out = io.BytesIO()
    with ZipWriter(out) as zw:
        for name in [*order, *(n for n in rendered if n not in order)]:
            if name in rendered:
                zw.write(name, rendered[name], level=level, date_time=date_time, mode=0o644)
            else:
                part = deflated[name]
                zw.write_raw(name, [part.data], method=zipfile.ZIP_DEFLATED, crc=part.crc,
                             compress_size=len(part.data), file_size=part.size,
                             date_time=date_time, mode=0o644)  # fmt: skip
    return out.getvalue()


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(data, parser)


def _tostring(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rels_name(part: str) -> str:
    """The relationships part of a part: `word/document.xml` -> `word/_rels/document.xml.rels`."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def resolve_target(part: str, target: str) -> str:
    """A relationship's target as a part name: relative to `part`'s folder, or from the root
    when it starts with `/`. A `..` past the root stays at the root."""
    folder = part.rpartition("/")[0]
    path = [p for p in folder.split("/") if p] if not target.startswith("/") else []
    for step in target.lstrip("/").split("/"):
        if step == "..":
            if path:
                path.pop()
        elif step and step != ".":
            path.append(step)
    return "/".join(path)


def _main_part(parts: Mapping[str, bytes]) -> str:
    rels = _parse(parts["_rels/.rels"])
    for rel in rels:
        if rel.get("Type", "").endswith("/officeDocument"):
            return resolve_target("", rel.get("Target"))
    raise TemplateError("the template has no main document part")


# -- branding -----------------------------------------------------------------------------------


def brand_styles(styles: bytes, colours: Mapping[str, str], font: str) -> bytes:
    """Apply the profile's primary colour and font to the template's branded styles."""
    root = _parse(styles)
    primary = colours["primary"].lstrip("#").upper()
    w = f"{{{W}}}"
    for style in root.iter(f"{w}style"):
        sid = style.get(f"{w}styleId")
        if sid in BRANDED_TEXT:
            rpr = style.find(f"{w}rPr")
            colour = rpr.find(f"{w}color") if rpr is not None else None
            if colour is not None:
                colour.set(f"{w}val", primary)
        if sid in BRANDED_BORDER:
            for border in style.iterfind(f"{w}pPr/{w}pBdr/*"):
                border.set(f"{w}color", primary)
    for fonts in root.iterfind(f"{w}docDefaults/{w}rPrDefault/{w}rPr/{w}rFonts"):
        for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(f"{w}{attr}", font)
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(f"{w}{attr}", None)
    return _tostring(root)


def place_logo(parts: dict[str, bytes], logo: bytes) -> None:
    """Put the authority's logo in the picture whose alt text is `{{ logo_alt }}`.

    The picture keeps its height; its width follows the logo's aspect ratio.
    """
    with Image.open(io.BytesIO(logo)) as image:
        width, height = image.size
    for name in list(parts):
        if not re.fullmatch(r"word/(header|footer|document)\d*\.xml", name):
            continue
        if LOGO_SLOT.encode() not in parts[name]:
            continue
        root = _parse(parts[name])
        rels = _parse(parts[rels_name(name)])
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        for doc_pr in root.iterfind(".//wp:docPr", NSMAP):
            if doc_pr.get("descr") != LOGO_SLOT:
                continue
            inline = doc_pr.getparent()
            blip = inline.find(".//a:blip", NSMAP)
            target = targets.get(blip.get(f"{{{R}}}embed"))
            if target is None:
                raise TemplateError("the logo picture has no image relationship", where=name)
            parts[resolve_target(name, target)] = logo
            extent = inline.find("wp:extent", NSMAP)
            cy = int(extent.get("cy"))
            cx = str(round(cy * width / height))
            extent.set("cx", cx)
            for ext in inline.iterfind(".//a:xfrm/a:ext", NSMAP):
                ext.set("cx", cx)
        parts[name] = _tostring(root)


# -- the body -----------------------------------------------------------------------------------


def insert_body(document: bytes, body_source: str) -> bytes:
    """Replace the `{{p form_body }}` paragraph with the form and lock everything around it.

    The whole body (everything but the section properties) goes into a group content control:
    Word lets a person type only inside the controls nested in a group, so labels, guidance and
    the template's own text cannot be edited or deleted.
    """
    root = _parse(document)
    body = root.find(f"{{{W}}}body")
    if body is None:
        raise TemplateError("the template's document has no body")
    slot = None
    for p in body.iter(f"{{{W}}}p"):
        if BODY_SLOT.search("".join(t.text or "" for t in p.iter(f"{{{W}}}t"))):
            slot = p
            break
    if slot is None:
        raise TemplateError(
            "the template has no '{{p form_body }}' paragraph",
            hint="put a paragraph containing only {{p form_body }} where the form goes",
        )
    slot.getparent().replace(slot, etree.ProcessingInstruction(_BODY_MARK))
    w = f"{{{W}}}"
    sdt = etree.Element(f"{w}sdt")
    pr = etree.SubElement(sdt, f"{w}sdtPr")
    etree.SubElement(pr, f"{w}alias").set(f"{w}val", "Personal Education Plan form")
    etree.SubElement(pr, f"{w}lock").set(f"{w}val", "sdtLocked")
    etree.SubElement(pr, f"{w}group")
    content = etree.SubElement(sdt, f"{w}sdtContent")
    for child in list(body):
        if child.tag != f"{w}sectPr":
            content.append(child)
    body.insert(0, sdt)
    xml = _tostring(root).decode("utf-8")
    mark = re.compile(rf"<\?{_BODY_MARK}\s*\?>")
    if len(mark.findall(xml)) != 1:
        raise TemplateError("the form body could not be placed in the template")
    return mark.sub(lambda _: body_source, xml).encode("utf-8")


# -- custom XML parts, properties -----------------------------------------------------------------


def identity_source() -> str:
    """The identity part: one element per `FormIdentity` field, in `IDENTITY_NS`."""
    fields = "".join(
        f"<pf:{name}>{{{{ ident['{name}'] }}}}</pf:{name}>"
        for name in FormIdentity.__dataclass_fields__
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<pf:form xmlns:pf="{IDENTITY_NS}">{fields}</pf:form>'
    )


def custom_properties_source(existing: bytes | None) -> str:
    """Custom document properties: the template's own, then `pep_docs.<identity field>`."""
    kept = ""
    pid = 2
    if existing:
        root = _parse(existing)
        for prop in root:
            if not (prop.get("name") or "").startswith(PROPERTY_PREFIX):
                prop.set("pid", str(pid))
                pid += 1
                kept += etree.tostring(prop, encoding="unicode")
    ours = ""
    for name in FormIdentity.__dataclass_fields__:
        ours += (
            f'<property fmtid="{PROPERTY_FMTID}" pid="{pid}" name="{PROPERTY_PREFIX}{name}">'
            f"<vt:lpwstr>{{{{ ident['{name}'] }}}}</vt:lpwstr></property>"
        )
        pid += 1
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_PROPS_NS}" xmlns:vt="{VT}">{kept}{ours}</Properties>'
    )


def core_source(core: bytes) -> str:
    """Core properties as a template: title, language, identifier and dates per form."""
    ns = {
        "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
        "dc": "http://purl.org/dc/elements/1.1/",
        "dcterms": "http://purl.org/dc/terms/",
        "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    }
    root = _parse(core)

    def put(tag: str, value: str, w3cdtf: bool = False) -> None:
        prefix, local = tag.split(":")
        el = root.find(tag, ns)
        if el is None:
            el = etree.SubElement(root, f"{{{ns[prefix]}}}{local}")
        el.text = value
        if w3cdtf:
            el.set(f"{{{ns['xsi']}}}type", "dcterms:W3CDTF")

    put("dc:title", "{{ title }}")
    put("dc:language", "en-GB")
    put("dc:identifier", "{{ ident['form_id'] }}")
    put("dcterms:created", "{{ ident['generated_at'] }}", w3cdtf=True)
    put("dcterms:modified", "{{ ident['generated_at'] }}", w3cdtf=True)
    return _tostring(root).decode("utf-8")


def _item_props(store_id: str, namespace: str) -> bytes:
    return (
        DECL
        + (
            f'<ds:datastoreItem ds:itemID="{store_id}" '
            'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
            f'<ds:schemaRefs><ds:schemaRef ds:uri="{namespace}"/></ds:schemaRefs>'
            "</ds:datastoreItem>"
        ).encode()
    )


def _add_rel(parts: dict[str, bytes], rels_name: str, rel_type: str, target: str) -> None:
    if rels_name in parts:
        root = _parse(parts[rels_name])
    else:
        root = etree.Element(f"{{{PKG_RELS}}}Relationships", nsmap={None: PKG_RELS})
    ids = {rel.get("Id") for rel in root}
    n = 1
    while f"rId{n}" in ids or f"rIdPep{n}" in ids:
        n += 1
    rel = etree.SubElement(root, f"{{{PKG_RELS}}}Relationship")
    rel.set("Id", f"rIdPep{n}")
    rel.set("Type", rel_type)
    rel.set("Target", target)
    parts[rels_name] = _tostring(root)


def _add_override(parts: dict[str, bytes], part: str, content_type: str) -> None:
    root = _parse(parts["[Content_Types].xml"])
    for el in root.findall(f"{{{CT}}}Override"):
        if el.get("PartName") == f"/{part}":
            root.remove(el)
    el = etree.SubElement(root, f"{{{CT}}}Override")
    el.set("PartName", f"/{part}")
    el.set("ContentType", content_type)
    if not any(d.get("Extension") == "xml" for d in root.findall(f"{{{CT}}}Default")):
        default = etree.Element(f"{{{CT}}}Default", Extension="xml", ContentType="application/xml")
        root.insert(0, default)
    parts["[Content_Types].xml"] = _tostring(root)


def add_custom_parts(parts: dict[str, bytes], values_source: str) -> dict[str, str]:
    """Add the identity and values parts and the custom properties; return their sources."""
    main = _main_part(parts)
    taken = {int(m.group(1)) for n in parts if (m := re.fullmatch(r"customXml/item(\d+)\.xml", n))}
    sources: dict[str, str] = {}
    number = max(taken, default=0)
    for source, store_id, namespace in (
        (identity_source(), IDENTITY_STORE_ID, IDENTITY_NS),
        (values_source, VALUES_STORE_ID, VALUES_NS),
    ):
        number += 1
        item, props = f"customXml/item{number}.xml", f"customXml/itemProps{number}.xml"
        parts[item] = source.encode("utf-8")
        sources[item] = source
        parts[props] = _item_props(store_id, namespace)
        _add_override(parts, props, ITEM_PROPS_CT)
        _add_rel(parts, rels_name(item), CUSTOM_XML_PROPS_REL, f"itemProps{number}.xml")
        _add_rel(parts, rels_name(main), CUSTOM_XML_REL, f"../{item}")
    custom = "docProps/custom.xml"
    existing = parts.get(custom)
    sources[custom] = custom_properties_source(existing)
    parts[custom] = sources[custom].encode("utf-8")
    if existing is None:
        _add_override(parts, custom, CUSTOM_PROPS_CT)
        _add_rel(parts, "_rels/.rels", CUSTOM_PROPS_REL, custom)
    core = "docProps/core.xml"
    if core in parts:
        sources[core] = core_source(parts[core])
        parts[core] = sources[core].encode("utf-8")
    return sources


# -- comparing outputs --------------------------------------------------------------------------


def content_signature(docx: bytes) -> dict[str, bytes]:
    """What a .docx says, independent of how it was serialised: for comparing renderers.

    XML parts in canonical form (C14N); relationships and content types as sorted entries,
    since their order means nothing; other parts as bytes.
    """
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name.endswith(".rels") or name == "[Content_Types].xml":
                root = _parse(data)
                entries = sorted(repr(sorted(el.attrib.items())) for el in root)
                out[name] = "\n".join(entries).encode("utf-8")
            elif name.endswith(".xml"):
                out[name] = etree.tostring(_parse(data), method="c14n")
            else:
                out[name] = data
    return out
