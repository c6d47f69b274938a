"""The SMART check: every well-formed fixture target passes, every vague one fails, and says why."""

from __future__ import annotations

from datetime import date

import pytest

from pep_docs.qa.check import check_document
from pep_docs.qa.smart import achievable, measurable, relevant, specific, time_bound
from tests.conftest import PEPS, fixture_peps, load

STRONG = [p for p in fixture_peps() if "-weak-vague-targets" not in p.name]
VAGUE = [p for p in fixture_peps() if "-weak-vague-targets" in p.name]


@pytest.mark.parametrize("path", STRONG, ids=lambda p: p.stem)
def test_every_target_of_a_well_formed_pep_is_smart(path):
    smart = check_document(load(path)).smart
    assert smart
    assert [(s.index, s.failed) for s in smart] == [(s.index, "") for s in smart]


@pytest.mark.parametrize("path", VAGUE, ids=lambda p: p.stem)
def test_every_vague_target_fails_specific_measurable_and_achievable(path):
    smart = check_document(load(path)).smart
    assert [s.failed for s in smart] == ["SMA"] * len(smart)


def test_the_reasons_name_what_is_missing():
    smart = check_document(load(PEPS / "cb-weak-vague-targets.json")).smart
    reasons = {lt.letter: lt.reason for lt in smart[1].letters if not lt.met}
    assert reasons == {
        "S": "'Try harder in maths.' names 1 word of its own beyond the vague aim 'try harder' "
        "(at least 4); say which subject, skill or behaviour",
        "M": "neither the target nor the success measure ('Teacher is happy.') gives a number, "
        "level, grade, frequency or a record to check",
        "A": "the staff actions 'Support in class.' name no role (such as teacher, teaching "
        "assistant, mentor or adviser) and have 3 words (at least 5)",
    }


@pytest.mark.parametrize(
    "text,met",
    [
        ("Improve behaviour.", False),
        ("Be more confident.", False),
        ("Try harder in maths.", False),
        ("Make good progress in English.", False),
        ("Improve reading fluency to 90 words a minute on year 4 texts.", True),
        ("Ask for help with a hand signal in maths lessons.", True),
    ],
)
def test_specific(text, met):
    assert specific(text).met is met


@pytest.mark.parametrize(
    "text,measure,met",
    [
        ("Read aloud to an adult.", "Reads aloud twice a week.", True),
        ("Join a club.", "Attendance at the club is on the register.", True),
        ("Write longer stories.", "Reaches the expected standard in writing.", True),
        ("Be kinder.", "Everyone is pleased.", False),
        ("Be kinder.", "", False),
    ],
)
def test_measurable(text, measure, met):
    assert measurable(text, measure).met is met


def test_achievable_needs_a_named_role_and_some_detail():
    roles = ("teacher", "mentor", "social worker")
    assert achievable("Class teacher checks the reading log every Friday.", roles).met
    assert not achievable("Support in class.", roles).met
    assert achievable("Mentor helps.", roles).reason.endswith("have 2 words (at least 5)")
    assert achievable("", roles).reason == "the staff actions is empty; say who will do what"


def test_relevant_needs_evidence_of_the_need_in_the_pep():
    assert relevant("numeracy", "Maths and numeracy", ["Progress by subject"]).met
    missing = relevant("careers", "Careers, education and training", [])
    assert (missing.met, missing.reason) == (
        False,
        "the PEP records no evidence of a Careers, education and training need for it to address",
    )
    assert relevant(None, None, None).reason == "no area of need is chosen for the target"


def test_time_bound_is_after_the_meeting_and_by_the_next_one():
    meeting, review = date(2026, 11, 5), date(2027, 2, 4)
    assert time_bound("2027-01-28", meeting, review).met
    assert time_bound("2027-03-01", meeting, review).reason == (
        "'by when' 01/03/2027 is after the next PEP meeting (04/02/2027)"
    )
    assert time_bound("2026-11-05", meeting, review).reason == (
        "'by when' 05/11/2026 is not after the meeting"
    )
    assert time_bound(None, meeting, review).reason == "there is no 'by when' date"
    assert (
        time_bound("2027-06-30", meeting, None).reason
        == "'by when' 30/06/2027 is over 6 months away"
    )


def test_a_target_with_no_evidence_of_need_is_not_relevant():
    doc = load(PEPS / "cb-school-age-ehcp.json")
    del doc["wellbeing"]["emotional_wellbeing"], doc["wellbeing"]["sdq_score"]
    smart = check_document(doc).smart
    assert [s.failed for s in smart] == ["", "", "R", ""]
