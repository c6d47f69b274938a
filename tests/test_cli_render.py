"""`pep-docs render` as a person runs it."""

from __future__ import annotations

import json
import zipfile

from tests.conftest import PEPS
from tests.test_cli_schema import run


def test_render_a_prepopulated_docx_and_pdf(tmp_path):
    data = PEPS / "pb-school-age-hard-name.json"
    for suffix, magic in (("docx", b"PK\x03\x04"), ("pdf", b"%PDF-")):
        out = tmp_path / f"form.{suffix}"
        result = run("render", "--data", str(data), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{out}  (form ")
        assert result.stdout.rstrip().endswith("Peterborough City Council, school_age)")
        assert out.read_bytes().startswith(magic)
    with zipfile.ZipFile(tmp_path / "form.docx") as docx:
        assert "Zoë" in docx.read("word/document.xml").decode("utf-8")


def test_render_a_blank_form(tmp_path):
    out = tmp_path / "blank.pdf"
    result = run("render", "--authority", "stockton-on-tees", "--phase", "post_16", "-o", str(out))
    assert result.returncode == 0 and out.read_bytes().startswith(b"%PDF-")


def test_render_needs_data_or_authority_and_phase(tmp_path):
    result = run("render", "-o", str(tmp_path / "x.docx"))
    assert result.returncode == 2
    assert "give --data PEP.json, or --authority and --phase for a blank form" in result.stderr


def test_render_refuses_wrong_prepopulation_data_and_says_where(tmp_path):
    data = tmp_path / "wrong.json"
    data.write_text(json.dumps({"authority": "peterborough", "phase": "school_age",
                                "attendance": {"term_percent": 140}}))  # fmt: skip
    result = run("render", "--data", str(data), "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 2
    assert result.stderr == (
        "error: the prepopulation data has 1 problem(s): Attendance and exclusions: "
        "'Attendance this term' should be at most 100, not 140 (correct the data and render "
        "again)\n"
    )
    assert not (tmp_path / "x.pdf").exists()
