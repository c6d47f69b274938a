"""Counting days the way the deadlines count them: school days, working days, calendar days.

Working days are weekdays that are not bank holidays in England and Wales (from the maintained
`holidays` package, so next year's dates need no release of ours). School days are working days
inside one of the authority's terms and outside its closures (half terms, training days), from
the term dates in the authority profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache

import holidays

from pep_docs.profiles import Term

DAY_KINDS = ("school", "working", "calendar")


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; the package lists them under England (ENG).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


class SchoolCalendar:
    """An authority's school days, from its term dates."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = tuple(sorted(terms, key=lambda t: t.start))

    def covers(self, start: date, end: date) -> bool:
        """Whether the term dates reach over the whole span (else school days are unknown)."""
        if not self.terms:
            return False
        low, high = min(start, end), max(start, end)
        return self.terms[0].start <= low and high <= self.terms[-1].end

    def is_school_day(self, day: date) -> bool:
        if not is_working_day(day):
            return False
        for term in self.terms:
            if term.start <= day <= term.end:
                return not any(c_start <= day <= c_end for _, c_start, c_end in term.closures)
        return False

    def term_of(self, day: date) -> Term | None:
        return next((t for t in self.terms if t.start <= day <= t.end), None)

    def counts(self, day: date, kind: str) -> bool:
        if kind == "calendar":
            return True
        if kind == "working":
            return is_working_day(day)
        if kind == "school":
            return self.is_school_day(day)
        raise ValueError(f"unknown kind of day {kind!r}; expected one of {', '.join(DAY_KINDS)}")

    def days_between(self, start: date, end: date, kind: str) -> int:
        """How many days of `kind` after `start`, up to and including `end`.

        Negative when `end` is before `start`: the days from `end` to `start`, counted the same
        way. The day of the meeting itself is day 0, so "within 5 school days" means at most 5.
        """
        if end < start:
            return -self.days_between(end, start, kind)
        n = 0
        day = start + timedelta(days=1)
        while day <= end:
            if self.counts(day, kind):
                n += 1
            day += timedelta(days=1)
        return n
