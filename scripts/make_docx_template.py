"""Build `pep_docs/templates/pep_form.docx`, the base Word template, reproducibly.

A .docx is binary, so the template is written from the XML below and committed together with
this script: change the XML here, run `.venv/bin/python scripts/make_docx_template.py`, commit
both. The package is written by hand (not from python-docx's default document) so it stays small:
its parts are zipped again for every generated form.

What the template holds (an authority may copy it, restyle it in Word and save it as
`pep_docs/authorities/<slug>/template.docx`):

- styles: Normal, Title, Subtitle, Heading 1-2, Header, Footer, the grey italic Placeholder Text
  and the `PEP ...` styles of labels, guidance and answers. The profile's colours and font are
  applied at render time to Title, Heading 1, Heading 2 and PEP Header Name, and its font to the
  document defaults (see `pep_docs/render/docx_package.py`);
- a header with the logo slot (the picture whose alt text is `{{ logo_alt }}`; its image is
  replaced by the authority's logo), `{{ authority_name }}`, `{{ virtual_school }}` and
  `{{ marking }}`;
- a footer with `{{ child_name }}`, `{{ form_id }}`, `{{ marking }}` and Page X of Y fields;
- a body with the title, `{{ subtitle }}`, `{{ reference }}` (the form id and the version of the
  PEP form, printed in the body so that a copy pasted without header and footer still says
  which form it is), how to fill the form in, and the paragraph
  `{{p form_body }}` that the form's sections replace.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "pep_docs" / "templates" / "pep_form.docx"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = (
    f'xmlns:w="{W}" xmlns:r="{R}" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'mc:Ignorable="w14"'
)
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
TEXT_WIDTH = 10204  # twips: A4 (11906) less two 2 cm margins (1134 + ... rounded)
PRIMARY = "1F3864"  # replaced by the profile's primary colour at render time
SECONDARY = "E7ECF5"

CONTENT_TYPES = (
    DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
    '<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

ROOT_RELS = (
    DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

DOCUMENT_RELS = (
    DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{R}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{R}/settings" Target="settings.xml"/>'
    f'<Relationship Id="rId3" Type="{R}/header" Target="header1.xml"/>'
    f'<Relationship Id="rId4" Type="{R}/footer" Target="footer1.xml"/>'
    "</Relationships>"
)

HEADER_RELS = (
    DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{R}/image" Target="media/logo.png"/>'
    "</Relationships>"
)

CORE = (
    DECL + "<cp:coreProperties "
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>Personal Education Plan</dc:title>"
    "<dc:subject>Personal Education Plan</dc:subject>"
    "<dc:creator>pep-docs</dc:creator>"
    "<dc:language>en-GB</dc:language>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:modified>'
    "</cp:coreProperties>"
)

APP = (
    DECL
    + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>pep-docs</Application><DocSecurity>0</DocSecurity></Properties>"
)

SETTINGS = (
    DECL + f'<w:settings xmlns:w="{W}">'
    '<w:zoom w:percent="100"/>'
    '<w:defaultTabStop w:val="720"/>'
    '<w:characterSpacingControl w:val="doNotCompress"/>'
    '<w:themeFontLang w:val="en-GB"/>'
    "<w:compat>"
    '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
    "</w:compat>"
    "</w:settings>"
)


def _para_style(style_id, name, ppr="", rpr="", based="Normal", nxt="Normal", extra=""):
    return (
        f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>'
        f'<w:basedOn w:val="{based}"/><w:next w:val="{nxt}"/>{extra}<w:qFormat/>'
        f"<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"
    )


STYLES = (
    DECL + f'<w:styles xmlns:w="{W}">'
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    '<w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans" w:eastAsia="Liberation Sans" '
    'w:cs="Liberation Sans"/>'
    '<w:sz w:val="20"/><w:szCs w:val="20"/><w:lang w:val="en-GB" w:eastAsia="en-GB" w:bidi="ar-SA"/>'
    "</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:spacing w:after="60" w:line="259" w:lineRule="auto"/></w:pPr>'
    "</w:pPrDefault></w:docDefaults>"
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    "<w:qFormat/></w:style>"
    '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
    "</w:style>"
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
    '<w:semiHidden/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
    '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
    '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
    "</w:tblCellMar></w:tblPr></w:style>"
    + _para_style(
        "Title",
        "Title",
        '<w:spacing w:before="0" w:after="60"/>',
        f'<w:b/><w:color w:val="{PRIMARY}"/><w:sz w:val="40"/><w:szCs w:val="40"/>',
    )
    + _para_style(
        "Subtitle",
        "Subtitle",
        '<w:spacing w:after="160"/>',
        '<w:color w:val="404040"/><w:sz w:val="22"/><w:szCs w:val="22"/>',
    )
    + _para_style(
        "Heading1",
        "heading 1",
        '<w:keepNext/><w:keepLines/><w:pBdr><w:bottom w:val="single" w:sz="8" w:space="1" '
        f'w:color="{PRIMARY}"/></w:pBdr><w:spacing w:before="280" w:after="80"/>'
        '<w:outlineLvl w:val="0"/>',
        f'<w:b/><w:color w:val="{PRIMARY}"/><w:sz w:val="28"/><w:szCs w:val="28"/>',
    )
    + _para_style(
        "Heading2",
        "heading 2",
        '<w:keepNext/><w:keepLines/><w:spacing w:before="160" w:after="60"/>'
        '<w:outlineLvl w:val="1"/>',
        f'<w:b/><w:color w:val="{PRIMARY}"/><w:sz w:val="22"/><w:szCs w:val="22"/>',
    )
    + _para_style("Header", "header", '<w:tabs><w:tab w:val="right" w:pos="10204"/></w:tabs>', "")
    + _para_style(
        "Footer",
        "footer",
        '<w:tabs><w:tab w:val="right" w:pos="10204"/></w:tabs><w:spacing w:after="0"/>',
        '<w:color w:val="404040"/><w:sz w:val="16"/><w:szCs w:val="16"/>',
    )
    + _para_style(
        "PEPHeaderName",
        "PEP Header Name",
        '<w:spacing w:after="0"/>',
        f'<w:b/><w:color w:val="{PRIMARY}"/><w:sz w:val="26"/><w:szCs w:val="26"/>',
    )
    + _para_style(
        "PEPMarking",
        "PEP Marking",
        '<w:spacing w:after="0"/><w:jc w:val="right"/>',
        '<w:b/><w:caps/><w:sz w:val="18"/><w:szCs w:val="18"/>',
    )
    + _para_style(
        "PEPHeaderRule",
        "PEP Header Rule",
        '<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="1" '
        f'w:color="{PRIMARY}"/></w:pBdr><w:spacing w:after="120"/>',
        '<w:sz w:val="4"/><w:szCs w:val="4"/>',
    )
    + _para_style(
        "PEPLabel",
        "PEP Label",
        '<w:keepNext/><w:spacing w:before="20" w:after="20"/>',
        '<w:b/><w:sz w:val="18"/><w:szCs w:val="18"/>',
    )
    + _para_style(
        "PEPGuidance",
        "PEP Guidance",
        '<w:keepNext/><w:spacing w:after="80"/>',
        '<w:i/><w:color w:val="595959"/><w:sz w:val="17"/><w:szCs w:val="17"/>',
    )
    + _para_style(
        "PEPReference",
        "PEP Reference",
        '<w:spacing w:after="120"/>',
        '<w:color w:val="595959"/><w:sz w:val="16"/><w:szCs w:val="16"/>',
    )
    + _para_style(
        "PEPAnswer",
        "PEP Answer",
        '<w:spacing w:before="20" w:after="20"/>',
        '<w:sz w:val="19"/><w:szCs w:val="19"/>',
    )
    + '<w:style w:type="character" w:styleId="PlaceholderText"><w:name w:val="Placeholder Text"/>'
    '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:semiHidden/>'
    '<w:rPr><w:i/><w:color w:val="767676"/><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr>'
    "</w:style>"
    '<w:style w:type="table" w:styleId="PEPFormTable"><w:name w:val="PEP Form Table"/>'
    '<w:basedOn w:val="TableNormal"/><w:tblPr><w:tblBorders>'
    '<w:top w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'
    '<w:left w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'
    '<w:bottom w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'
    '<w:right w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'
    '<w:insideH w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'
    '<w:insideV w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'
    "</w:tblBorders><w:tblCellMar>"
    '<w:top w:w="40" w:type="dxa"/><w:left w:w="90" w:type="dxa"/>'
    '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="90" w:type="dxa"/>'
    "</w:tblCellMar></w:tblPr></w:style>"
    "</w:styles>"
)


def _run(text: str, rpr: str = "") -> str:
    return (
        f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'
    )


def _p(style: str, content: str, ppr: str = "") -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{ppr}</w:pPr>{content}</w:p>'


LOGO_EMU = 648000  # 1.8 cm square; the width follows the authority logo's aspect ratio

LOGO = (
    '<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
    f'<wp:extent cx="{LOGO_EMU}" cy="{LOGO_EMU}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
    '<wp:docPr id="1" name="Logo" descr="{{ logo_alt }}"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="logo.png" descr="{{ logo_alt }}"/>'
    "<pic:cNvPicPr/></pic:nvPicPr>"
    '<pic:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/>'
    f'<a:ext cx="{LOGO_EMU}" cy="{LOGO_EMU}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
    "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
)

NO_BORDERS = (
    "<w:tblBorders>"
    + "".join(
        f'<w:{side} w:val="nil"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    + "</w:tblBorders>"
)


def _cell(width: int, content: str, valign: str = "center") -> str:
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="{valign}"/></w:tcPr>'
        f"{content}</w:tc>"
    )


HEADER = (
    DECL + f"<w:hdr {NS}>"
    "<w:tbl><w:tblPr>"
    '<w:tblW w:w="10204" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
    f"{NO_BORDERS}"
    '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
    'w:noHBand="1" w:noVBand="1"/>'
    "</w:tblPr>"
    '<w:tblGrid><w:gridCol w:w="1300"/><w:gridCol w:w="6104"/><w:gridCol w:w="2800"/></w:tblGrid>'
    "<w:tr>"
    + _cell(1300, _p("Header", LOGO))
    + _cell(
        6104,
        _p("PEPHeaderName", _run("{{ authority_name }}"))
        + _p("Header", _run("{{ virtual_school }}", '<w:sz w:val="18"/>')),
    )
    + _cell(2800, _p("PEPMarking", _run("{{ marking }}")))
    + "</w:tr></w:tbl>"
    + _p("PEPHeaderRule", "")
    + "</w:hdr>"
)


def _field(instr: str, shown: str) -> str:
    return f'<w:fldSimple w:instr=" {instr} ">{_run(shown)}</w:fldSimple>'


FOOTER = (
    DECL
    + f"<w:ftr {NS}>"
    + _p(
        "Footer",
        _run("{{ child_name }}  |  Form {{ form_id }}  |  ")
        + _run("{{ marking }}", "<w:b/>")
        + "<w:r><w:tab/></w:r>"
        + _run("Page ")
        + _field("PAGE", "1")
        + _run(" of ")
        + _field("NUMPAGES", "1"),
        '<w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="A6A6A6"/></w:pBdr>',
    )
    + "</w:ftr>"
)

INTRO = (
    "Complete every box that applies. Grey text [in square brackets] is guidance: it goes when "
    "you type. "
    "Choose from the lists, Yes or No included, and pick dates from the calendar; please do not copy "
    "the form into a new document, so that the Virtual School can read your answers."
)

DOCUMENT = (
    DECL
    + f"<w:document {NS}><w:body>"
    + _p("Title", _run("Personal Education Plan"))
    + _p("Subtitle", _run("{{ subtitle }}"))
    + _p("PEPReference", _run("{{ reference }}"))
    + _p("PEPGuidance", _run(INTRO))
    + _p("Normal", _run("{{p form_body }}"))
    + "<w:sectPr>"
    '<w:headerReference w:type="default" r:id="rId3"/>'
    '<w:footerReference w:type="default" r:id="rId4"/>'
    '<w:pgSz w:w="11906" w:h="16838"/>'
    '<w:pgMar w:top="1020" w:right="851" w:bottom="1020" w:left="851" w:header="454" '
    'w:footer="454" w:gutter="0"/>'
    "</w:sectPr></w:body></w:document>"
)


def placeholder_logo() -> bytes:
    """A neutral square: the slot an authority's logo fills at render time."""
    image = Image.new("RGB", (120, 120), "#" + PRIMARY)
    ImageDraw.Draw(image).rectangle((10, 10, 109, 109), outline="white", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build() -> bytes:
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "docProps/core.xml": CORE,
        "docProps/app.xml": APP,
        "word/document.xml": DOCUMENT,
        "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/styles.xml": STYLES,
        "word/settings.xml": SETTINGS,
        "word/header1.xml": HEADER,
        "word/_rels/header1.xml.rels": HEADER_RELS,
        "word/footer1.xml": FOOTER,
        "word/media/logo.png": placeholder_logo(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return out.getvalue()


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(build())
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
