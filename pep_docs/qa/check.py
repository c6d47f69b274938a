"""Checking one PEP: schema problems, every QA criterion with its evidence, SMART, the rating.

`check_document` returns a `CheckResult`; its `to_dict` is the documented JSON shape of
`pep-docs check --format json` (docs/qa.md), and `to_text` / `to_html` say the same for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pep_docs.errors import DocumentError, PepDocsError
from pep_docs.profiles import Profile, load_profile
from pep_docs.qa.fields import load_qa_fields
from pep_docs.qa.pages import render_page
from pep_docs.qa.rating import decide
from pep_docs.qa.rules import NOT_APPLICABLE, NOT_MET, Context, Outcome, require_valid_criteria, run
from pep_docs.qa.smart import RULES as SMART_RULES
from pep_docs.qa.smart import SmartResult
from pep_docs.schema import Field, get_pointer
from pep_docs.validate import Problem, validate

SHAPE_VERSION = 1
RESULT_WORDS = {"met": "Met", "not_met": "Not met", "not_applicable": "Not applicable"}


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of the authority, applied to one PEP."""

    id: str
    text: str
    outcome: Outcome
    advice: str
    source: Mapping[str, str]

    @property
    def result(self) -> str:
        return self.outcome.result

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "result": self.result,
            "summary": self.outcome.summary,
            "evidence": [e.to_dict() for e in self.outcome.evidence],
            "advice": self.advice,
            "source": dict(self.source),
        }


@dataclass(frozen=True)
class CheckResult:
    """Everything the checker found about one PEP."""

    file: str | None
    document: Mapping[str, Any] = field(repr=False)
    profile: Profile = field(repr=False)
    schema_problems: tuple[Problem, ...]
    criteria: tuple[CriterionResult, ...]
    smart: tuple[SmartResult, ...]
    rating: str
    rating_reason: str

    @property
    def not_met(self) -> list[str]:
        return [c.id for c in self.criteria if c.result == NOT_MET]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"met": 0, "not_met": 0, "not_applicable": 0}
        for c in self.criteria:
            counts[c.result] += 1
        return counts

    def criterion(self, cid: str) -> CriterionResult:
        return next(c for c in self.criteria if c.id == cid)

    def to_dict(self) -> dict[str, Any]:
        """The JSON output of `pep-docs check` (shape documented in docs/qa.md)."""
        return {
            "shape_version": SHAPE_VERSION,
            "file": self.file,
            "authority": self.profile.slug,
            "authority_name": self.profile.name,
            **self.identity,
            "valid": not self.schema_problems,
            "schema_problems": [
                {"pointer": p.pointer, "label": p.label, "message": p.message}
                for p in self.schema_problems
            ],
            "rating": self.rating,
            "rating_reason": self.rating_reason,
            "levels": self.profile.levels,
            "counts": self.counts,
            "not_met": self.not_met,
            "criteria": [c.to_dict() for c in self.criteria],
            "smart": [s.to_dict() for s in self.smart],
        }

    def to_text(self) -> str:
        ident = self.identity
        lines = [
            f"PEP check: {self.file or ident['child_id'] or 'PEP'}",
            f"{self.profile.name} · child {ident['child_id'] or '?'} · "
            f"{self._phase_label()} · {ident['term'] or '?'}",
            "",
            f"Rating: {self.rating}. {self.rating_reason}",
            "",
        ]
        if self.schema_problems:
            lines.append(f"Form problems ({len(self.schema_problems)}):")
            lines += [f"  - {p.message}" for p in self.schema_problems]
        else:
            lines.append("Form problems: none")
        c = self.counts
        lines += [
            "",
            f"Criteria: {c['met']} met, {c['not_met']} not met, "
            f"{c['not_applicable']} not applicable",
        ]
        width = max((len(r.id) for r in self.criteria), default=0)
        for r in self.criteria:
            mark = {"met": "met    ", "not_met": "NOT MET", "not_applicable": "n/a    "}[r.result]
            lines.append(f"  [{mark}] {r.id.ljust(width)}  {r.text}")
            if r.result != NOT_APPLICABLE or r.outcome.summary:
                lines.append(f"            {' ' * width}  {r.outcome.summary}")
            if r.result == NOT_MET:
                lines.append(f"            {' ' * width}  Advice: {r.advice}")
        if self.smart:
            lines += ["", "SMART targets:"]
            for s in self.smart:
                lines.append(f"  target {s.index + 1}: {'SMART' if s.smart else 'not SMART'}")
                for letter in s.letters:
                    if not letter.met:
                        lines.append(f"    {letter.letter} ({letter.name}): {letter.reason}")
        return "\n".join(lines) + "\n"

    @property
    def identity(self) -> dict[str, Any]:
        """Which PEP this is: child ID, phase and term."""
        fields = load_qa_fields()
        return {
            role: get_pointer(self.document, fields.pointer(role))
            for role in ("child_id", "phase", "term")
        }

    def _phase_label(self) -> str:
        node = load_qa_fields().node("phase")
        value = get_pointer(self.document, node.pointer)
        return node.label_for(value) if isinstance(node, Field) and value else "?"

    def to_html(self) -> str:
        return render_page(
            "check.html.j2",
            result=self,
            data=self.to_dict(),
            words=RESULT_WORDS,
            smart_rules=SMART_RULES,
            colours=self.profile.colours,
            phase_label=self._phase_label(),
        )


def resolve_profile(
    document: Mapping[str, Any], authority: str | None = None, file: str | None = None
) -> Profile:
    """The profile a PEP is checked against: the one named, else the PEP's own authority."""
    slug = authority or document.get("authority")
    if not isinstance(slug, str) or not slug:
        raise DocumentError(
            "the PEP names no authority, so there are no criteria to check it against",
            pointer="/authority",
            where=file,
            hint="add an `authority`, or pass --authority",
        )
    return load_profile(slug)


def check_or_reason(
    document: Mapping[str, Any], *, file: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """`check_document(...).to_dict()`, or None and the reason it could not be checked (a PEP
    of an authority with no profile here, say): what the service keeps for a return."""
    try:
        return check_document(document, file=file).to_dict(), None
    except PepDocsError as exc:
        return None, str(exc)


def check_document(
    document: Mapping[str, Any], *, authority: str | None = None, file: str | None = None
) -> CheckResult:
    """Check a PEP against its authority's QA criteria (and the schema)."""
    profile = resolve_profile(document, authority, file)
    require_valid_criteria(profile)
    problems = tuple(validate(document, section_titles=profile.section_titles))
    ctx = Context(document, profile)
    criteria = tuple(
        CriterionResult(c["id"], c["text"], run(ctx, c), c["advice"], c["source"])
        for c in profile.qa["criteria"]
    )
    not_met = [c.id for c in criteria if c.result == NOT_MET]
    rating, reason = decide(profile.qa["rating"], not_met)
    return CheckResult(
        file=file,
        document=document,
        profile=profile,
        schema_problems=problems,
        criteria=criteria,
        smart=tuple(ctx.smart),
        rating=rating,
        rating_reason=reason,
    )
