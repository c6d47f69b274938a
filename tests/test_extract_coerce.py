"""What people type, turned into what the schema asks for, or kept as typed with a warning."""

from __future__ import annotations

import pytest

from pep_docs.extractors.coerce import coerce
from pep_docs.schema import load_model


def typed(pointer: str, text: str):
    result = coerce(load_model().node(pointer), text)
    return result.value, result.warning


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12/03/2026", "2026-03-12"),
        ("12.3.26", "2026-03-12"),
        ("12 March 2026", "2026-03-12"),
        ("12th Mar 2026", "2026-03-12"),
        ("Tuesday 3 November 2026", "2026-11-03"),
        ("2026-03-12", "2026-03-12"),
        ("03/04/2026", "2026-04-03"),
    ],
)
def test_uk_dates(text, expected):
    assert typed("/meeting/date", text) == (expected, None)


def test_written_dates_read_as_dateutil_reads_them():
    """'12 March 2026' is read without dateutil, to the same date (or none) dateutil gives."""
    from dateutil import parser as dateparser

    from pep_docs.extractors.coerce import coerce_date

    info = dateparser.parserinfo()
    names = [name for spellings in info.MONTHS for name in spellings] + ["SEPT", "march", "Marc"]
    for year in ("2026", "2024", "2100", "1000", "9999", "0001", "0999"):
        for day in [*range(0, 40), "05"]:
            for name in names:
                text = f"{day} {name} {year}"
                try:
                    expected = dateparser.parse(text, dayfirst=True, fuzzy=False).date()
                except (ValueError, OverflowError):
                    expected = None
                assert coerce_date(text) == expected, text


@pytest.mark.parametrize("text", ["March 2026", "31/02/2026", "next week"])
def test_a_date_that_cannot_be_read_is_kept_as_typed(text):
    assert typed("/meeting/date", text) == (
        text,
        f"'{text}' is not a date this form can read; kept as typed",
    )


@pytest.mark.parametrize(
    "pointer,text,expected",
    [
        ("/attendance/term_percent", "92%", 92),
        ("/attendance/term_percent", "92.5", 92.5),
        ("/pupil_premium/request_amount", "£1,250", 1250),
        ("/attendance/sessions_missed", " 4 ", 4),
        ("/attendance/permanent_exclusion", "☒", True),
        ("/attendance/permanent_exclusion", "☐", False),
        ("/attendance/permanent_exclusion", "X", True),
        ("/attendance/permanent_exclusion", "Yes", True),
        ("/attendance/permanent_exclusion", "no", False),
        ("/meeting/attendees/0/attendance", "PRESENT", "present"),
        ("/meeting/attendees/0/attendance", " views  sent ", "views_sent"),
        ("/meeting/attendees/0/attendance", "views_sent", "views_sent"),
        ("/meeting/time", "2pm", "14:00"),
        ("/meeting/time", "9.30", "09:30"),
    ],
)
def test_numbers_ticks_choices_and_times(pointer, text, expected):
    assert typed(pointer, text) == (expected, None)


def test_paragraph_breaks_survive():
    text = "First paragraph.\n\nSecond paragraph."
    assert typed("/child_views/going_well", text) == (text, None)


@pytest.mark.parametrize(
    "pointer,text,warning",
    [
        ("/attendance/term_percent", "ninety", "'ninety' is not a number; kept as typed"),
        (
            "/meeting/attendees/0/attendance",
            "late",
            "'late' is not one of the choices; kept as typed",
        ),
        (
            "/attendance/permanent_exclusion",
            "maybe",
            "'maybe' is neither ticked nor unticked; kept as typed",
        ),
        ("/meeting/time", "25:00", "'25:00' is not a time such as 14:30; kept as typed"),
    ],
)
def test_what_cannot_be_coerced_is_kept_with_a_warning(pointer, text, warning):
    assert typed(pointer, text) == (text, warning)
