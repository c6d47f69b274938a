"""The kinds of QA rule, each a small function registered by name.

An authority profile says which criteria apply, in its own words and with its own thresholds
(`qa.criteria[].rule` = a `kind` plus parameters); the few kinds they share are here. A kind
declares the parameters it takes, so `validate_criteria` can reject a profile with a typo or an
unknown kind when it is loaded, not when a PEP happens to reach the broken criterion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from pep_docs.errors import ProfileError
from pep_docs.profiles import Profile
from pep_docs.qa.answers import answer_problem, is_answered
from pep_docs.qa.days import DAY_KINDS, SchoolCalendar
from pep_docs.qa.fields import QaFields, load_qa_fields
from pep_docs.qa.smart import ROLE_WORDS, SmartResult, check_target
from pep_docs.schema import Field, PepModel, get_pointer, load_model

MET, NOT_MET, NOT_APPLICABLE = "met", "not_met", "not_applicable"
SHOWN_CHARS = 300


def clip(text: str) -> str:
    """Long answers cut for display; the pointer leads to the whole answer."""
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


@dataclass(frozen=True)
class Evidence:
    """What the checker looked at: where (pointer, form label), what it found, what it made of it."""

    pointer: str
    label: str
    text: str
    note: str

    def to_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "label": self.label, "text": self.text, "note": self.note}


@dataclass(frozen=True)
class Outcome:
    """A criterion's result; `value` carries a number the cohort report sums (days, for
    `within_days`)."""

    result: str
    summary: str
    evidence: tuple[Evidence, ...] = ()
    value: Any = None


@dataclass
class Context:
    """One PEP being checked against one authority's profile."""

    document: Mapping[str, Any]
    profile: Profile
    model: PepModel = field(default_factory=load_model)

    @cached_property
    def fields(self) -> QaFields:
        return load_qa_fields(self.model)

    @cached_property
    def calendar(self) -> SchoolCalendar:
        return SchoolCalendar(self.profile.terms())

    def get(self, pointer: str) -> Any:
        return get_pointer(self.document, pointer)

    def label(self, pointer: str) -> str:
        return self.model.describe(pointer, self.profile.section_titles)

    def date(self, pointer: str) -> date | None:
        value = self.get(pointer)
        if not isinstance(value, str):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None

    def items(self, pointer: str) -> list[Any]:
        value = self.get(pointer)
        return value if isinstance(value, list) else []

    def show(self, pointer: str, value: Any) -> str:
        """A value as the form shows it: enum labels, Yes/No, dates as dd/mm/yyyy, cut short."""
        if value is None:
            return ""
        node = self.model.node(pointer) if self.model.has(pointer) else None
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(node, Field) and node.choices and isinstance(value, str):
            return node.label_for(value)
        if isinstance(node, Field) and node.widget == "date" and isinstance(value, str):
            d = self.date(pointer)
            return f"{d:%d/%m/%Y}" if d else value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clip(value if isinstance(value, str) else str(value))

    def is_free_text(self, pointer: str) -> bool:
        """Typed text (not a date, time, number or choice): where words can be counted."""
        node = self.model.node(pointer) if self.model.has(pointer) else None
        if not isinstance(node, Field):
            return True
        return node.widget in ("line", "paragraph") and not node.choices and not node.format

    def problem(self, pointer: str, min_words: int | None = None, must_be_true: bool = False):
        """Why the answer at `pointer` is not substantive, or None."""
        return answer_problem(
            self.get(pointer),
            min_words=min_words,
            must_be_true=must_be_true,
            free_text=self.is_free_text(pointer),
        )

    def evidence(self, pointer: str, note: str) -> Evidence:
        return Evidence(pointer, self.label(pointer), self.show(pointer, self.get(pointer)), note)

    @property
    def phase(self) -> Any:
        return self.get(self.fields.pointer("phase"))

    def age(self) -> int | None:
        born = self.date(self.fields.pointer("date_of_birth"))
        on = self.date(self.fields.pointer("meeting.date"))
        if born is None or on is None:
            return None
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    def role_label(self, role: str) -> str:
        node = self.fields.node("attendee.role")
        return node.label_for(role) if isinstance(node, Field) else role

    @cached_property
    def smart(self) -> list[SmartResult]:
        """The SMART check of every target, in order (shared by every criterion and the output)."""
        array = self.fields.pointer("targets")
        parts = {
            part: self.fields.column(f"target.{part}")
            for part in ("area", "text", "measure", "by_when", "actions")
        }
        role_words = tuple(
            dict.fromkeys([label.lower() for _, label in self._role_choices()] + list(ROLE_WORDS))
        )
        area_node = self.fields.node("target.area")
        results = []
        for i, target in enumerate(self.items(array)):
            if not isinstance(target, Mapping):
                continue
            results.append(
                check_target(
                    target,
                    index=i,
                    pointer=f"{array}/{i}",
                    label=self.label(f"{array}/{i}"),
                    parts=parts,
                    area_label=lambda a, n=area_node: n.label_for(a) if isinstance(n, Field) else a,
                    need_evidence=self._need_evidence,
                    roles=role_words,
                    meeting=self.date(self.fields.pointer("meeting.date")),
                    next_review=self.date(self.fields.pointer("next_meeting.date")),
                )
            )
        return results

    def _role_choices(self) -> tuple[tuple[str, str], ...]:
        node = self.fields.node("attendee.role")
        return node.choices if isinstance(node, Field) else ()

    def _need_evidence(self, area: str) -> list[str] | None:
        pointers = self.fields.needs.get(area)
        if pointers is None:
            return None
        return [self.label(p) for p in pointers if is_answered(self.get(p))]


