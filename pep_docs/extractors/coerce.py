"""Turning what a person typed into the value the schema asks for.

People write UK dates many ways (12/03/2026, 12.3.26, 12 March 2026, 12th Mar 2026), numbers
with units ("92%", "£150"), ticks as ☒, X or Yes, and choices by label or value in any case.
Each coercion either gives the typed value or keeps the text as typed with a warning: a value is
never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from dateutil import parser as dateparser

from pep_docs.schema import Field

TRUE_WORDS = {"☒", "☑", "✓", "✔", "x", "yes", "y", "true", "ticked", "1", "on"}
FALSE_WORDS = {"☐", "", "no", "n", "false", "unticked", "0", "off"}
_SPACES = re.compile(r"\s+")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.I)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[£$]?\s*(-?\d{1,3}(?:,\d{3})+|-?\d+)(\.\d+)?\s*(%|pounds?|p)?$", re.I)
# Day, month name, year: the way most dates are typed, read in 1 µs rather than dateutil's 20-50.
# Years from 1000 only: dateutil reads "0001" as 2001. A test compares the two on every day,
# month name and a spread of years.
_WRITTEN_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]+) ([1-9]\d{3})$")
_MONTHS = dateparser.parserinfo()  # dateutil's own month names and abbreviations
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.I)


@dataclass(frozen=True)
class Coerced:
    """A value read for a field, and a warning when it had to be kept as typed."""

    value: Any
    warning: str | None = None


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def coerce_date(text: str) -> date | None:
    text = _norm(text)
    if _ISO_DATE.match(text):
        return date.fromisoformat(text)
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        day, month, year = (int(g) for g in numeric.groups())
        year += 2000 if year < 100 else 0
        try:
            return date(year, month, day)
        except ValueError:
            return None
    text = _ORDINAL.sub("", text)
    # A default day would invent one for "March 2026": require a day and a year to be written.
    if not re.search(r"\b\d{1,2}\b.*\b\d{4}\b|\b\d{4}\b.*\b\d{1,2}\b", text):
        return None
    written = _WRITTEN_DATE.match(text)
    month = _MONTHS.month(written.group(2)) if written else None
    if month is not None:  # "12 March 2026": what dateutil gives, without its tokeniser
        try:
            return date(int(written.group(3)), month, int(written.group(1)))
        except ValueError:
            return None
    try:
        # dayfirst: 03/04/2026 is 3 April in England.
        return dateparser.parse(text, dayfirst=True, fuzzy=False).date()
    except (ValueError, OverflowError):
        return None


def coerce(field: Field, raw: str) -> Coerced:
    """The schema-typed value of what was typed for `field`."""
    text = _norm(raw) if field.widget != "paragraph" else raw.strip()
    if field.widget == "date":
        parsed = coerce_date(text)
        if parsed is None:
            return Coerced(text, f"'{text}' is not a date this form can read; kept as typed")
        return Coerced(parsed.isoformat())
    if field.widget == "time":
        match = _TIME.match(text.replace(" ", "") if len(text) < 10 else text)
        if match:
            hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
            if half and half.lower() == "pm" and hour < 12:
                hour += 12
            if half and half.lower() == "am" and hour == 12:
                hour = 0
            if hour < 24 and minute < 60:
                return Coerced(f"{hour:02d}:{minute:02d}")
        return Coerced(text, f"'{text}' is not a time such as 14:30; kept as typed")
    if field.type in ("number", "integer"):
        match = _NUMBER.match(text)
        if match:
            number = float(match.group(1).replace(",", "") + (match.group(2) or ""))
            if field.type == "integer" and number.is_integer():
                return Coerced(int(number))
            if field.type == "number":
                return Coerced(int(number) if number.is_integer() else number)
        return Coerced(text, f"'{text}' is not a number; kept as typed")
    if field.type == "boolean":
        word = text.lower().rstrip(".")
        if word in TRUE_WORDS:
            return Coerced(True)
        if word in FALSE_WORDS:
            return Coerced(False)
        return Coerced(text, f"'{text}' is neither ticked nor unticked; kept as typed")
    if field.choices:
        wanted = _choice_key(text)
        index = _choice_index(field)
        if wanted in index:
            return Coerced(index[wanted])
        return Coerced(text, f"'{text}' is not one of the choices; kept as typed")
    return Coerced(text)


@lru_cache(maxsize=1 << 12)
def _choice_index(field: Field) -> dict[str, str]:
    """A field's choices by the comparable key of their value and of their label: the first
    choice with that key, as a look down the list in order would find it."""
    index: dict[str, str] = {}
    for value, label in field.choices:
        index.setdefault(_choice_key(value), value)
        index.setdefault(_choice_key(label), value)
    return index


@lru_cache(maxsize=1 << 14)  # the same labels and values, form after form
def _choice_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()
