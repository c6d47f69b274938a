"""The Virtual School's quality assurance of a return, recorded on the return's page.

The questions are the PEP's own: every field the Virtual School completes after the meeting
(`x-form` `by` `virtual_school`, not prepopulated: the schema's QA section), asked as the schema
types them. The rating is one of the authority's QA levels (its profile). Answers are typed and
checked as a returned form's are (`extractors.coerce`, then `validate`), so a record holds what a
PEP may hold. A new record is suggested from what the service knows (`x-qa` roles): the upload's
date, the officer, today, the rating the criteria gave, and the advice of each criterion not met,
for the officer to change before saving.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pep_docs.db import QaRecord, Return
from pep_docs.errors import SchemaError
from pep_docs.extractors.coerce import coerce
from pep_docs.profiles import load_profile
from pep_docs.qa.fields import load_qa_fields
from pep_docs.schema import Field, get_pointer, load_model, set_pointer
from pep_docs.validate import validate

VIRTUAL_SCHOOL = "virtual_school"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Question:
    """One question of the QA record: its field, the name of its input, and its choices as
    `(value, label)` (the authority's levels for the rating; empty for a typed answer)."""

    field: Field
    name: str
    choices: tuple[tuple[str, str], ...]

    @property
    def input(self) -> str:
        """How the page asks it: `choice`, `date`, `paragraph`, `number` or `line`."""
        if self.choices:
            return "choice"
        return self.field.widget if self.field.widget in ("date", "paragraph", "number") else "line"


def questions(authority: str, phase: str | None) -> list[Question]:
    """The questions the Virtual School answers, in form order, for a PEP of `phase`."""
    model, roles = load_model(), load_qa_fields()
    rating = roles.pointer("qa.rating")
    levels = tuple((level, level) for level in load_profile(authority).levels)
    asked = [
        Question(f, f.name, levels if f.pointer == rating else f.choices)
        for f in model.fields(phase)
        if VIRTUAL_SCHOOL in f.by and not f.prepopulated and not f.hidden
    ]
    # A question is named by its field's name (in the page's form and the API's JSON), so two
    # of one name would answer each other: a schema change that does that must say so.
    names = [q.name for q in asked]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SchemaError(f"two questions of the Virtual School's QA are named {twice[0]!r}",
                          where=model.source, hint="give the fields of its QA different names")  # fmt: skip
    return asked


def assured(
    data: Mapping[str, Any], asked: list[Question], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The PEP as read with the Virtual School's answers in place of the form's: what the
    criteria are checked against once the QA is recorded (a criterion may count from the date
    the Virtual School received the PEP). An answer the record leaves out is left out."""
    document = copy.deepcopy(dict(data))
    for q in asked:
        if q.name in answers:
            set_pointer(document, q.field.pointer, answers[q.name])
        else:
            *parents, key = q.field.pointer.split("/")[1:]
            holder = get_pointer(document, "/" + "/".join(parents)) if parents else document
            if isinstance(holder, dict):
                holder.pop(key, None)
    return document


def shown_answers(asked: list[Question], answers: Mapping[str, Any]) -> dict[str, str]:
    """Answers as the page's inputs hold them: a date as people in England write it
    (27/11/2026: the page asks for dates as text, which are read as a returned form's are,
    rather than with a browser's date picker, which shows a date the way its own language
    does), a yes/no as "true" or "false"."""
    out = {}
    for q in asked:
        value = answers.get(q.name)
        if value is None:
            continue
        if q.choices:
            out[q.name] = q.field.choice_value(value)
        elif q.input == "date" and isinstance(value, str) and _ISO_DATE.fullmatch(value):
            out[q.name] = date.fromisoformat(value).strftime("%d/%m/%Y")
        else:
            out[q.name] = str(value)
    return out


def suggested(asked: list[Question], record: Return, officer: str) -> dict[str, str]:
    """A new record's answers, from what the service knows, for the officer to change."""
    roles = load_qa_fields()
    check = record.check or {}
    # The advice of each criterion not met, a line each: what the school is asked to do.
    advice = [
        c["advice"]
        for c in check.get("criteria", [])
        if c.get("result") == "not_met" and c.get("advice")
    ]
    # What the form itself says comes first (a Virtual School may type its part into the form).
    read = {q.name: value for q in asked
            if (value := get_pointer(record.extraction["data"], q.field.pointer)) is not None}  # fmt: skip
    known = {
        roles.pointer("qa.date_received"): record.uploaded.date().isoformat(),
        roles.pointer("qa.reviewer"): officer,
        roles.pointer("qa.date"): date.today().isoformat(),
        roles.pointer("qa.rating"): check.get("rating") or "",
        roles.pointer("qa.feedback"): "\n".join(advice),
    }
    suggested = {q.name: known[q.field.pointer] for q in asked if known.get(q.field.pointer)}
    return shown_answers(asked, {**suggested, **read})


def read_answers(
    asked: list[Question], form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed answers of a submitted form and the problems by input name (empty when it
    may be saved). An empty input is no answer; a choice must be one of its choices; the rest
    is typed as a returned form's answer is, then checked against the schema."""
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for q in asked:
        # A browser sends a textarea's line breaks as CRLF; a PEP's paragraphs are split by LF.
        raw = (form.get(q.name) or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if not raw:
            continue
        if q.choices:
            if raw not in {value for value, _ in q.choices}:
                labels = ", ".join(label for _, label in q.choices)
                problems[q.name] = f"Choose one of {labels} for '{q.field.title}'"
                continue
        typed = coerce(q.field, raw)
        if typed.warning:
            problems[q.name] = f"'{q.field.title}': {typed.warning.removesuffix('; kept as typed')}"
            continue
        answers[q.name] = typed.value
    document: dict[str, Any] = {}
    by_pointer = {q.field.pointer: q for q in asked}
    for q in asked:
        if q.name in answers:
            set_pointer(document, q.field.pointer, answers[q.name])
    for problem in validate(document, partial=True, section_titles={}):
        q = by_pointer.get(problem.pointer)
        if q is not None and q.name not in problems:
            problems[q.name] = problem.message
            answers.pop(q.name, None)
    return answers, problems


def decision(answers: Mapping[str, Any] | None) -> tuple[str, bool] | None:
    """What the list shows of a QA record: the rating recorded, and whether the school must
    amend the PEP (None when there is no record)."""
    if answers is None:
        return None
    roles = load_qa_fields()
    rating, amend = roles.column("qa.rating"), roles.column("qa.amendments")
    return str(answers.get(rating) or ""), answers.get(amend) is True


def as_typed(value: Any) -> str:
    """An answer sent as JSON, as the page's input would hold it (a yes/no as "true"/"false")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def record_view(record: QaRecord | None, by: str | None) -> dict[str, Any] | None:
    """A QA record as the API and the JSON download give it."""
    if record is None:
        return None
    return {"answers": record.answers, "recorded_by": by,
            "recorded": record.recorded.isoformat(timespec="seconds") + "Z"}  # fmt: skip


def summary(asked: list[Question], answers: Mapping[str, Any]) -> str:
    """The record in a line for the audit log: each answer's title, the long ones by length."""
    parts = []
    for q in asked:
        if q.name in answers:
            value = answers[q.name]
            shown = q.field.label_for(value) if q.field.choices else str(value)
            parts.append(
                f"{q.field.title}: {shown if len(shown) <= 40 else f'{len(shown)} characters'}"
            )
    return "; ".join(parts) or "no answers"