RuleFunction = Callable[..., Outcome]


@dataclass(frozen=True)
class RuleKind:
    name: str
    function: RuleFunction
    required: frozenset[str]
    optional: frozenset[str]
    pointers: tuple[str, ...]  # parameters holding a pointer or a list of pointers

    @property
    def sentence(self) -> str:
        return " ".join((self.function.__doc__ or "").split("\n\n")[0].split())


RULES: dict[str, RuleKind] = {}


def rule(
    name: str,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    pointers: Sequence[str] = (),
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule kind under the name profiles use in `rule.kind`."""

    def register(function: RuleFunction) -> RuleFunction:
        RULES[name] = RuleKind(
            name, function, frozenset(required), frozenset(optional), tuple(pointers)
        )
        return function

    return register


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


@rule(
    "answered", required=["pointers"], optional=["min_words", "true"], pointers=["pointers", "true"]
)
def answered(
    ctx: Context, pointers: list[str], min_words: int | None = None, true: Sequence[str] = ()
) -> Outcome:
    """Every named field holds a substantive answer: not empty, not a placeholder such as
    'N/A', 'none', 'see above' or 'tbc', at least `min_words` words of text when given, and
    answered Yes for the fields listed in `true`.

    Placeholders are listed in `pep_docs/qa/answers.py`."""
    evidence, problems = [], []
    for pointer in pointers:
        problem = ctx.problem(pointer, min_words, must_be_true=pointer in true)
        evidence.append(ctx.evidence(pointer, problem or "answered"))
        if problem:
            problems.append(f"{ctx.label(pointer)} {problem}")
    if problems:
        return Outcome(NOT_MET, "; ".join(problems), tuple(evidence))
    detail = f" in at least {min_words} words" if min_words else ""
    return Outcome(MET, f"{_plural(len(pointers), 'answer')} given{detail}", tuple(evidence))


@rule(
    "each_answered",
    required=["array", "fields", "min_items"],
    optional=["min_words"],
    pointers=["array"],
)
def each_answered(
    ctx: Context, array: str, fields: list[str], min_items: int, min_words: int | None = None
) -> Outcome:
    """The table has at least `min_items` rows and every row answers every one of `fields`
    (substantively, as for `answered`)."""
    rows = ctx.items(array)
    evidence, problems = [], []
    if len(rows) < min_items:
        problems.append(
            f"{ctx.label(array)} has {_plural(len(rows), 'entry', 'entries')} (at least {min_items} needed)"
        )
        evidence.append(Evidence(array, ctx.label(array), "", problems[-1]))
    for i, _ in enumerate(rows):
        for name in fields:
            pointer = f"{array}/{i}/{name}"
            problem = ctx.problem(pointer, min_words)
            evidence.append(ctx.evidence(pointer, problem or "answered"))
            if problem:
                problems.append(f"{ctx.label(pointer)} {problem}")
    if problems:
        return Outcome(NOT_MET, "; ".join(problems), tuple(evidence))
    return Outcome(MET, f"{_plural(len(rows), 'entry', 'entries')}, each complete", tuple(evidence))


@rule("min_items", required=["pointer", "min"], optional=["fields"], pointers=["pointer"])
def min_items(ctx: Context, pointer: str, min: int, fields: Sequence[str] = ()) -> Outcome:  # noqa: A002
    """The table has at least `min` rows, counting only rows that answer every one of `fields`
    when fields are given."""
    rows = ctx.items(pointer)
    evidence, complete = [], 0
    for i, row in enumerate(rows):
        missing = [name for name in fields if ctx.problem(f"{pointer}/{i}/{name}")]
        shown = (
            ", ".join(
                ctx.show(f"{pointer}/{i}/{k}", v) for k, v in row.items() if v not in (None, "")
            )
            if isinstance(row, Mapping)
            else ""
        )
        if missing:
            labels = ", ".join(f"'{ctx.model.node(f'{pointer}/*/{m}').title}'" for m in missing)
            evidence.append(
                Evidence(f"{pointer}/{i}", ctx.label(f"{pointer}/{i}"), shown, f"missing {labels}")
            )
        else:
            complete += 1
            evidence.append(
                Evidence(f"{pointer}/{i}", ctx.label(f"{pointer}/{i}"), shown, "complete")
            )
    what = "complete " if fields else ""
    summary = f"{ctx.label(pointer)} has {_plural(complete, what + 'entry', what + 'entries')} (at least {min} needed)"
    if not rows:
        evidence.append(Evidence(pointer, ctx.label(pointer), "", "no entries"))
    return Outcome(MET if complete >= min else NOT_MET, summary, tuple(evidence))


@rule("smart_targets", required=["min"], optional=["mix"])
def smart_targets(
    ctx: Context, min: int, mix: Mapping[str, Sequence[str]] | None = None
) -> Outcome:  # noqa: A002
    """At least `min` targets pass all five letters of the SMART check; with `mix`, the SMART
    targets include at least one target from each named group of areas (academic and
    wellbeing)."""
    results = ctx.smart
    smart = [r for r in results if r.smart]
    evidence = tuple(
        Evidence(
            f"{r.pointer}/{ctx.fields.column('target.text')}", r.label, clip(r.text), r.summary()
        )
        for r in results
    )
    problems = []
    if len(smart) < min:
        failing = ", ".join(
            f"target {r.index + 1} fails {r.failed}" for r in results if not r.smart
        )
        problems.append(
            f"{len(smart)} of {_plural(len(results), 'target')} SMART (at least {min} needed)"
            + (f": {failing}" if failing else "")
        )
    for group, areas in (mix or {}).items():
        if not any(r.area in areas for r in smart):
            problems.append(f"no SMART {group} target")
    if problems:
        return Outcome(NOT_MET, "; ".join(problems), evidence)
    areas = ", ".join(dict.fromkeys(r.area_label or "no area" for r in smart))
    return Outcome(
        MET, f"{len(smart)} of {_plural(len(results), 'target')} SMART ({areas})", evidence
    )


@rule(
    "within_days",
    required=["from", "to", "deadline"],
    optional=["order", "event", "anchor"],
    pointers=["from", "to"],
)
def within_days(
    ctx: Context,
    deadline: str,
    order: str = "after",
    event: str | None = None,
    anchor: str | None = None,
    **dates: str,
) -> Outcome:
    """The days between two dates, counted in the kind of day the profile's named deadline uses
    (school, working or calendar, optionally per phase), are within its limit: `to` at most N
    days after `from`, or with `order: before`, `from` no later than `to` and at most N days
    before it."""
    start_p, end_p = dates["from"], dates["to"]
    rule_ = ctx.profile.deadlines[deadline]
    limit = int(rule_["days"])
    kind = rule_.get("phases", {}).get(ctx.phase, rule_["kind"])
    start, end = ctx.date(start_p), ctx.date(end_p)
    evidence = (ctx.evidence(start_p, ""), ctx.evidence(end_p, ""))
    if start is None or end is None:
        empty = start_p if start is None else end_p
        value = ctx.get(empty)
        problem = "is empty" if value in (None, "") else f"is not a date: {value!r}"
        return Outcome(NOT_MET, f"{ctx.label(empty)} {problem}", evidence)
    note = ""
    if kind == "school" and not ctx.calendar.covers(start, end):
        kind, note = (
            "working",
            " (the profile has no term dates for these dates: counted working days)",
        )
    n = ctx.calendar.days_between(start, end, kind)
    days = f"{_plural(abs(n), kind + ' day')}"
    if order == "before":
        event = event or ctx.label(start_p)
        anchor = anchor or ctx.label(end_p)
        met = 0 <= n <= limit
        when = "on the day of" if n == 0 else f"{days} {'before' if n > 0 else 'after'}"
        summary = f"{event} {when} {anchor} (limit: at most {limit} before, never after){note}."
    else:
        event = event or ctx.label(end_p)
        anchor = anchor or ctx.label(start_p)
        met = 0 <= n <= limit
        when = "on the day of" if n == 0 else f"{days} {'after' if n > 0 else 'before'}"
        summary = f"{event} {when} {anchor} (limit {limit}){note}."
    evidence = (
        ctx.evidence(start_p, summary),
        ctx.evidence(end_p, summary),
    )
    return Outcome(MET if met else NOT_MET, summary, evidence, value=n)


@rule("attendees", required=["roles", "attendance"])
def attendees(ctx: Context, roles: str | Sequence[str], attendance: Sequence[str]) -> Outcome:
    """Each named role (or every one of the profile's `meeting.mandatory_attendees`) has an
    attendee recorded with one of the allowed kinds of attendance."""
    array = ctx.fields.pointer("attendees")
    name_key, role_key, how_key = (
        ctx.fields.column(f"attendee.{part}") for part in ("name", "role", "attendance")
    )
    wanted = (
        list(ctx.profile.meeting["mandatory_attendees"])
        if roles == "mandatory_attendees"
        else list(roles)
    )
    rows = ctx.items(array)
    attendance_node = ctx.fields.node("attendee.attendance")
    allowed = " or ".join(
        attendance_node.label_for(a) if isinstance(attendance_node, Field) else a
        for a in attendance
    ).lower()
    evidence, problems = [], []
    for role in wanted:
        matches = [
            (i, row)
            for i, row in enumerate(rows)
            if isinstance(row, Mapping) and row.get(role_key) == role
        ]
        ok = [(i, row) for i, row in matches if row.get(how_key) in attendance]
        for i, row in ok or matches:
            how = ctx.show(f"{array}/{i}/{how_key}", row.get(how_key))
            text = f"{row.get(name_key, '')}, {ctx.role_label(role)}: {how}"
            note = "answered" if ok else f"not {allowed}"
            evidence.append(Evidence(f"{array}/{i}", ctx.label(f"{array}/{i}"), text, note))
        if not ok:
            if matches:
                problems.append(f"{ctx.role_label(role)} is not recorded as {allowed}")
            else:
                problems.append(f"no {ctx.role_label(role).lower()} is recorded")
                evidence.append(Evidence(array, ctx.label(array), "", problems[-1]))
    if not wanted:
        return Outcome(MET, "no attendees are mandatory", ())
    if problems:
        return Outcome(NOT_MET, f"{ctx.label(array)}: " + "; ".join(problems), tuple(evidence))
    names = ", ".join(ctx.role_label(r) for r in wanted)
    return Outcome(MET, f"{names} recorded as {allowed}", tuple(evidence))


@rule("ppp_linked")
def ppp_linked(ctx: Context) -> Outcome:
    """A PP+ request is costed and linked to targets: at least one target carries a PP+
    amount, the targets' amounts add up to the amount requested, and the purpose of the
    request is answered."""
    array, amount_name = ctx.fields.pointer("targets"), ctx.fields.column("target.ppp_amount")
    request_p = ctx.fields.pointer("ppp.request_amount")
    purpose_p = ctx.fields.pointer("ppp.request_purpose")
    linked = []
    for i, target in enumerate(ctx.items(array)):
        amount = target.get(amount_name) if isinstance(target, Mapping) else None
        if isinstance(amount, int | float) and not isinstance(amount, bool) and amount > 0:
            linked.append((i, amount))
    total = sum(a for _, a in linked)
    request = ctx.get(request_p)
    purpose_problem = ctx.problem(purpose_p)
    evidence = [
        ctx.evidence(request_p, ""),
        ctx.evidence(purpose_p, purpose_problem or "answered"),
    ]
    evidence += [ctx.evidence(f"{array}/{i}/{amount_name}", "linked") for i, _ in linked]
    problems = []
    if not linked:
        problems.append(f"no target has a {ctx.fields.node('target.ppp_amount').title} amount")
    if not isinstance(request, int | float) or isinstance(request, bool):
        problems.append(f"{ctx.label(request_p)} is empty")
    elif linked and abs(total - request) > 0.005:
        problems.append(
            f"the targets' amounts add up to £{total:,.2f}, not the £{request:,.2f} requested"
        )
    if purpose_problem:
        problems.append(f"{ctx.label(purpose_p)} {purpose_problem}")
    if problems:
        return Outcome(NOT_MET, "; ".join(problems), tuple(evidence))
    targets = ", ".join(str(i + 1) for i, _ in linked)
    return Outcome(
        MET,
        f"£{total:,.2f} requested, linked to target{'s' if len(linked) > 1 else ''} {targets}",
        tuple(evidence),
    )


# -- applies ------------------------------------------------------------------------------------


def applies(ctx: Context, spec: Mapping[str, Any] | None) -> tuple[bool, str]:
    """Whether a criterion applies to this PEP, and why not when it does not."""
    if not spec:
        return True, ""
    if "any" in spec:
        reasons = []
        for sub in spec["any"]:
            ok, why = applies(ctx, sub)
            if ok:
                return True, ""
            reasons.append(why)
        return False, "; ".join(reasons)
    if "age_between" in spec:
        low, high = spec["age_between"]
        age = ctx.age()
        if age is None or low <= age <= high:
            return True, ""
        return False, f"the child is {age} at the meeting (applies from {low} to {high})"
    pointer = spec["pointer"]
    value = ctx.get(pointer)
    if value in spec["in"]:
        return True, ""
    shown = ", ".join(ctx.show(pointer, v) for v in spec["in"])
    found = ctx.show(pointer, value) if value is not None else "empty"
    return False, f"{ctx.label(pointer)} is {found} (applies to {shown})"


# -- checking profiles --------------------------------------------------------------------------


def _applies_problems(spec: Any, model: PepModel, where: str) -> list[str]:
    if not isinstance(spec, Mapping) or len(spec) == 0:
        return [f"{where}: `applies` must be an object"]
    keys = set(spec)
    if keys == {"any"} and isinstance(spec["any"], list) and spec["any"]:
        return [
            p
            for i, sub in enumerate(spec["any"])
            for p in _applies_problems(sub, model, f"{where}/any/{i}")
        ]
    if keys == {"age_between"}:
        pair = spec["age_between"]
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, int) for x in pair):
            return []
        return [f"{where}: `age_between` must be two whole numbers"]
    if keys == {"pointer", "in"}:
        problems = (
            []
            if model.has(spec["pointer"])
            else [f"{where}: {spec['pointer']!r} is not a PEP field"]
        )
        if not isinstance(spec["in"], list):
            problems.append(f"{where}: `in` must be a list")
        return problems
    return [
        f"{where}: `applies` takes {{pointer, in}}, {{age_between}} or {{any}}, not {sorted(keys)}"
    ]


def criterion_problems(profile: Profile, model: PepModel | None = None) -> list[str]:
    """Everything wrong with a profile's QA criteria and rating rules, as `where: what` lines."""
    model = model or load_model()
    qa = profile.qa
    problems: list[str] = []
    ids = [c["id"] for c in qa["criteria"]]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"criterion id {duplicate!r} is used twice")
    for n, criterion in enumerate(qa["criteria"]):
        where = f"/qa/criteria/{n} ({criterion['id']})"
        params = dict(criterion["rule"])
        kind = RULES.get(params.pop("kind"))
        if kind is None:
            known = ", ".join(sorted(RULES))
            problems.append(
                f"{where}: unknown rule kind {criterion['rule']['kind']!r} (known: {known})"
            )
            continue
        missing = sorted(kind.required - set(params))
        unknown = sorted(set(params) - kind.required - kind.optional)
        if missing:
            problems.append(f"{where}: rule {kind.name!r} needs {', '.join(missing)}")
        if unknown:
            problems.append(f"{where}: rule {kind.name!r} does not take {', '.join(unknown)}")
        for name in kind.pointers:
            value = params.get(name)
            for pointer in [value] if isinstance(value, str) else (value or []):
                if not model.has(pointer):
                    problems.append(f"{where}: {pointer!r} is not a PEP field")
        if kind.name == "each_answered" or (kind.name == "min_items" and "fields" in params):
            table = params.get("array") or params.get("pointer")
            for name in params.get("fields", []):
                if not model.has(f"{table}/*/{name}"):
                    problems.append(f"{where}: {table}/*/{name} is not a PEP field")
        if kind.name == "within_days":
            deadline = profile.deadlines.get(params.get("deadline"))
            if deadline is None:
                problems.append(
                    f"{where}: no deadline named {params.get('deadline')!r} in the profile"
                )
            elif deadline["kind"] not in DAY_KINDS:
                problems.append(f"{where}: unknown kind of day {deadline['kind']!r}")
            if params.get("order", "after") not in ("after", "before"):
                problems.append(f"{where}: `order` is 'after' or 'before'")
        if "applies" in criterion:
            problems += _applies_problems(criterion["applies"], model, where)
    levels = list(qa["levels"])
    for n, level in enumerate(qa["rating"]):
        if level["level"] not in levels:
            problems.append(f"/qa/rating/{n}: {level['level']!r} is not one of the levels {levels}")
        for cid in level.get("must_meet", []):
            if cid not in ids:
                problems.append(f"/qa/rating/{n}: must_meet names no criterion {cid!r}")
    if qa["rating"] and set(qa["rating"][-1]) != {"level"}:
        problems.append("/qa/rating: the last level must have no conditions")
    return problems


_CHECKED: set[str] = set()


def require_valid_criteria(profile: Profile) -> None:
    """Raise `ProfileError` (with every problem) if the profile's QA rules cannot be run."""
    key = str(profile.folder)
    if key in _CHECKED:
        return
    problems = criterion_problems(profile)
    if problems:
        raise ProfileError(
            f"{len(problems)} problem(s) in the QA criteria: " + "; ".join(problems),
            where=str(profile.folder / "profile.json"),
            hint="see docs/qa.md for the rule kinds and their parameters",
        )
    _CHECKED.add(key)


def run(ctx: Context, criterion: Mapping[str, Any]) -> Outcome:
    """Apply one criterion to the PEP in `ctx`."""
    ok, why = applies(ctx, criterion.get("applies"))
    if not ok:
        return Outcome(NOT_APPLICABLE, f"Not applicable: {why}.")
    params = dict(criterion["rule"])
    kind = RULES[params.pop("kind")]
    return kind.function(ctx, **params)
