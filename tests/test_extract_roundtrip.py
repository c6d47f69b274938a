"""Returned forms read back into PEP data: render every fixture, read it back, compare exactly.

Path 1 (.docx with content controls intact) and path 4 (fillable PDF) must give every field
exactly; path 2 (.docx opened and saved by a real LibreOffice) is made inside the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pep_docs.errors import FormReadError
from pep_docs.extractors import extract
from pep_docs.forms import prepare
from pep_docs.render import render
from tests.conftest import PEPS, fixture_peps, load
from tests.exactness import Tally, checked, differences
from tests.test_cli_schema import run

FIXTURES = fixture_peps()


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("forms")
    made = {}
    for path in FIXTURES:
        spec = prepare(data=load(path))
        for fmt in ("docx", "pdf"):
            target = out / f"{path.stem}.{fmt}"
            target.write_bytes(render(spec, fmt))
            made[(path.stem, fmt)] = target
    return made


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_every_field_comes_back_exactly(forms, path, fmt):
    result = extract(forms[(path.stem, fmt)])
    doc = load(path)
    assert differences(doc, result.data) == {}
    assert result.warnings == [] and result.unmapped == []
    assert result.form["matches_data"] is True
    assert (result.form["authority"], result.form["child_id"]) == (
        doc["authority"],
        doc["child_id"],
    )
    how = {"docx": "content-control", "pdf": "acroform"}[fmt]
    assert {f["how"] for f in result.fields.values()} == {how}


@pytest.fixture(scope="module")
def libreoffice_saved(forms, tmp_path_factory) -> dict[str, Path]:
    """Word forms opened and saved again by a real LibreOffice (one batch call)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is installed by scripts/install-system-packages.sh"
    out = tmp_path_factory.mktemp("libreoffice")
    chosen = [p for p in FIXTURES if p.stem.endswith(("hard-name", "ehcp", "post-16-neet"))]
    profile = tmp_path_factory.mktemp("lo-profile")
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "docx:MS Word 2007 XML", "--outdir", str(out),
         *[str(forms[(p.stem, "docx")]) for p in chosen]],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return {p.stem: out / f"{p.stem}.docx" for p in chosen}


def test_libreoffice_drops_the_tags_and_pep_docs_still_reads_every_value(libreoffice_saved):
    assert len(libreoffice_saved) == 12
    tally = Tally()
    for stem, saved in libreoffice_saved.items():
        result = extract(saved)
        assert b"w:tag " not in saved.read_bytes()  # the round trip really dropped them
        tally.add(load(PEPS / f"{stem}.json"), result, stem)
        assert {f["how"] for f in result.fields.values()} == {"data-binding"}, stem
    assert (tally.exact, tally.missed) == (tally.total, {}), tally


def test_check_gives_the_same_result_on_json_docx_and_pdf(forms):
    stem = "cb-weak-late-return"
    outputs = checked(PEPS / f"{stem}.json", forms[(stem, "docx")], forms[(stem, "pdf")])
    assert outputs[0]["rating"] == "Satisfactory"
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


def test_extract_cli_writes_json_and_refuses_what_is_not_a_form(forms, tmp_path):
    out = tmp_path / "read.json"
    result = run("extract", str(forms[("pb-post-16", "pdf")]), "-o", str(out))
    assert result.returncode == 0
    assert result.stdout.endswith("fields read, 0 warnings, 0 unmapped\n")
    assert set(json.loads(out.read_text())) == {
        "data",
        "form",
        "fields",
        "warnings",
        "unmapped",
        "source",
    }
    text = tmp_path / "notes.pdf"
    text.write_text("hello")
    result = run("extract", str(text))
    assert (result.returncode, result.stderr) == (
        2,
        f"error: {text}: this is neither a Word document (.docx) nor a PDF (send the completed "
        "PEP form as .docx or .pdf)\n",
    )


def test_a_scanned_pdf_is_recognised_as_such(tmp_path):
    from PIL import Image

    scan = tmp_path / "scan.pdf"
    Image.new("RGB", (600, 800), "white").save(scan, "PDF")
    with pytest.raises(FormReadError) as err:
        extract(scan)
    assert str(err.value) == (
        f"{scan}: this PDF is a scanned image with no text, so it cannot be read automatically "
        "(ask the school for the Word or fillable PDF form, or enter it by hand)"
    )


def test_a_form_made_without_a_term_is_read_back():
    spec = prepare(data={"authority": "peterborough", "phase": "school_age", "child_id": "SYN-1"})
    for fmt in ("docx", "pdf"):
        result = extract(render(spec, fmt), where=f"blank.{fmt}")
        assert (result.form["term"], result.form["child_id"], result.warnings) == ("", "SYN-1", [])
