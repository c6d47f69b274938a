"""Word forms: every fixture PEP rendered, converted by LibreOffice, read back and checked.

One LibreOffice call converts every rendered form (module fixture `pdf_text`); everything else
reads the .docx itself with python-docx and lxml.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree

from pep_docs.errors import TemplateError
from pep_docs.forms import IDENTITY_NS, FormSpec, prepare
from pep_docs.profiles import BUILTIN_DIR, available, load_profile
from pep_docs.render import docx_package as pkg
from pep_docs.render.docx import (
    DEFAULT_TEMPLATE,
    VALUES_NS,
    VALUES_STORE_ID,
    DocxRenderer,
    naive_render,
    render_docx,
    renderer_for,
)
from pep_docs.render.docx_sdt import bookmark_name, placeholder, xpath
from pep_docs.schema import PHASES, Field, Table, iter_values, load_model
from tests.conftest import fixture_peps, load

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "pv": VALUES_NS, "pf": IDENTITY_NS}
FIXTURES = fixture_peps()
IDS = [p.stem for p in FIXTURES]
HARD_NAME = {"first_name": "Zoë", "last_name": "O'Brien & <Co>"}


def _spec(path: Path) -> FormSpec:
    return prepare(data=load(path))


def _escaping_data() -> dict:
    data = load(next(p for p in FIXTURES if p.stem == "pb-school-age-hard-name"))
    data["child"].update(HARD_NAME)
    data["social_care"]["contextual_information"] = "Before\x07bell\x0bafter. Łódź Ωμέγα ✓ 東京 𝔘"
    return data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[FormSpec, bytes, Path]]:
    folder = tmp_path_factory.mktemp("docx")
    out = {}
    cases = [(p.stem, _spec(p)) for p in FIXTURES] + [("escaping", prepare(data=_escaping_data()))]
    for name, spec in cases:
        data = render_docx(spec)
        path = folder / f"{name}.docx"
        path.write_bytes(data)
        out[name] = (spec, data, path)
    return out


@pytest.fixture(scope="module")
def pdf_text(rendered, tmp_path_factory) -> dict[str, str]:
    """Every rendered form through ONE `soffice --convert-to pdf`, then pdftotext."""
    folder = tmp_path_factory.mktemp("pdf")
    profile = tmp_path_factory.mktemp("lo-profile")
    files = [str(path) for _, _, path in rendered.values()]
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *files,
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    texts = {}
    for name in rendered:
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(folder / f"{name}.pdf"), "-"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        texts[name] = result.stdout.decode("utf-8")
    shutil.rmtree(profile, ignore_errors=True)
    return texts


def _part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read(name))


def _custom_xml(data: bytes, namespace: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if re.fullmatch(r"customXml/item\d+\.xml", name):
                root = etree.fromstring(zf.read(name))
                if etree.QName(root).namespace == namespace:
                    return root
    raise AssertionError(f"no custom XML part in {namespace}")


def _controls(data: bytes) -> list[etree._Element]:
    """Every field control (every w:sdt but the group around the body)."""
    body = _part(data, "word/document.xml")
    return [s for s in body.iter(f"{{{W}}}sdt") if s.find("w:sdtPr/w:group", NS) is None]


def _tag(sdt: etree._Element) -> str:
    return sdt.find("w:sdtPr/w:tag", NS).get(f"{{{W}}}val")


def _shown(spec: FormSpec) -> list[tuple[str, Field]]:
    """The concrete pointers the form must offer: every shown field, every printed row."""
    out = []

    def visit(node, prefix_rows=None):
        if not spec.shows(node):
            return
        if isinstance(node, Field):
            if not node.hidden:
                out.append((node.pointer, node))
        elif isinstance(node, Table):
            for i in range(spec.row_count(node)):
                for c in node.columns:
                    if spec.shows(c):
                        out.append((c.pointer.replace("*", str(i)), c))
        else:
            for child in spec.children(node):
                visit(child)

    for view in spec.sections():
        visit(view.node)
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- every fixture ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_opens_with_python_docx_and_says_what_it_is(rendered, path):
    spec, data, _ = rendered[path.stem]
    document = docx.Document(io.BytesIO(data))
    assert document.core_properties.title == spec.title
    assert document.core_properties.language == "en-GB"
    assert document.core_properties.identifier == spec.identity.form_id
    header_text = " ".join(p.text for p in document.sections[0].header.paragraphs)
    header_text += " ".join(c.text for t in document.sections[0].header.tables for c in t._cells)
    assert spec.profile.name in header_text
    assert "OFFICIAL-SENSITIVE" in header_text
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text.startswith(f"{spec.child_name}  |  Form {spec.identity.form_id}  |  ")
    instructions = [f.get(f"{{{W}}}instr") for f in footer._p.iter(f"{{{W}}}fldSimple")]
    assert instructions == [" PAGE ", " NUMPAGES "]


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_pdf_shows_every_prepopulated_value(rendered, pdf_text, path):
    spec, _, _ = rendered[path.stem]
    text = _squash(pdf_text[path.stem])
    shown = dict(_shown(spec))
    for pointer, _value in iter_values(spec.data, spec.model):
        f = shown.get(pointer)
        if f is None:
            continue
        for line in spec.display(f, pointer).split("\n"):
            assert _squash(line) in text, f"{pointer}: {line!r} not in the PDF"
    assert spec.identity.form_id in pdf_text[path.stem]


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_every_control_is_a_schema_field_with_all_its_identities(rendered, path):
    spec, data, _ = rendered[path.stem]
    model = load_model()
    controls = _controls(data)
    tags = [_tag(s) for s in controls]
    assert tags == [p for p, _ in _shown(spec)]
    body = _part(data, "word/document.xml")
    bookmarks = {b.get(f"{{{W}}}name") for b in body.iter(f"{{{W}}}bookmarkStart")}
    for sdt, tag in zip(controls, tags, strict=True):
        assert model.has(tag)
        f = model.node(tag)
        binding = sdt.find("w:sdtPr/w:dataBinding", NS)
        assert binding.get(f"{{{W}}}xpath") == xpath(tag)
        assert binding.get(f"{{{W}}}storeItemID") == VALUES_STORE_ID
        assert bookmark_name(tag) in bookmarks
        assert len(bookmark_name(tag)) <= 40
        assert sdt.find("w:sdtPr/w:lock", NS).get(f"{{{W}}}val") == "sdtLocked"
        assert sdt.find("w:sdtPr/w:alias", NS).get(f"{{{W}}}val").startswith(f.title)
    assert len(bookmarks) == len(tags)


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_controls_have_the_right_type_and_state(rendered, path):
    spec, data, _ = rendered[path.stem]
    for sdt in _controls(data):
        pointer = _tag(sdt)
        f = spec.model.node(pointer)
        pr = sdt.find("w:sdtPr", NS)
        shown = "".join(t.text or "" for t in sdt.iter(f"{{{W}}}t"))
        value = spec.value(pointer)
        assert (pr.find("w:showingPlcHdr", NS) is not None) == (value is None)
        if value is None:
            assert shown == placeholder(f)
            run_style = sdt.find("w:sdtContent/w:r/w:rPr/w:rStyle", NS)
            assert run_style.get(f"{{{W}}}val") == "PlaceholderText"
        elif f.widget == "paragraph":
            breaks = len(sdt.findall("w:sdtContent/w:r/w:br", NS))
            assert shown == spec.display(f, pointer).replace("\n", "")
            assert breaks == spec.display(f, pointer).count("\n")
        else:
            assert shown == spec.display(f, pointer)
        if f.widget == "date":
            date = pr.find("w:date", NS)
            assert date.find("w:dateFormat", NS).get(f"{{{W}}}val") == "dd/MM/yyyy"
            assert date.find("w:lid", NS).get(f"{{{W}}}val") == "en-GB"
            full = date.get(f"{{{W}}}fullDate")
            assert full == (f"{value}T00:00:00Z" if value else None)
        elif f.widget == "choice":
            items = [
                (i.get(f"{{{W}}}value"), i.get(f"{{{W}}}displayText"))
                for i in pr.iterfind("w:dropDownList/w:listItem", NS)
            ]
            assert items == [("", "Choose an item."), *f.choices]
        elif f.widget == "paragraph":
            assert pr.find("w:text", NS).get(f"{{{W}}}multiLine") == "1"
        else:
            assert pr.find("w:text", NS) is not None


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_identity_metadata_and_values_part(rendered, path):
    spec, data, _ = rendered[path.stem]
    identity = _custom_xml(data, IDENTITY_NS)
    assert {etree.QName(e).localname: e.text or "" for e in identity} == spec.identity.to_dict()
    props = _part(data, "docProps/custom.xml")
    found = {p.get("name"): p[0].text or "" for p in props}
    assert found == {f"pep_docs.{k}": v for k, v in spec.identity.to_dict().items()}
    values = _custom_xml(data, VALUES_NS)
    for pointer, f in _shown(spec):
        node = values.xpath(xpath(pointer), namespaces=NS)
        assert len(node) == 1, pointer
        value = spec.value(pointer)
        if value is None:
            assert node[0].text is None
        elif f.type == "boolean":
            assert node[0].text == {True: "true", False: "false"}[value]
        elif f.widget in ("date", "choice"):
            assert node[0].text == value
        else:
            assert node[0].text == spec.display(f, pointer)


@pytest.mark.parametrize("path", FIXTURES[:3], ids=IDS[:3])
def test_fast_path_gives_the_same_form_as_the_naive_loop(path):
    spec = prepare(data=load(path), form_id="00000000-0000-4000-8000-000000000001")
    renderer = renderer_for(spec.profile, spec.phase)
    fast = pkg.content_signature(renderer.render(spec))
    naive = pkg.content_signature(naive_render(renderer, spec))
    assert fast == naive


# -- accessibility and layout -----------------------------------------------------------------


def test_accessibility(rendered):
    spec, data, _ = rendered["st-school-age-ehcp"]
    body = _part(data, "word/document.xml")

    def styled(style: str) -> list[str]:
        return [
            "".join(t.text for t in p.iter(f"{{{W}}}t"))
            for p in body.iter(f"{{{W}}}p")
            if p.find(f"w:pPr/w:pStyle[@w:val='{style}']", NS) is not None
        ]

    assert styled("Heading1") == [v.title for v in spec.sections()]
    assert "Attendees" in styled("Heading2")
    names = {
        s.get(f"{{{W}}}styleId"): s.find("w:name", NS).get(f"{{{W}}}val")
        for s in _part(data, "word/styles.xml").iter(f"{{{W}}}style")
    }
    assert (names["Heading1"], names["Heading2"]) == ("heading 1", "heading 2")
    repeated = body.findall(".//w:tr/w:trPr/w:tblHeader", NS)
    tables = [t for t in spec.model.walk(spec.phase) if isinstance(t, Table)]
    assert len(repeated) >= len(tables)
    header = _part(data, "word/header1.xml")
    described = [d.get("descr") for d in header.iter("{*}docPr")]
    assert described == [f"{spec.profile.name} logo"]
    styles = _part(data, "word/styles.xml")
    assert styles.find(".//w:docDefaults//w:lang", NS).get(f"{{{W}}}val") == "en-GB"
    group = body.find("w:body/w:sdt/w:sdtPr", NS)
    assert group.find("w:group", NS) is not None
    assert group.find("w:lock", NS).get(f"{{{W}}}val") == "sdtLocked"


def test_branding_comes_from_the_profile(rendered):
    for name in ("bf-post-16", "st-post-16"):
        spec, data, _ = rendered[name]
        styles = _part(data, "word/styles.xml")
        title = styles.find(".//w:style[@w:styleId='Heading1']/w:rPr/w:color", NS)
        assert title.get(f"{{{W}}}val") == spec.profile.colours["primary"].lstrip("#").upper()
        fonts = styles.find(".//w:docDefaults//w:rFonts", NS)
        assert fonts.get(f"{{{W}}}ascii") == spec.profile.font
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.read("word/media/logo.png") == spec.profile.logo_png()


@pytest.mark.parametrize("slug", sorted(p.name for p in BUILTIN_DIR.iterdir() if p.is_dir()))
@pytest.mark.parametrize("phase", PHASES)
def test_blank_form_for_every_authority_and_phase(slug, phase):
    spec = prepare(authority=slug, phase=phase)
    data = render_docx(spec)
    docx.Document(io.BytesIO(data))
    controls = _controls(data)
    assert [_tag(s) for s in controls] == [p for p, _ in _shown(spec)]
    assert all(sdt.find("w:sdtPr/w:showingPlcHdr", NS) is not None for sdt in controls)
    values = _custom_xml(data, VALUES_NS)
    assert all(not (e.text or "").strip() for e in values.iter())
    identity = _custom_xml(data, IDENTITY_NS)
    assert identity.find("pf:authority", NS).text == slug
    assert identity.find("pf:phase", NS).text == phase


# -- hostile and unusual values ----------------------------------------------------------------


def test_values_are_escaped_and_unicode_survives(rendered, pdf_text):
    spec, data, _ = rendered["escaping"]
    document = docx.Document(io.BytesIO(data))
    assert document.core_properties.title == "Personal Education Plan: Zoë O'Brien & <Co>"
    texts = {_tag(s): "".join(t.text for t in s.iter(f"{{{W}}}t")) for s in _controls(data)}
    assert texts["/child/first_name"] == "Zoë"
    assert texts["/child/last_name"] == "O'Brien & <Co>"
    assert "O'Brien & <Co>" in pdf_text["escaping"]
    assert "Zoë O'Brien & <Co>" in document.sections[0].footer.paragraphs[0].text


def test_control_characters_are_removed(rendered, pdf_text):
    _, data, _ = rendered["escaping"]
    texts = {_tag(s): "".join(t.text for t in s.iter(f"{{{W}}}t")) for s in _controls(data)}
    assert texts["/social_care/contextual_information"] == "Beforebellafter. Łódź Ωμέγα ✓ 東京 𝔘"
    values = _custom_xml(data, VALUES_NS)
    stored = values.xpath(xpath("/social_care/contextual_information"), namespaces=NS)[0].text
    assert stored == "Beforebellafter. Łódź Ωμέγα ✓ 東京 𝔘"
    # The PDF shows what the installed fonts cover (DejaVu, Liberation: no CJK here).
    assert "Beforebellafter. Łódź Ωμέγα ✓" in pdf_text["escaping"]


# -- templates ---------------------------------------------------------------------------------


def _override(tmp_path: Path, monkeypatch, slug: str, edit) -> Path:
    folder = tmp_path / slug
    folder.mkdir()
    shutil.copy(BUILTIN_DIR / slug / "profile.json", folder / "profile.json")
    parts = pkg.read_parts(DEFAULT_TEMPLATE)
    edit(parts)
    (folder / "template.docx").write_bytes(pkg.write_zip(parts))
    monkeypatch.setenv("PEP_DOCS_AUTHORITIES", str(tmp_path))
    return folder


def test_an_authority_template_is_found_before_the_default(tmp_path, monkeypatch):
    def retitle(parts):
        xml = parts["word/document.xml"].decode()
        parts["word/document.xml"] = xml.replace(">Personal Education Plan<", ">Our PEP<").encode()

    folder = _override(tmp_path, monkeypatch, "peterborough", retitle)
    profile = load_profile("peterborough")
    assert profile.folder == folder
    data = render_docx(prepare(authority="peterborough", phase="post_16"))
    first = next(_part(data, "word/document.xml").iter(f"{{{W}}}p"))
    assert "".join(t.text for t in first.iter(f"{{{W}}}t")) == "Our PEP"
    assert "peterborough" in available()


def test_a_template_cannot_reach_python_internals(tmp_path, monkeypatch):
    def attack(parts):
        xml = parts["word/header1.xml"].decode()
        parts["word/header1.xml"] = xml.replace(
            "{{ virtual_school }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}"
        ).encode()

    _override(tmp_path, monkeypatch, "stockton-on-tees", attack)
    profile = load_profile("stockton-on-tees")
    with pytest.raises(TemplateError) as caught:
        DocxRenderer(profile, "school_age").render(
            prepare(authority="stockton-on-tees", phase="school_age")
        )
    assert "unsafe" in caught.value.message
    assert caught.value.where.endswith("template.docx")


def test_a_template_without_the_body_slot_is_refused(tmp_path, monkeypatch):
    def drop_slot(parts):
        xml = parts["word/document.xml"].decode()
        parts["word/document.xml"] = xml.replace("{{p form_body }}", "").encode()

    _override(tmp_path, monkeypatch, "central-bedfordshire", drop_slot)
    with pytest.raises(TemplateError) as caught:
        DocxRenderer(load_profile("central-bedfordshire"), "early_years")
    assert caught.value.message == "the template has no '{{p form_body }}' paragraph"
