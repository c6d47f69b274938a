"""The synthetic fixtures: valid (or invalid exactly as expected), varied, and hard where needed."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from openpyxl import load_workbook

from pep_docs.profiles import available
from pep_docs.schema import PHASES, iter_values
from pep_docs.synthetic import cohort_row_pointers
from pep_docs.validate import validate
from tests.conftest import FIXTURES, PEPS, expected, fixture_peps, load


def test_at_least_40_peps_across_every_authority_and_phase():
    docs = [load(p) for p in fixture_peps()]
    assert len(docs) == 52
    assert Counter((d["authority"], d["phase"]) for d in docs).keys() == {
        (a, p) for a in available() for p in PHASES
    }


@pytest.mark.parametrize("path", fixture_peps(), ids=lambda p: p.stem)
def test_fixture_is_valid_and_has_its_expected_outcome(path):
    assert validate(load(path)) == []
    outcome = expected(path)
    assert outcome["valid"] is True and outcome["qa"]["rating"] and "note" in outcome


@pytest.mark.parametrize(
    "path", sorted((PEPS / "invalid").glob("*[!d].json")), ids=lambda p: p.stem
)
def test_invalid_fixture_gives_exactly_its_expected_problems(path):
    problems = [
        {"pointer": p.pointer, "label": p.label, "message": p.message} for p in validate(load(path))
    ]
    assert problems == expected(path)["problems"]
    assert problems  # never an empty expectation


def test_invalid_values_are_said_in_the_words_of_the_form():
    messages = [p.message for p in validate(load(PEPS / "invalid" / "invalid-values.json"))]
    assert messages == [
        "PEP meeting: 'Date of meeting' is not a valid date: '2026-11-31'",
        "PEP meeting, Attendees, row 2: 'Attendance' is not one of the choices "
        "(Present, Apologies, Views sent): 'late'",
        "Attendance and exclusions: 'Attendance this term' should be at most 100, not 104",
        "Child's views: 'What is going well?' is empty",
        "About the child: 'nickname' is not a field of this PEP",
    ]


def test_peterborough_problems_use_its_section_names():
    doc = load(PEPS / "pb-post-16.json")
    doc["child_views"]["going_well"] = ""
    assert [p.message for p in validate(doc)] == [
        "Section C: Child's views: 'What is going well?' is empty"
    ]


def test_partial_documents_check_only_what_is_there():
    assert (
        validate({"authority": "peterborough", "child": {"first_name": "Ava"}}, partial=True) == []
    )
    problems = validate({"attendance": {"term_percent": "92%"}}, partial=True)
    assert [p.message for p in problems] == [
        "Attendance and exclusions: 'Attendance this term' should be a number, not '92%'"
    ]


def _all_text(doc: dict) -> str:
    return "\n".join(str(v) for _, v in iter_values(doc))


def test_hard_cases_are_present():
    docs = {p.stem: load(p) for p in fixture_peps()}
    text = "\n".join(_all_text(d) for d in docs.values())
    for needle in ("Łukasz", "Wiśniewski", "Nguyễn", "Ștefan", "Zoë", "O'Brien & <Co>", "&"):
        assert needle in text, needle
    long_views = [d["child_views"]["going_well"] for d in docs.values()]
    assert max(len(v) for v in long_views) > 2000 and "\n\n" in max(long_views, key=len)
    assert any(d["send"]["status"] == "ehcp" for d in docs.values())
    assert any(d["education_setting"].get("eet_status") == "neet" for d in docs.values())
    assert any(len(d["previous_targets"]) > 4 for d in docs.values())
    assert any(d["education_setting"].get("start_date") == "2026-10-12" for d in docs.values())
    assert any("parent_views" not in d for d in docs.values())
    weak = [n for n in docs if "-weak-" in n]
    assert len(weak) == 12


def _cell(value: object) -> str:
    """A cell as text, with 96 and 96.0 the same number (Excel keeps no difference)."""
    if value is None:
        return ""
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def test_cohort_file_in_csv_and_xlsx_holds_the_same_rows_with_schema_derived_columns():
    with open(FIXTURES / "cohort.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    headers = [p[1:].replace("/", ".") for p in cohort_row_pointers()]
    assert rows[0] == headers
    assert len(rows) == 41
    sheet = load_workbook(FIXTURES / "cohort.xlsx", read_only=True).active
    xlsx = [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert [[_cell(c) for c in row] for row in rows] == xlsx
    assert len({r[headers.index("education_setting.name")] for r in rows[1:]}) >= 4
    assert json.dumps(rows, ensure_ascii=False).count("Łukasz") >= 1
