"""`pep-docs check`, `report` and `next-term` as a person runs them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from pep_docs.qa.check import check_document
from pep_docs.qa.documents import load_document
from pep_docs.qa.next_term import following_term, next_term
from pep_docs.qa.report import build_cohort, write_report
from pep_docs.validate import validate
from tests.conftest import PEPS, fixture_peps, load

COHORT = [str(p) for p in fixture_peps()]
TOP_KEYS = [
    "shape_version", "file", "authority", "authority_name", "child_id", "phase", "term", "valid",
    "schema_problems", "rating", "rating_reason", "levels", "counts", "not_met", "criteria",
    "smart",
]  # fmt: skip


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pep_docs", *args], capture_output=True, text=True, timeout=60
    )


def test_check_json_has_the_documented_shape_and_exits_0_even_when_red():
    result = run("check", str(PEPS / "bf-weak-vague-targets.json"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == TOP_KEYS
    assert (data["rating"], data["not_met"]) == ("Red", ["smart-outcomes"])
    criterion = data["criteria"][0]
    assert list(criterion) == ["id", "text", "result", "summary", "evidence", "advice", "source"]
    assert list(criterion["evidence"][0]) == ["pointer", "label", "text", "note"]
    assert list(data["smart"][0]) == [
        "index", "pointer", "label", "area", "area_label", "target", "smart", "failed", "letters",
    ]  # fmt: skip
    assert [lt["letter"] for lt in data["smart"][0]["letters"]] == ["S", "M", "A", "R", "T"]


def test_check_text_leads_with_the_rating():
    result = run("check", str(PEPS / "cb-weak-late-return.json"))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[3] == (
        "Rating: Satisfactory. 1 criterion not met; not Good: 1 not met (none allowed)."
    )
    assert "Returned 12 school days after the meeting (limit 5)." in result.stdout


def test_check_html_escapes_what_people_typed(tmp_path):
    doc = load(PEPS / "cb-school-age-ehcp.json")
    doc["child_views"]["going_well"] = "<script>alert(1)</script> & I like art and PE the most."
    result = check_document(doc).to_html()
    assert "<script>" not in result
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; I like art" in result
    assert "http" not in result.replace("http://www.w3.org/2000/svg", "")


def test_a_damaged_word_form_is_refused_in_one_line(tmp_path):
    form = tmp_path / "returned.docx"
    form.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    result = run("check", str(form))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {form}: the file is damaged or not a Word document (its zip structure is "
        "broken) (open it in Word and save it again as .docx)\n"
    )


def test_broken_json_names_the_file_and_line(tmp_path):
    bad = tmp_path / "pep.json"
    bad.write_text('{\n  "authority": "peterborough",\n  "phase": \n}')
    result = run("check", str(bad))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {bad}:4: is not valid JSON: Expecting value at line 4, column 1\n"
    )


def test_load_document_refuses_a_damaged_pdf_and_a_json_list(tmp_path):
    from pep_docs.errors import DocumentError, FormReadError

    pdf = tmp_path / "returned.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(FormReadError, match="the PDF is damaged and cannot be read"):
        load_document(pdf)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(DocumentError, match="holds a JSON list, not a PEP"):
        load_document(listed)


@pytest.fixture(scope="module")
def cohort():
    return build_cohort([check_document(load_document(p), file=p) for p in COHORT])


def test_cohort_summaries(cohort):
    summary = cohort.summary()
    assert summary["peps"] == 52
    assert summary["ratings"] == {
        "Green": 30, "Good": 9, "Amber": 4, "Satisfactory": 2, "Red": 5, "Unsatisfactory": 2,
    }  # fmt: skip
    assert cohort.levels[:2] == ["Green", "Good"]
    top = cohort.most_missed()[0]
    assert (top["id"], top["not_met"], top["applicable"]) == ("careers", 1, 3)
    timely = {t["id"]: (t["n"], t["on_time"], t["days"]["max"]) for t in cohort.timeliness()}
    assert timely == {"returned-on-time": (13, 12, 12), "section-a-on-time": (13, 12, 10)}
    assert summary["sdq"]["concern"] == sum(
        1 for p in COHORT if (load_document(p)["wellbeing"].get("sdq_score") or 0) > 17
    )


def test_report_writes_xlsx_csv_and_html(tmp_path, cohort):
    out = tmp_path / "cohort.csv"
    result = run("report", *COHORT, "-o", str(out))
    assert (result.returncode, result.stdout) == (0, f"{out}: 52 PEPs\n")
    write_report(cohort, tmp_path / "cohort.xlsx")
    write_report(cohort, tmp_path / "cohort.html")
    book = load_workbook(tmp_path / "cohort.xlsx")
    assert book.sheetnames == ["Summary", "Ratings", "Criteria", "Timeliness", "PEPs"]
    assert [book["Summary"]["A1"].value, book["Summary"]["A2"].value] == ["Cohort", "Measure"]
    with open(tmp_path / "cohort.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 52
    assert rows[0]["Rating"] == "Green"
    html = (tmp_path / "cohort.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 6
    assert "<script" not in html
    assert "St Aidan &amp; St Hilda" in html


def test_report_lists_unreadable_files_and_goes_on(tmp_path):
    out = tmp_path / "cohort.csv"
    missing = tmp_path / "gone.json"
    result = run("report", COHORT[0], str(missing), "-o", str(out))
    assert result.returncode == 0
    assert result.stdout == f"{out}: 1 PEPs, 1 not read\n"
    assert result.stderr.startswith(f"warning: {missing}: cannot read the file")


def test_report_refuses_an_unknown_format(tmp_path):
    result = run("report", COHORT[0], "-o", str(tmp_path / "cohort.pdf"))
    assert result.returncode == 2
    assert "cannot write a .pdf report" in result.stderr


@pytest.mark.parametrize("path", fixture_peps()[::5], ids=lambda p: p.stem)
def test_next_term_carries_over_and_clears(path):
    this = load(path)
    nxt = next_term(this)
    assert validate(nxt, partial=True) == []
    assert nxt["term"] == "2027-spring"
    assert nxt["meeting"]["date"] == this["meeting"]["next_meeting"]["date"]
    assert nxt["previous_targets"] == [{"target": t["target"]} for t in this["targets"]]
    assert nxt["contacts"] == this["contacts"]
    assert nxt["child"] == this["child"]
    assert "targets" not in nxt and "child_views" not in nxt and "qa" not in nxt
    assert "contextual_information" not in nxt.get("social_care", {})


def test_next_term_cli_and_year_group_moving_up_in_september(tmp_path):
    this = load(PEPS / "cb-school-age-ehcp.json")
    this["term"] = "2027-summer"
    this["meeting"]["type"] = "initial"
    this["meeting"]["next_meeting"]["date"] = "2027-09-23"
    source = tmp_path / "summer.json"
    source.write_text(json.dumps(this))
    out = tmp_path / "autumn.json"
    result = run("next-term", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    nxt = json.loads(out.read_text())
    assert (nxt["term"], nxt["meeting"]["type"]) == ("2027-autumn", "review")
    assert (this["child"]["nc_year"], nxt["child"]["nc_year"]) == ("year_6", "year_7")


def test_following_term():
    assert [following_term(t) for t in ("2026-autumn", "2027-spring", "2027-summer")] == [
        "2027-spring", "2027-summer", "2027-autumn",
    ]  # fmt: skip
