"""Every fixture PEP gets exactly the QA result written beside it (rating and criteria not met)."""

from __future__ import annotations

import pytest

from pep_docs.qa.check import check_document
from pep_docs.qa.documents import load_document
from tests.conftest import PEPS, expected, fixture_peps, load


@pytest.mark.parametrize("path", fixture_peps(), ids=lambda p: p.stem)
def test_fixture_gets_its_expected_rating_and_criteria_not_met(path):
    result = check_document(load_document(path), file=str(path))
    want = expected(path)["qa"]
    assert {"rating": result.rating, "not_met": result.not_met} == want
    assert result.schema_problems == ()


@pytest.mark.parametrize("name", ["invalid-values", "invalid-missing"])
def test_invalid_fixture_reports_every_schema_problem_and_is_still_rated(name):
    path = PEPS / "invalid" / f"{name}.json"
    result = check_document(load_document(path)).to_dict()
    assert result["schema_problems"] == [
        {k: p[k] for k in ("pointer", "label", "message")}
        for p in load(path.with_name(f"{name}.expected.json"))["problems"]
    ]
    assert result["valid"] is False
    assert result["rating"] in result["levels"]


def test_a_strong_pep_meets_every_criterion_that_applies_with_evidence():
    result = check_document(load_document(PEPS / "cb-school-age-ehcp.json"))
    assert result.rating == "Good"
    assert result.rating_reason == "Every criterion that applies is met."
    assert all(c.outcome.evidence for c in result.criteria if c.result == "met")
