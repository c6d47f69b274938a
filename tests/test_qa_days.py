"""Deadlines in school, working and calendar days: bank holidays from `holidays`, terms from profiles."""

from __future__ import annotations

from datetime import date

import pytest

from pep_docs.profiles import load_profile
from pep_docs.qa.check import check_document
from pep_docs.qa.days import SchoolCalendar, is_bank_holiday
from tests.conftest import PEPS, load

CB = SchoolCalendar(load_profile("central-bedfordshire").terms())


@pytest.mark.parametrize(
    "start,end,kind,days",
    [
        # Christmas 2026: Boxing Day is a Saturday, so Monday 28 December is its substitute.
        (date(2026, 12, 24), date(2026, 12, 31), "working", 3),
        (date(2026, 12, 24), date(2026, 12, 31), "calendar", 7),
        # Across Central Bedfordshire's autumn half term (26 to 30 October 2026).
        (date(2026, 10, 22), date(2026, 11, 3), "school", 3),
        (date(2026, 10, 22), date(2026, 11, 3), "working", 8),
        # Across the early May bank holiday (Monday 4 May 2026), in term.
        (date(2026, 5, 1), date(2026, 5, 8), "school", 4),
        (date(2026, 5, 1), date(2026, 5, 8), "working", 4),
        # Across the Christmas holiday: the term ends 18 December and starts again 5 January.
        (date(2026, 12, 17), date(2027, 1, 6), "school", 3),
        (date(2026, 12, 17), date(2027, 1, 6), "working", 11),
        # The same day is day 0; backwards counts are negative.
        (date(2026, 11, 5), date(2026, 11, 5), "school", 0),
        (date(2026, 11, 16), date(2026, 11, 5), "school", -7),
    ],
)
def test_days_between(start, end, kind, days):
    assert CB.days_between(start, end, kind) == days


def test_bank_holidays_are_england_and_wales():
    assert is_bank_holiday(date(2026, 8, 31))  # summer bank holiday in England and Wales
    assert not is_bank_holiday(date(2026, 8, 3))  # Scotland's, not ours
    assert not is_bank_holiday(date(2026, 3, 17))  # St Patrick's Day: Northern Ireland only


def _returned(name: str, meeting: str, received: str) -> dict:
    doc = load(PEPS / name)
    doc["meeting"]["date"], doc["qa"]["date_received"] = meeting, received
    return doc


def test_late_return_is_said_in_school_days_with_the_limit():
    result = check_document(_returned("cb-school-age-ehcp.json", "2026-11-05", "2026-11-16"))
    returned = result.criterion("returned-on-time")
    assert (returned.result, returned.outcome.summary) == (
        "not_met",
        "Returned 7 school days after the meeting (limit 5).",
    )
    assert [e.label for e in returned.outcome.evidence] == [
        "PEP meeting: 'Date of meeting'",
        "Quality assurance: 'Date received'",
    ]
    assert [e.text for e in returned.outcome.evidence] == ["05/11/2026", "16/11/2026"]


def test_half_term_does_not_count_against_a_school_but_post_16_counts_working_days():
    school = check_document(_returned("cb-school-age-ehcp.json", "2026-10-22", "2026-10-30"))
    college = check_document(_returned("cb-post-16.json", "2026-10-22", "2026-10-30"))
    assert school.criterion("returned-on-time").outcome.summary == (
        "Returned 1 school day after the meeting (limit 5)."
    )
    assert college.criterion("returned-on-time").outcome.summary == (
        "Returned 6 working days after the meeting (limit 5)."
    )
    assert (school.rating, college.not_met) == ("Good", ["returned-on-time"])


def test_dates_outside_the_profiles_term_dates_fall_back_to_working_days_and_say_so():
    result = check_document(_returned("cb-school-age-ehcp.json", "2024-11-05", "2024-11-08"))
    assert result.criterion("returned-on-time").outcome.summary == (
        "Returned 3 working days after the meeting (limit 5) (the profile has no term dates for "
        "these dates: counted working days)."
    )


def test_a_missing_return_date_is_not_met():
    doc = load(PEPS / "cb-school-age-ehcp.json")
    del doc["qa"]["date_received"]
    outcome = check_document(doc).criterion("returned-on-time").outcome
    assert (outcome.result, outcome.summary) == (
        "not_met",
        "Quality assurance: 'Date received' is empty",
    )


def test_section_a_must_be_before_the_meeting_and_within_14_days():
    doc = load(PEPS / "pb-school-age-ehcp.json")
    meeting = doc["meeting"]["date"]
    assert meeting == "2026-11-06"
    for completed, result, summary in [
        ("2026-10-23", "met", "Section A completed 14 calendar days before the meeting"),
        ("2026-10-22", "not_met", "Section A completed 15 calendar days before the meeting"),
        ("2026-11-06", "met", "Section A completed on the day of the meeting"),
        ("2026-11-08", "not_met", "Section A completed 2 calendar days after the meeting"),
    ]:
        doc["social_care"]["completed_date"] = completed
        outcome = check_document(doc).criterion("section-a-on-time").outcome
        assert (outcome.result, outcome.summary) == (
            result,
            f"{summary} (limit: at most 14 before, never after).",
        )
