"""Next term's PEP, prepopulated from this term's returned one.

What carries over is decided by the schema: inside the nodes marked `"x-qa": {"carry": true}`
(child, social care, contacts, setting...) every field the schema marks `prepopulated` keeps its
value; this term's targets become next term's previous targets to review; the meeting moves to
the agreed next meeting; everything else is left for people to fill in again.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from pep_docs.errors import DocumentError
from pep_docs.profiles import Profile, load_profile
from pep_docs.qa.fields import load_qa_fields
from pep_docs.schema import Field, Group, PepModel, Table, get_pointer, load_model, set_pointer

SEASONS = ("spring", "summer", "autumn")


def following_term(term: str) -> str:
    """`2026-autumn` -> `2027-spring`; `2027-spring` -> `2027-summer`; `2027-summer` -> `2027-autumn`."""
    try:
        year_text, season = term.split("-")
        year, index = int(year_text), SEASONS.index(season)
    except ValueError:
        raise DocumentError(f"the term {term!r} is not like 2026-autumn", pointer="/term") from None
    if index == len(SEASONS) - 1:
        return f"{year + 1}-{SEASONS[0]}"
    return f"{year}-{SEASONS[index + 1]}"


def _next_term(term: Any, profile: Profile | None, meeting: date | None) -> str:
    if profile is not None and meeting is not None:
        # The profile's own term dates know which term the agreed meeting falls in.
        for t in profile.terms():
            if t.start <= meeting <= t.end and t.term != term:
                return t.term
    if not isinstance(term, str):
        raise DocumentError(
            "the PEP has no term to move on from", pointer=load_qa_fields().pointer("term")
        )
    return following_term(term)


def _carry(model: PepModel, source: Any, node: Any, out: dict[str, Any]) -> None:
    """Copy the prepopulated values under `node` from `source` into `out`."""
    if isinstance(node, Field):
        value = get_pointer(source, node.pointer)
        if node.prepopulated and value is not None:
            set_pointer(out, node.pointer, copy.deepcopy(value))
    elif isinstance(node, Group):
        for child in node.children:
            _carry(model, source, child, out)
    elif isinstance(node, Table):
        rows = get_pointer(source, node.pointer)
        if node.prepopulated and isinstance(rows, list) and rows:
            set_pointer(out, node.pointer, copy.deepcopy(rows))


def _advance_year(model: PepModel, pointer: str, value: Any) -> Any:
    node = model.node(pointer)
    values = [v for v, _ in node.choices] if isinstance(node, Field) else []
    if value in values and values.index(value) + 1 < len(values):
        return values[values.index(value) + 1]
    return value


def next_term(document: Mapping[str, Any], *, model: PepModel | None = None) -> dict[str, Any]:
    """Next term's prepopulated PEP from this term's returned one."""
    model = model or load_model()
    fields = load_qa_fields(model)
    authority = get_pointer(document, fields.pointer("authority"))
    profile = load_profile(authority) if isinstance(authority, str) else None
    out: dict[str, Any] = {}
    for pointer in fields.carry:
        _carry(model, document, model.node(pointer), out)

    meeting_pointer, next_pointer = fields.pointer("meeting"), fields.pointer("next_meeting")
    next_meeting = get_pointer(document, next_pointer)
    next_date = None
    if isinstance(next_meeting, Mapping):
        for name, value in next_meeting.items():
            target = f"{meeting_pointer}/{name}"
            if model.has(target) and value not in (None, ""):
                set_pointer(out, target, copy.deepcopy(value))
        try:
            next_date = date.fromisoformat(
                str(get_pointer(document, fields.pointer("next_meeting.date")))
            )
        except ValueError:
            next_date = None
    type_pointer = fields.pointer("meeting.type")
    this_type = get_pointer(document, type_pointer)
    if this_type is not None:
        changes = fields.next_term_values("meeting.type")
        set_pointer(out, type_pointer, changes.get(this_type, this_type))

    old_term = get_pointer(document, fields.pointer("term"))
    new_term = _next_term(old_term, profile, next_date)
    set_pointer(out, fields.pointer("term"), new_term)
    if isinstance(old_term, str) and old_term.endswith("-summer") and new_term.endswith("-autumn"):
        year_pointer = fields.pointer("year_group")
        year = get_pointer(out, year_pointer)
        if year is not None:
            set_pointer(out, year_pointer, _advance_year(model, year_pointer, year))

    # This term's targets are next term's previous targets, to review.
    source, target = fields.pointer("targets"), fields.pointer("previous_targets")
    table = model.node(target)
    carried = [c.name for c in table.columns if c.prepopulated] if isinstance(table, Table) else []
    previous = []
    for row in get_pointer(document, source) or []:
        if isinstance(row, Mapping):
            item = {name: row[name] for name in carried if row.get(name) not in (None, "")}
            if item:
                previous.append(item)
    set_pointer(out, target, previous)
    return out
