"""Validating a PEP document against the schema, with every problem in the words of the form.

jsonschema finds the problems; this module says each one as a person filling in the form would
understand it ("Section C, Child's views: 'What is going well?' is empty"), with the JSON
Pointer beside it for programs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import jsonschema

from pep_docs.schema import Field, PepModel, Table, escape_token, load_model, load_schema


@dataclass(frozen=True)
class Problem:
    """One schema problem: where (pointer and label) and what, in plain English."""

    pointer: str
    label: str
    message: str
    keyword: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _pointer(parts: Iterable[Any]) -> str:
    return "".join(f"/{escape_token(str(p))}" for p in parts)


def _expected(field: Field | None) -> str:
    if field is None:
        return ""
    if field.widget == "date":
        return "a date"
    if field.widget == "time":
        return "a time such as 14:30"
    if field.type == "integer":
        return "a whole number"
    if field.type == "number":
        return "a number"
    if field.type == "boolean":
        return "Yes or No"
    return "text"


def _describe(error: jsonschema.ValidationError, model: PepModel, titles) -> Problem:
    parts = list(error.absolute_path)
    keyword = str(error.validator)
    if keyword == "required":
        # jsonschema reports a missing property at its parent; point at the property itself.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    pointer = _pointer(parts)
    label = model.describe(pointer, titles)
    node = model.node(pointer) if model.has(pointer) else None
    field = node if isinstance(node, Field) else None
    value = error.instance
    v = error.validator_value
    if keyword == "required":
        if isinstance(node, Table):
            text = "has no entries"
        elif node is None or isinstance(node, Field):
            text = "is empty"
        else:
            text = "is missing"
    elif keyword == "minLength":
        text = "is empty"
    elif keyword == "minItems":
        text = f"needs at least {v} {'entry' if v == 1 else 'entries'}"
    elif keyword == "maxItems":
        text = f"has more than {v} entries"
    elif keyword == "maxLength":
        text = f"is too long ({len(value)} characters; at most {v})"
    elif keyword == "enum":
        choices = ", ".join(label for _, label in field.choices) if field else ", ".join(v)
        text = f"is not one of the choices ({choices}): {value!r}"
    elif keyword == "format" and v == "date":
        text = f"is not a valid date: {value!r}"
    elif keyword == "format":
        text = f"is not a valid {v}: {value!r}"
    elif keyword == "pattern":
        hint = field.description if field else ""
        text = f"is not in the expected form: {value!r}" + (f" ({hint})" if hint else "")
    elif keyword == "type":
        text = f"should be {_expected(field) or v}, not {value!r}"
    elif keyword == "minimum":
        text = f"should be at least {v}, not {value!r}"
    elif keyword == "maximum":
        text = f"should be at most {v}, not {value!r}"
    elif keyword in ("additionalProperties", "unevaluatedProperties"):
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        pointer = _pointer([*parts, extra[0]]) if extra else pointer
        label = model.describe(pointer, titles)
        more = f" (nor are {', '.join(repr(e) for e in extra[1:])})" if len(extra) > 1 else ""
        text = f"is not a field of this PEP{more}"
    else:
        text = error.message
    where = label or "The PEP"
    return Problem(pointer=pointer, label=label, message=f"{where} {text}", keyword=keyword)


def _leaves(error: jsonschema.ValidationError) -> Iterable[jsonschema.ValidationError]:
    # allOf/if-then wrap the real problems; report those, not the wrapper.
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def validate(
    document: Any,
    *,
    partial: bool = False,
    section_titles: Mapping[str, str] | None = None,
    model: PepModel | None = None,
) -> list[Problem]:
    """Every problem with a PEP document, in form order.

    `partial=True` accepts a document that leaves fields out (prepopulation data, a form still
    being filled): only the values that are there are checked. `section_titles` are an
    authority's own section names (see `Profile.section_titles`).
    """
    model = model or load_model()
    if section_titles is None and isinstance(document, Mapping):
        section_titles = section_titles_for(document.get("authority"))
    problems = []
    for error in _validator().iter_errors(document):
        for leaf in _leaves(error):
            if partial and leaf.validator in ("required", "minItems"):
                continue
            problems.append(_describe(leaf, model, section_titles or {}))
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        if (p.pointer, p.message) not in seen:
            seen.add((p.pointer, p.message))
            unique.append(p)

    return sorted(unique, key=lambda p: model.rank(p.pointer))


def section_titles_for(slug: Any) -> Mapping[str, str]:
    """An authority's own section names, or none when the slug names no profile."""
    from pep_docs.errors import ProfileError
    from pep_docs.profiles import load_profile

    if not isinstance(slug, str):
        return {}
    try:
        return load_profile(slug).section_titles
    except ProfileError:
        return {}
