"""The fillable PDF form (AcroForm): the PDF twin of the Word form, generated from the schema.

`render_pdf(spec)` gives the bytes of one form; `PdfRenderer(profile, phase).render(spec)` is the
bulk path it uses. The layout (`pdf_layout`) and every object that does not depend on the child
(fonts, logo, page content, page and field dictionaries, the structure tree) are made once per
authority, phase and `LayoutKey` (rows per table, tall paragraph boxes) and kept as PDF bytes; per
child only field values, their appearance streams, the page footers and the metadata are written
(`pdf_objects`), so a cohort renders in a few milliseconds per child. Most children share one
key: tables print `row_count` rows (the schema's empty rows, or one more than the data fills), so
a key only changes for a child with more items than a table offers or a very long paragraph. A
layout that differs for a few children is cheaper than continuation pages, and every form keeps
each value where the schema puts it.

Document structure (the reader of returned forms, issue 5, relies on this):

- Catalog: `/AcroForm`, `/StructTreeRoot`, `/MarkInfo <</Marked true>>`, `/Lang (en-GB)`,
  `/ViewerPreferences <</DisplayDocTitle true>>`, `/Metadata` (XMP). No `/NeedAppearances`:
  every widget has a real `/AP /N` appearance stream drawn with the embedded font.
- AcroForm: `/Fields` lists every field (flat, no hierarchy): one terminal field merged with its
  widget per concrete JSON Pointer, `/T` = the pointer (`/child/first_name`,
  `/targets/0/target`), `/TU` = label and guidance (table cells: "SMART targets, target 1:
  Target. ..."). `/DR` has `/PepSans` (Type0 Identity-H, embedded subset of the profile's font;
  the `/DA` of text and combo fields) and `/ZaDb` (check box `/MK /CA`). Value mapping in
  `pdf_fields` (dates `dd/mm/yyyy`, combo boxes export the enum value, check boxes `/Yes` /
  `/Off`). The identity fields at the top of the schema (`/authority`, `/phase`, `/term`,
  `/child_id`, `/$schema`) are hidden, read-only fields on page 1.
- Info dictionary: `/Title` (= `FormSpec.title`), `/Author` (the Virtual School), `/Subject`,
  `/Creator`, `/Producer`, `/CreationDate`, and `/PepDocsIdentity`: the form identity
  (`FormIdentity.to_dict()`) as JSON. XMP: `dc:title`, `dc:language`, and one property per
  identity key in the namespace `IDENTITY_NS` (prefix `pepid`).
- Every page prints a footer as page content (so print-to-PDF returns keep it): the line
  `Form ID <uuid>`, `Page X of Y`, the child's name, child id and term, and
  `PROTECTIVE_MARKING`; the marking is also printed at the top of every page.
- Tagged PDF: Document > H1, Figure (logo, with /Alt), Sect per section (H2 title, P guidance,
  P label + Form per field, Sect/H3 per group, Table > TR > TH/TD > Form for tables, Sect/H3 per
  card). Form elements reference their widget (`/OBJR`); pages have `/Tabs /S`; decoration,
  repeated table headers and footers are artifacts.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import OrderedDict
from datetime import datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image

from pep_docs.errors import TemplateError
from pep_docs.forms import IDENTITY_NS, PROTECTIVE_MARKING, FormSpec
from pep_docs.profiles import Profile
from pep_docs.render import pdf_fields as pf
from pep_docs.render.pdf_fonts import EmbeddedFont
from pep_docs.render.pdf_layout import (
    GREY,
    INK,
    MARGIN_X,
    PAGE_H,
    PAGE_W,
    Box,
    LayoutKey,
    Picture,
    PlacedWidget,
    StructNode,
    TextRun,
    Theme,
    build_layout,
    layout_key,
)
from pep_docs.render.pdf_objects import (
    HEADER,
    Name,
    Raw,
    Ref,
    indirect,
    number,
    serialize,
    stream,
    xref_and_trailer,
)

PRODUCER = "pep-docs"
LANGUAGE = "en-GB"

# Fixed object numbers shared by every form (the fonts are written once per process).
REGULAR, BOLD, LOGO, LOGO_MASK = 1, 6, 11, 12
CATALOG, PAGES, ACROFORM, STRUCT_ROOT, INFO, METADATA, FIELD_RESOURCES = 13, 14, 15, 16, 17, 18, 19
FIRST_FREE = 20


@cache
def _shared_objects(regular: EmbeddedFont, bold: EmbeddedFont) -> bytes:
    """Objects 1..10, the same bytes in every form made with these fonts."""
    bodies = regular.objects(REGULAR, pf.FONT_RES) + bold.objects(BOLD, pf.BOLD_RES)
    return b"".join(indirect(i + 1, body) for i, body in enumerate(bodies))


@cache
def _logo_objects(png: bytes) -> tuple[bytes, bytes]:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    rgb = image.convert("RGB").tobytes()
    alpha = image.getchannel("A").tobytes()
    w, h = image.size
    common = {
        "Type": Name("XObject"),
        "Subtype": Name("Image"),
        "Width": w,
        "Height": h,
        "BitsPerComponent": 8,
    }
    return (
        stream(
            {**common, "ColorSpace": Name("DeviceRGB"), "SMask": Ref(LOGO_MASK)}, rgb, compress=True
        ),
        stream({**common, "ColorSpace": Name("DeviceGray")}, alpha, compress=True),
    )


def _colour(c: tuple[float, float, float], op: str) -> str:
    return f"{number(c[0])} {number(c[1])} {number(c[2])} {op}"


class _Template:
    """One laid-out form: every object that does not depend on the child, as bytes."""

    def __init__(self, spec: FormSpec, theme: Theme, key: LayoutKey) -> None:
        self.theme = theme
        layout = build_layout(spec, theme, key)
        self.page_count = len(layout.pages)
        next_free = FIRST_FREE
        page_nums, content_nums, footer_nums = [], [], []
        for _ in layout.pages:
            page_nums.append(next_free)
            content_nums.append(next_free + 1)
            footer_nums.append(next_free + 2)
            next_free += 3
        self.footer_nums = footer_nums
        # Structure elements.
        struct_nums: dict[int, int] = {}
        nodes = list(_walk(layout.root))
        for node in nodes:
            struct_nums[id(node)] = next_free
            next_free += 1
        # Widgets: a field-widget object and its appearance stream.
        placed: list[tuple[PlacedWidget, int, int]] = []
        widget_nums: dict[int, int] = {}
        for w in layout.widgets:
            widget_nums[id(w)] = next_free
            placed.append((w, next_free, next_free + 1))
            next_free += 2
        self.size = next_free

        objects: dict[int, bytes] = {}
        logo, mask = _logo_objects(spec.profile.logo_png())
        objects[LOGO], objects[LOGO_MASK] = logo, mask
        parent_of: dict[int, int] = {}
        for node in nodes:
            for kid in node.kids:
                if isinstance(kid, StructNode):
                    parent_of[id(kid)] = struct_nums[id(node)]
        # Page content: static streams with marked content for tagged text.
        page_mcids: list[list[int]] = [[] for _ in layout.pages]
        for index, page in enumerate(layout.pages):
            ops = self._content(page.items, index, page_mcids[index], struct_nums)
            objects[content_nums[index]] = stream({}, ops, compress=True)
        # Widgets' static halves and struct keys.
        widget_keys: dict[int, int] = {}
        next_key = len(layout.pages)
        annots: list[list[int]] = [[] for _ in layout.pages]
        self.widgets: list[tuple[PlacedWidget, int, int, bytes, pf.TextSlot]] = []
        for w, num, ap in placed:
            key_ = None
            if w.tag is not None:
                key_ = widget_keys[id(w)] = next_key
                next_key += 1
            annots[w.page].append(num)
            prefix = pf.static_entries(w, page_nums[w.page], key_, REGULAR)
            self.widgets.append((w, num, ap, prefix, pf.TextSlot(w, FIELD_RESOURCES)))
        for index in range(len(layout.pages)):
            objects[page_nums[index]] = serialize(
                {
                    "Type": Name("Page"),
                    "Parent": Ref(PAGES),
                    "MediaBox": [0, 0, PAGE_W, PAGE_H],
                    "Resources": {
                        "Font": {pf.FONT_RES: Ref(REGULAR), pf.BOLD_RES: Ref(BOLD)},
                        "XObject": {"Logo": Ref(LOGO)},
                        "ProcSet": [Name("PDF"), Name("Text"), Name("ImageC")],
                    },
                    "Contents": [Ref(content_nums[index]), Ref(footer_nums[index])],
                    "Annots": [Ref(n) for n in annots[index]],
                    "Tabs": Name("S"),
                    "StructParents": index,
                }
            )
        # Structure tree.
        for node in nodes:
            kids: list[object] = []
            for kid in node.kids:
                if isinstance(kid, StructNode):
                    kids.append(Ref(struct_nums[id(kid)]))
                elif isinstance(kid, PlacedWidget):
                    kids.append(
                        {
                            "Type": Name("OBJR"),
                            "Obj": Ref(widget_nums[id(kid)]),
                            "Pg": Ref(page_nums[kid.page]),
                        }
                    )
                else:
                    page_index, mcid = kid  # type: ignore[misc]
                    kids.append(
                        {"Type": Name("MCR"), "Pg": Ref(page_nums[page_index]), "MCID": mcid}
                    )
            entries: dict[str, object] = {
                "Type": Name("StructElem"),
                "S": Name(node.role),
                "P": Ref(parent_of.get(id(node), STRUCT_ROOT)),
                "K": kids,
            }
            if node.title:
                entries["T"] = node.title
            if node.alt:
                entries["Alt"] = node.alt
            objects[struct_nums[id(node)]] = serialize(entries)
        nums: list[object] = []
        for index, mcids in enumerate(page_mcids):
            nums.extend([index, [Ref(n) for n in mcids]])
        for w, *_ in self.widgets:
            if id(w) in widget_keys:
                nums.extend([widget_keys[id(w)], Ref(struct_nums[id(w.tag)])])
        objects[STRUCT_ROOT] = serialize(
            {
                "Type": Name("StructTreeRoot"),
                "K": [Ref(struct_nums[id(layout.root)])],
                "ParentTree": {"Nums": nums},
                "ParentTreeNextKey": next_key,
            }
        )
        objects[FIELD_RESOURCES] = serialize({"Font": {pf.FONT_RES: Ref(REGULAR)}})
        objects[PAGES] = serialize(
            {"Type": Name("Pages"), "Kids": [Ref(n) for n in page_nums], "Count": len(page_nums)}
        )
        objects[ACROFORM] = serialize(
            {
                "Fields": [Ref(num) for _, num, *_ in self.widgets],
                "DR": {"Font": {pf.FONT_RES: Ref(REGULAR)}},
                "DA": f"/{pf.FONT_RES} 9 Tf 0 g",
            }
        )
        objects[CATALOG] = serialize(
            {
                "Type": Name("Catalog"),
                "Pages": Ref(PAGES),
                "AcroForm": Ref(ACROFORM),
                "StructTreeRoot": Ref(STRUCT_ROOT),
                "MarkInfo": {"Marked": True},
                "Lang": LANGUAGE,
                "ViewerPreferences": {"DisplayDocTitle": True},
                "Metadata": Ref(METADATA),
                "PageLayout": Name("OneColumn"),
            }
        )
        shared = _shared_objects(theme.regular, theme.bold)
        out = bytearray(HEADER)
        self.offsets: dict[int, int] = {}
        pos = len(HEADER)
        for i, start in enumerate(_object_starts(shared)):
            self.offsets[i + 1] = pos + start
        out += shared
        for num in sorted(objects):
            self.offsets[num] = len(out)
            out += indirect(num, objects[num])
        self.static = bytes(out)

    def _content(
        self, items, page_index: int, mcids: list[int], struct_nums: dict[int, int]
    ) -> bytes:
        theme = self.theme
        ops: list[str] = [
            "/Artifact <</Type/Pagination/Subtype/Header>> BDC",
        ]
        marking_w = theme.bold.width(PROTECTIVE_MARKING, 7)
        ops.append(
            f"BT /{pf.BOLD_RES} 7 Tf {_colour(theme.accent, 'rg')} "
            f"{number(PAGE_W - MARGIN_X - marking_w)} {number(PAGE_H - 24)} Td "
            f"<{theme.bold.encode(PROTECTIVE_MARKING)}> Tj ET"
        )
        if page_index > 0:
            ops.append(
                f"BT /{pf.BOLD_RES} 7.5 Tf {_colour(theme.primary, 'rg')} {number(MARGIN_X)} "
                f"{number(PAGE_H - 24)} Td <{theme.bold.encode('Personal Education Plan')}> Tj ET"
            )
        ops.append(
            f"{_colour(theme.primary, 'rg')} {number(MARGIN_X)} {number(PAGE_H - 30)} "
            f"{number(PAGE_W - 2 * MARGIN_X)} 0.8 re f"
        )
        ops.append("EMC")
        for item in items:
            if isinstance(item, Box):
                ops.append("/Artifact BMC q")
                if item.fill is not None:
                    ops.append(_colour(item.fill, "rg"))
                if item.stroke is not None:
                    ops.append(f"{_colour(item.stroke, 'RG')} {number(item.line_width)} w")
                paint = (
                    "B"
                    if item.fill is not None and item.stroke is not None
                    else ("f" if item.fill is not None else "S")
                )
                ops.append(
                    f"{number(item.x)} {number(item.y)} {number(item.w)} {number(item.h)} re "
                    f"{paint} Q EMC"
                )
            elif isinstance(item, Picture):
                ops.append(self._open(item.tag, page_index, mcids, struct_nums))
                ops.append(
                    f"q {number(item.w)} 0 0 {number(item.h)} {number(item.x)} {number(item.y)} cm "
                    "/Logo Do Q EMC"
                )
            elif isinstance(item, TextRun):
                font = theme.bold if item.bold else theme.regular
                res = pf.BOLD_RES if item.bold else pf.FONT_RES
                x = item.x
                if item.align != "left":
                    width = font.width(item.text, item.size)
                    x -= width if item.align == "right" else width / 2
                ops.append(self._open(item.tag, page_index, mcids, struct_nums))
                ops.append(
                    f"BT /{res} {number(item.size)} Tf {_colour(item.colour, 'rg')} {number(x)} "
                    f"{number(item.y)} Td <{font.encode(item.text)}> Tj ET EMC"
                )
        return "\n".join(ops).encode("ascii")

    @staticmethod
    def _open(
        tag: StructNode | None, page_index: int, mcids: list[int], struct_nums: dict[int, int]
    ) -> str:
        if tag is None:
            return "/Artifact BMC"
        mcid = len(mcids)
        mcids.append(struct_nums[id(tag)])
        tag.kids.append((page_index, mcid))
        return f"/{tag.role} <</MCID {mcid}>> BDC"

    # -- per child ---------------------------------------------------------------------------

    def render(self, spec: FormSpec) -> bytes:
        return self.static + self.render_rest(spec)

    def render_rest(self, spec: FormSpec) -> bytes:
        """What follows `self.static` in the child's form: its objects, xref and trailer."""
        theme = self.theme
        font = theme.regular
        base = len(self.static)
        out = bytearray()
        offsets = self.offsets.copy()

        def put(num: int, body: bytes) -> None:
            offsets[num] = base + len(out)
            out.extend(b"%d 0 obj\n" % num)
            out.extend(body)
            out.extend(b"\nendobj\n")

        values = _flatten(spec.data)
        for w, num, ap, prefix, slot in self.widgets:
            value = pf.field_value(w.field, values.get(w.pointer))
            size = slot.base
            shown = w.field.label_for(value) if w.field.widget == "choice" and value else value
            if shown:
                body, size = slot.appearance(font, shown)
            else:
                body = slot.empty
            put(ap, body)
            put(num, prefix + pf.dynamic_entries(value, ap, size))
        footer = self._footer_lines(spec)
        for index, num in enumerate(self.footer_nums):
            put(num, self._footer(footer, index))
        identity = spec.identity.to_dict()
        put(INFO, self._info(spec, identity))
        put(METADATA, self._xmp(spec, identity))
        start = base + len(out)
        file_id = hashlib.md5(spec.identity.form_id.encode("utf-8")).hexdigest().upper().encode()
        out += xref_and_trailer(
            (offsets[n] for n in range(1, self.size)),
            self.size,
            {"Root": Ref(CATALOG), "Info": Ref(INFO), "ID": [Raw(b"<" + file_id + b">")] * 2},
            start,
        )
        return bytes(out)

    def _footer_lines(self, spec: FormSpec) -> tuple[str, str]:
        ident = spec.identity
        about = [spec.child_name] if spec.child_name else []
        if ident.child_id:
            about.append(f"Child ID {ident.child_id}")
        if ident.term:
            about.append(f"Term {ident.term}")
        about.append(spec.profile.virtual_school)
        return f"Form ID {ident.form_id}", " · ".join(about)

    def _footer(self, lines: tuple[str, str], index: int) -> bytes:
        theme = self.theme
        reg, bold = theme.regular, theme.bold
        page = f"Page {index + 1} of {self.page_count}"
        right = PAGE_W - MARGIN_X
        ops = (
            "/Artifact <</Type/Pagination/Subtype/Footer>> BDC\n"
            f"{_colour(theme.primary, 'rg')} {number(MARGIN_X)} 44 "
            f"{number(PAGE_W - 2 * MARGIN_X)} 0.8 re f\n"
            f"BT /{pf.BOLD_RES} 7.5 Tf {_colour(INK, 'rg')} {number(MARGIN_X)} 33 Td "
            f"<{bold.encode(lines[0])}> Tj ET\n"
            f"BT /{pf.BOLD_RES} 7.5 Tf {number(right - bold.width(page, 7.5))} 33 Td "
            f"<{bold.encode(page)}> Tj ET\n"
            f"BT /{pf.FONT_RES} 7 Tf {_colour(GREY, 'rg')} {number(MARGIN_X)} 23 Td "
            f"<{reg.encode(lines[1])}> Tj ET\n"
            f"BT /{pf.BOLD_RES} 7.5 Tf {_colour(theme.accent, 'rg')} "
            f"{number(right - bold.width(PROTECTIVE_MARKING, 7.5))} 23 Td "
            f"<{bold.encode(PROTECTIVE_MARKING)}> Tj ET\nEMC\n"
        ).encode("ascii")
        return b"<</Length %d>>\nstream\n" % len(ops) + ops + b"\nendstream"

    def _info(self, spec: FormSpec, identity: dict[str, str]) -> bytes:
        phase_label = _phase_label(spec)
        term = f", {spec.identity.term}" if spec.identity.term else ""
        return serialize(
            {
                "Title": spec.title,
                "Author": spec.profile.virtual_school,
                "Subject": f"{spec.model.title}, {phase_label}{term}, {spec.profile.name}",
                "Keywords": f"{PROTECTIVE_MARKING}; form {spec.identity.form_id}",
                "Creator": PRODUCER,
                "Producer": PRODUCER,
                "CreationDate": _pdf_date(spec.identity.generated_at),
                "PepDocsIdentity": json.dumps(identity, sort_keys=True, ensure_ascii=False),
            }
        )

    def _xmp(self, spec: FormSpec, identity: dict[str, str]) -> bytes:
        props = "".join(f"<pepid:{k}>{escape(v)}</pepid:{k}>" for k, v in identity.items())
        packet = (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
            f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pepid="{IDENTITY_NS}">'
            '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(spec.title)}</rdf:li></rdf:Alt></dc:title>"
            f"<dc:language><rdf:Bag><rdf:li>{LANGUAGE}</rdf:li></rdf:Bag></dc:language>"
            f"<dc:creator><rdf:Seq><rdf:li>{escape(spec.profile.virtual_school)}</rdf:li></rdf:Seq></dc:creator>"
            f"<pdf:Producer>{escape(PRODUCER)}</pdf:Producer>"
            f"<xmp:CreatorTool>{escape(PRODUCER)}</xmp:CreatorTool>"
            f"<xmp:CreateDate>{escape(spec.identity.generated_at)}</xmp:CreateDate>"
            f"{props}</rdf:Description></rdf:RDF></x:xmpmeta>\n"
            '<?xpacket end="w"?>'
        ).encode()
        head = serialize({"Type": Name("Metadata"), "Subtype": Name("XML"), "Length": len(packet)})
        return head + b"\nstream\n" + packet + b"\nendstream"


