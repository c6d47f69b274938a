"""What a generated form is: its identity and what it shows, shared by the Word and PDF renderers.

`prepare()` turns prepopulation data (usually partial) or an authority and phase (a blank form)
into a `FormSpec`: the profile, the phase, the walked schema, the values to print and the form's
identity. The renderers only lay a `FormSpec` out; they decide nothing about content.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pep_docs.errors import DocumentError
from pep_docs.profiles import Profile, load_profile
from pep_docs.schema import (
    PHASES,
    Field,
    Group,
    Node,
    PepModel,
    Section,
    Table,
    get_pointer,
    load_model,
)
from pep_docs.validate import validate

# Namespace of the identity carried by every generated form (custom XML part, PDF metadata).
IDENTITY_NS = "urn:pep-docs:form-identity:1"
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
# The Word form prints its id and version in the body, under the subtitle, and its id in the
# footer ("Form <id>"): a copy pasted without header, footer and data parts still says what it
# is. Readers find them with these two patterns.
PRINTED_FORM_ID = re.compile(r"\bForm ([0-9a-fA-F]{8}-[0-9a-fA-F-]{27})\b")
PRINTED_VERSION = re.compile(r"\bPEP form version (\d+\.\d+\.\d+)\b")


def reference(form_id: str, version: str) -> str:
    """The form's reference line, as the Word form prints it under its subtitle."""
    return f"Form {form_id}  ·  PEP form version {version}"


@dataclass(frozen=True)
class FormIdentity:
    """What a returned form says it is."""

    form_id: str
    schema_id: str
    authority: str
    phase: str
    term: str
    child_id: str
    generated_at: str
    data_digest: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> FormIdentity:
        return cls(**{k: str(values.get(k, "")) for k in cls.__dataclass_fields__})


def data_digest(data: Mapping[str, Any]) -> str:
    """SHA-256 of the prepopulated data in canonical JSON: says whether a return was altered."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SectionView:
    """A section as the form shows it: the authority's own title and the nodes inside."""

    node: Section | Table
    title: str


@dataclass
class FormSpec:
    """Everything a renderer needs for one form."""

    profile: Profile
    phase: str
    model: PepModel
    data: Mapping[str, Any]
    identity: FormIdentity
    _sections: list[SectionView] = field(default_factory=list, repr=False)

    @property
    def child_name(self) -> str:
        return child_name_of(self.data)

    @property
    def title(self) -> str:
        name = self.child_name
        return f"Personal Education Plan: {name}" if name else "Personal Education Plan"

    def sections(self) -> list[SectionView]:
        """The sections this phase shows, titled as the authority names them."""
        if not self._sections:
            for node in self.model.sections:
                if node.phases is None or self.phase in node.phases:
                    title = self.profile.section_title(node.pointer[1:], node.title)
                    self._sections.append(SectionView(node, title))
        return self._sections

    def shows(self, node: Node) -> bool:
        return node.phases is None or self.phase in node.phases

    def children(self, group: Group) -> Iterator[Node]:
        return (c for c in group.children if self.shows(c))

    def value(self, pointer: str) -> Any:
        """The prepopulated value at a concrete pointer, or None."""
        return get_pointer(self.data, pointer)

    def display(self, f: Field, pointer: str) -> str:
        """A value as printed on the form: choice labels (Yes or No for a boolean), dd/mm/yyyy
        dates; '' if none."""
        return display_value(f, self.value(pointer))

    def row_count(self, table: Table) -> int:
        """Rows to print: every prepopulated item plus the empty rows the schema asks for."""
        items = self.value(table.pointer)
        filled = len(items) if isinstance(items, list) else 0
        return max(table.rows, filled + (1 if filled >= table.rows else 0), table.min_items)


def display_value(f: Field, value: Any) -> str:
    if value is None:
        return ""
    if f.widget == "date" and isinstance(value, str) and len(value) == 10:
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    if f.widget == "choice":
        return f.label_for(value)
    if f.type in ("number", "integer") and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def prepare(
    *,
    data: Mapping[str, Any] | None = None,
    authority: str | None = None,
    phase: str | None = None,
    term: str | None = None,
    form_id: str | None = None,
    generated_at: str | None = None,
    check: bool = True,
) -> FormSpec:
    """A `FormSpec` from prepopulation data (authority and phase come from it) or a blank one.

    Data is checked with `validate(partial=True)`: it may leave anything out, but what it has
    must be right, so a wrong value never reaches a school's form. `check=False` skips that
    validation for data the caller has just validated itself (the pack planner validates every
    cohort row; validating again per child would cost about a tenth of a form's time).
    """
    data = dict(data or {})
    authority = data.get("authority", authority)
    phase = data.get("phase", phase)
    if not authority or not phase:
        raise DocumentError(
            "a form needs an authority and a phase",
            hint="give --data with 'authority' and 'phase', or --authority and --phase",
        )
    if phase not in PHASES:
        raise DocumentError(f"unknown phase {phase!r}", hint=f"one of {', '.join(PHASES)}")
    profile = load_profile(authority)
    if data and check:
        problems = validate(data, partial=True, section_titles=profile.section_titles)
        if problems:
            listed = "; ".join(p.message for p in problems[:5])
            more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
            # Each problem's message already says where it is, in the words of the form.
            raise DocumentError(
                f"the prepopulation data has {len(problems)} problem(s): {listed}{more}",
                pointer=problems[0].pointer,
                hint="correct the data and render again",
            )
    model = load_model()
    identity = FormIdentity(
        form_id=form_id or str(uuid.uuid4()),
        schema_id=model.id,
        authority=authority,
        phase=phase,
        term=str(data.get("term", term or "")),
        child_id=str(data.get("child_id", "")),
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0).isoformat(),
        data_digest=data_digest(data),
    )
    return FormSpec(profile=profile, phase=phase, model=model, data=data, identity=identity)


# What the Word form's footer prints in place of the child's name when it has none.
NO_NAME = "Personal Education Plan"


def child_name_of(data: Any) -> str:
    """The child's name as the form prints it: first and last name."""
    child = data.get("child", {}) if isinstance(data, Mapping) else {}
    if not isinstance(child, Mapping):
        return ""
    return " ".join(str(p) for p in (child.get("first_name"), child.get("last_name")) if p)
