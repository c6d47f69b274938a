"""The fillable PDF form, checked with the tools people and the reader use: qpdf, poppler, pypdf,
pdfium. Every fixture PEP is rendered once (module scope) and every check runs over all of them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from pep_docs.errors import TemplateError
from pep_docs.forms import PROTECTIVE_MARKING, FormSpec, prepare
from pep_docs.profiles import available, load_profile
from pep_docs.render.pdf import PdfRenderer, render_pdf
from pep_docs.schema import PHASES, Field, iter_values, load_model, pattern_pointer
from tests.conftest import fixture_peps, load

GENERATED_AT = "2026-09-01T09:00:00+00:00"
SAMPLE_NAMES = (
    "Łukasz Wiśniewski",
    "Nguyễn",
    "Thị Minh",
    "Ștefan",
    "Zoë O'Brien",
    "O'Brien & <Co>",
)


@dataclass
class Rendered:
    """One rendered form and what the external tools say about it (each tool run once)."""

    name: str
    spec: FormSpec
    path: Path
    flat: Path
    check: subprocess.CompletedProcess[str] | None = None
    info: str = ""
    flat_text: str = ""  # pdftotext -raw of the flattened form

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(self.path)

    @cached_property
    def fields(self) -> dict:
        return self.reader.get_fields() or {}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def _examine(r: Rendered) -> Rendered:
    done = _run("qpdf", "--flatten-annotations=all", str(r.path), str(r.flat))
    assert done.returncode == 0, done.stderr
    r.check = _run("qpdf", "--check", str(r.path))
    r.info = _run("pdfinfo", str(r.path)).stdout
    r.flat_text = _run("pdftotext", "-raw", str(r.flat), "-").stdout
    return r


def _render_all(specs: list[tuple[str, FormSpec]], folder: Path) -> list[Rendered]:
    todo = []
    for name, spec in specs:
        path = folder / f"{name}.pdf"
        path.write_bytes(render_pdf(spec))
        todo.append(Rendered(name, spec, path, folder / f"{name}.flat.pdf"))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(_examine, todo))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Rendered]:
    specs = []
    for i, path in enumerate(fixture_peps()):
        form_id = f"0b6a0000-0000-4000-8000-{i:012d}"
        specs.append(
            (path.stem, prepare(data=load(path), form_id=form_id, generated_at=GENERATED_AT))
        )
    return _render_all(specs, tmp_path_factory.mktemp("pdf"))


@pytest.fixture(scope="module")
def blanks(tmp_path_factory: pytest.TempPathFactory) -> list[Rendered]:
    specs = [
        (
            f"{authority}-{phase}",
            prepare(authority=authority, phase=phase, generated_at=GENERATED_AT),
        )
        for authority in available()
        for phase in PHASES
    ]
    return _render_all(specs, tmp_path_factory.mktemp("blank"))


def _all(rendered: list[Rendered], blanks: list[Rendered]) -> list[Rendered]:
    return rendered + blanks


def _normal(text: str) -> str:
    return " ".join(text.split())


def test_every_fixture_is_rendered(rendered: list[Rendered]) -> None:
    assert [r.name for r in rendered] == [p.stem for p in fixture_peps()]
    assert len(rendered) == 52


def test_qpdf_check_is_clean(rendered: list[Rendered], blanks: list[Rendered]) -> None:
    for r in _all(rendered, blanks):
        done = r.check
        assert done is not None and done.returncode == 0, (r.name, done.stdout, done.stderr)
        assert "No syntax or stream encoding errors found" in done.stdout, r.name
        assert "WARNING" not in done.stdout + done.stderr, r.name


def test_pdfinfo_reports_a_tagged_acroform_with_the_title(rendered, blanks) -> None:
    for r in _all(rendered, blanks):
        info = r.info
        assert re.search(r"^Form:\s+AcroForm$", info, re.M), r.name
        assert re.search(r"^Tagged:\s+yes$", info, re.M), r.name
        assert re.search(r"^JavaScript:\s+no$", info, re.M), r.name
        assert re.search(rf"^Title:\s+{re.escape(r.spec.title)}$", info, re.M), r.name


def test_every_field_is_a_schema_pointer_with_a_tooltip(rendered, blanks) -> None:
    model = load_model()
    for r in _all(rendered, blanks):
        fields = r.fields
        assert fields, r.name
        for name, f in fields.items():
            assert name.startswith("/") and model.has(name), (r.name, name)
            assert f.get("/TU"), (r.name, name)
            assert "." not in name, name


def test_every_field_of_the_phase_is_on_the_form_with_the_table_rows(rendered, blanks) -> None:
    model = load_model()
    for r in _all(rendered, blanks):
        spec = r.spec
        names = list(r.fields)
        assert len(names) == len(set(names)), r.name
        counts: dict[str, int] = {}
        for name in names:
            counts[pattern_pointer(name)] = counts.get(pattern_pointer(name), 0) + 1
        expected: dict[str, int] = {}
        for node in model.walk(spec.phase):
            if isinstance(node, Field):
                expected.setdefault(node.pointer, 1)
        for node in model.walk(spec.phase):
            if hasattr(node, "columns"):
                for column in node.columns:
                    if spec.shows(column):
                        expected[column.pointer] = spec.row_count(node)
        assert counts == expected, r.name


def _expected_value(spec: FormSpec, pointer: str, value: object) -> object:
    """The documented mapping: text as stored, choice values (`true` or `false` for a yes/no
    question), dd/mm/yyyy dates."""
    field = spec.model.node(pointer)
    assert isinstance(field, Field)
    if field.widget in ("date", "number"):
        return spec.display(field, pointer)
    if field.type == "boolean":
        return {True: "true", False: "false"}[value]
    return str(value)


def test_pypdf_reads_back_every_prepopulated_value_exactly(rendered: list[Rendered]) -> None:
    for r in rendered:
        fields = r.fields
        expected = {p: _expected_value(r.spec, p, v) for p, v in iter_values(r.spec.data)}
        got = {name: f.get("/V") for name, f in fields.items() if f.get("/V") is not None}
        assert got == expected, r.name


def test_blank_forms_have_no_values(rendered: list[Rendered], blanks: list[Rendered]) -> None:
    assert len(blanks) == len(available()) * len(PHASES)
    for r in blanks:
        assert all(f.get("/V") is None for f in r.fields.values()), r.name
        # Layouts are cached across children: nothing of another child may stay in one.
        for name in SAMPLE_NAMES:
            assert name not in r.flat_text, (r.name, name)


def test_values_beyond_latin1_and_markup_are_stored_and_shown(rendered: list[Rendered]) -> None:
    hard = [r for r in rendered if r.name.endswith("hard-name")]
    assert len(hard) == 4
    for r in hard:
        fields = r.fields
        name = f"{r.spec.data['child']['first_name']} {r.spec.data['child']['last_name']}"
        assert f"{fields['/child/first_name']['/V']} {fields['/child/last_name']['/V']}" == name
        text = r.flat_text
        assert name in text, r.name
        assert "O'Brien & <Co>" in text, r.name
    shown = " ".join(r.flat_text for r in hard)
    for sample in SAMPLE_NAMES:
        assert sample in shown, sample


def test_flattened_text_shows_every_prepopulated_value(rendered: list[Rendered]) -> None:
    for r in rendered:
        text = _normal(r.flat_text)
        for pointer, _ in iter_values(r.spec.data):
            field = r.spec.model.node(pointer)
            if field.hidden:
                continue  # hidden identity fields: in the metadata
            shown = _normal(r.spec.display(field, pointer))
            assert shown in text, (r.name, pointer, shown)


def test_a_value_longer_than_its_box_is_stored_whole(tmp_path: Path) -> None:
    venue = (
        "Room 4, " + "the long corridor beyond the library and the sports hall, " * 4 + "Oakridge"
    )
    views = ("A very long answer that goes on. " * 120).strip()
    data = {
        "authority": "stockton-on-tees",
        "phase": "school_age",
        "meeting": {"venue": venue},
        "child_views": {"going_well": views},
    }
    spec = prepare(
        data=data, form_id="0b6a0000-0000-4000-8000-00000000abcd", generated_at=GENERATED_AT
    )
    (r,) = _render_all([("long", spec)], tmp_path)
    fields = r.fields
    assert fields["/meeting/venue"]["/V"] == venue
    assert fields["/child_views/going_well"]["/V"] == views
    assert _normal(views) in _normal(r.flat_text)


def test_yes_no_questions_are_combo_boxes_that_print_yes_or_no(rendered: list[Rendered]) -> None:
    """A boolean is a Yes / No choice, not a check box: on paper a No shows, an empty box is
    unanswered (an unticked box would look the same as an unanswered one). That the label is
    drawn is `test_flattened_text_shows_every_prepopulated_value`."""
    seen: dict[object, set[str]] = {}
    for r in rendered:
        for page in r.reader.pages:
            for ref in page.get("/Annots", []):
                annot = ref.get_object()
                assert annot.get("/FT") != "/Btn"
                field = r.spec.model.node(annot["/T"])
                if field.type != "boolean":
                    continue
                assert annot["/FT"] == "/Ch"
                assert [list(o) for o in annot["/Opt"]] == [["true", "Yes"], ["false", "No"]]
                seen.setdefault(annot.get("/V"), set()).add(str(annot["/T"]))
    assert set(seen) == {"true", "false", None}


def test_choices_export_enum_values_and_show_labels(rendered: list[Rendered]) -> None:
    r = rendered[0]
    reader = r.reader
    combos = [
        a.get_object()
        for page in reader.pages
        for a in page.get("/Annots", [])
        if a.get_object().get("/FT") == "/Ch"
    ]
    assert combos
    for annot in combos:
        field = r.spec.model.node(annot["/T"])
        assert [list(o) for o in annot["/Opt"]] == [[v, label] for v, label in field.choices]
        assert annot["/Ff"] & (1 << 17)


def test_identity_is_in_the_metadata(rendered: list[Rendered], blanks) -> None:
    for r in _all(rendered, blanks):
        reader = r.reader
        identity = json.loads(reader.metadata["/PepDocsIdentity"])
        assert identity == r.spec.identity.to_dict(), r.name
        assert reader.metadata.title == r.spec.title
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
        assert f"<pepid:form_id>{r.spec.identity.form_id}</pepid:form_id>" in xmp
        assert f"<pepid:data_digest>{r.spec.identity.data_digest}</pepid:data_digest>" in xmp


def test_every_page_prints_form_id_page_number_and_marking(rendered, blanks) -> None:
    for r in _all(rendered, blanks):
        pages = r.flat_text.split("\f")[:-1]
        assert len(pages) >= 8, r.name
        for i, page in enumerate(pages, start=1):
            assert re.search(rf"^Form ID {r.spec.identity.form_id}\b", page, re.M), (r.name, i)
            assert f"Page {i} of {len(pages)}" in page, (r.name, i)
            assert page.count(PROTECTIVE_MARKING) == 2, (r.name, i)
            if r.spec.child_name:
                assert r.spec.child_name in page, (r.name, i)


def test_tagged_structure_reaches_every_visible_widget(rendered: list[Rendered]) -> None:
    for r in rendered[:: len(rendered) // 4]:
        reader = r.reader
        root = reader.trailer["/Root"]
        assert bool(root["/MarkInfo"]["/Marked"])
        assert root["/Lang"] == "en-GB"
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
        assert "/NeedAppearances" not in root["/AcroForm"]
        widgets = set()
        for page in reader.pages:
            assert page["/Tabs"] == "/S"
            for a in page.get("/Annots", []):
                if not a.get_object()["/F"] & 2:
                    widgets.add(a.idnum)
        reached, roles = set(), set()
        stack = [root["/StructTreeRoot"]["/K"][0].get_object()]
        while stack:
            elem = stack.pop()
            roles.add(elem["/S"])
            kids = elem.get("/K", [])
            for kid in kids if isinstance(kids, list) else [kids]:
                if isinstance(kid, IndirectObject):
                    stack.append(kid.get_object())
                elif kid.get("/Type") == "/OBJR":
                    assert elem["/S"] == "/Form"
                    reached.add(kid.raw_get("/Obj").idnum)
        assert reached == widgets, r.name
        assert {
            "/Document",
            "/Sect",
            "/H1",
            "/H2",
            "/P",
            "/Form",
            "/Table",
            "/TR",
            "/TH",
            "/TD",
        } <= roles


def test_pdfium_draws_every_prefilled_field(rendered: list[Rendered]) -> None:
    scale = 0.75
    for r in rendered:
        reader = r.reader
        boxes: dict[int, list[tuple[str, list[float]]]] = {}
        for index, page in enumerate(reader.pages):
            for a in page.get("/Annots", []):
                annot = a.get_object()
                if annot.get("/V") not in (None, "/Off") and not annot["/F"] & 2:
                    boxes.setdefault(index, []).append(
                        (annot["/T"], [float(v) for v in annot["/Rect"]])
                    )
        pdf = pdfium.PdfDocument(r.path)
        pdf.init_forms()
        try:
            for index in range(len(pdf)):
                page = pdf[index]
                image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("L")
                height = page.get_height()
                for pointer, (x1, y1, x2, y2) in boxes.get(index, []):
                    inner = (x1 + 2, height - y2 + 2, x2 - 2, height - y1 - 2)
                    crop = image.crop(tuple(round(v * scale) for v in inner))
                    dark = sum(crop.histogram()[:140])
                    assert dark > 0, (r.name, index + 1, pointer)
        finally:
            pdf.close()


def test_bulk_renderer_and_render_pdf_give_the_same_bytes(rendered: list[Rendered]) -> None:
    r = rendered[1]
    renderer = PdfRenderer(load_profile(r.spec.profile.slug), r.spec.phase)
    assert renderer.render(r.spec) == r.path.read_bytes()
    assert renderer.render(r.spec) == render_pdf(r.spec)


def test_a_renderer_refuses_another_phase(rendered: list[Rendered]) -> None:
    r = rendered[0]
    other = next(p for p in PHASES if p != r.spec.phase)
    with pytest.raises(TemplateError, match=f"not {r.spec.profile.slug} {r.spec.phase}"):
        PdfRenderer(r.spec.profile, other).render(r.spec)