def _flatten(
    data: object, prefix: str = "", out: dict[str, object] | None = None
) -> dict[str, object]:
    """Every value of a document by concrete JSON Pointer (one pass instead of a lookup each)."""
    out = {} if out is None else out
    if isinstance(data, dict):
        for k, v in data.items():
            key = str(k).replace("~", "~0").replace("/", "~1")
            _flatten(v, f"{prefix}/{key}", out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _flatten(v, f"{prefix}/{i}", out)
    else:
        out[prefix] = data
    return out


def _walk(node: StructNode):
    yield node
    for kid in node.kids:
        if isinstance(kid, StructNode):
            yield from _walk(kid)


def _object_starts(blob: bytes) -> list[int]:
    """Offsets of `N 0 obj` headers in a run of consecutive objects numbered from 1."""
    starts, pos, n = [], 0, 1
    while True:
        pos = blob.find(b"%d 0 obj\n" % n, pos)
        if pos < 0:
            return starts
        starts.append(pos)
        n += 1


def _phase_label(spec: FormSpec) -> str:
    if spec.model.has("/phase"):
        node = spec.model.node("/phase")
        return node.label_for(spec.phase)  # type: ignore[union-attr]
    return spec.phase


def _pdf_date(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    offset = moment.utcoffset()
    if offset is None:
        return moment.strftime("D:%Y%m%d%H%M%S")
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return (
        moment.strftime("D:%Y%m%d%H%M%S")
        + f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
    )


class PdfRenderer:
    """Renders the forms of one authority and phase; layouts are cached by `LayoutKey`."""

    def __init__(self, profile: Profile, phase: str, max_layouts: int = 32) -> None:
        self.profile = profile
        self.phase = phase
        self.theme = Theme.of(profile)
        self.max_layouts = max_layouts
        self._templates: OrderedDict[LayoutKey, _Template] = OrderedDict()

    def render(self, spec: FormSpec) -> bytes:
        """The form of one child (or a blank form) of this renderer's authority and phase."""
        static, rest = self.render_parts(spec)
        return static + rest

    def render_parts(self, spec: FormSpec) -> tuple[bytes, bytes]:
        """The form in two parts: the layout's bytes shared by every child of it (the same
        object each time, while the layout stays cached) and the child's own bytes after them.
        A bulk writer can deflate and hash the shared part once (`pep_docs.pack`)."""
        if spec.profile.folder != self.profile.folder or spec.phase != self.phase:
            raise TemplateError(
                f"this renderer makes {self.profile.slug} {self.phase} forms, "
                f"not {spec.profile.slug} {spec.phase}",
                hint="use render_pdf(spec), which picks the renderer",
            )
        key = layout_key(spec, self.theme)
        template = self._templates.get(key)
        if template is None:
            template = _Template(spec, self.theme, key)
            self._templates[key] = template
            while len(self._templates) > self.max_layouts:
                self._templates.popitem(last=False)
        else:
            self._templates.move_to_end(key)
        return template.static, template.render_rest(spec)


_renderers: dict[tuple[Path, str, str], PdfRenderer] = {}


def renderer_for(spec: FormSpec) -> PdfRenderer:
    """The cached renderer of the spec's authority and phase."""
    key = (spec.profile.folder, spec.phase, spec.model.id)
    renderer = _renderers.get(key)
    if renderer is None or renderer.profile is not spec.profile:
        renderer = _renderers[key] = PdfRenderer(spec.profile, spec.phase)
    return renderer


def render_pdf(spec: FormSpec) -> bytes:
    """The fillable PDF form of a `FormSpec` (see the module docstring for its structure)."""
    return renderer_for(spec).render(spec)


def render_pdf_parts(spec: FormSpec) -> tuple[bytes, bytes]:
    """`render_pdf(spec)` in two parts, shared layout then the child's own (`render_parts`)."""
    return renderer_for(spec).render_parts(spec)


def clear_cache() -> None:
    """Forget every cached layout (the benchmark measures cold and warm runs)."""
    _renderers.clear()
