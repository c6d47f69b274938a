"""The SMART check: for one target, which of the five letters fail and why.

Each letter is one rule a person can state in a sentence (they are in `RULES` and in
docs/qa.md), so a Designated Teacher told "not measurable" knows exactly what to add. The rules
read the words people write in targets; they do not pretend to understand them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pep_docs.qa.answers import answer_problem, words

RULES: dict[str, tuple[str, str]] = {
    "S": (
        "specific",
        "Once vague aims such as 'improve behaviour', 'try harder' or 'be more confident' are "
        "set aside, the target still names in at least 4 words of its own what the child will "
        "do (a subject, skill or behaviour).",
    ),
    "M": (
        "measurable",
        "The target or its success measure gives a number, a level or grade, a frequency, or a "
        "record someone can check (a log, register, test, assessment or form).",
    ),
    "A": (
        "achievable",
        "The staff actions say who will do what: a role such as teacher, teaching assistant, "
        "mentor or adviser, in at least 5 words.",
    ),
    "R": (
        "relevant",
        "The target's area is one the PEP records evidence of need for (for example reading age "
        "or subject attainment for literacy, the SDQ or emotional wellbeing for wellbeing).",
    ),
    "T": (
        "time-bound",
        "The target has a 'by when' date after the meeting and no later than the next PEP "
        "meeting (or within 6 months when no next meeting is set).",
    ),
}

MIN_OWN_WORDS = 4
MIN_ACTION_WORDS = 5
NO_NEXT_MEETING_LIMIT = timedelta(days=183)

VAGUE_AIMS = re.compile(
    r"\b(?:"
    r"(?:try|work|trying|working)\s+(?:harder|hard|more|better)"
    r"|(?:be|become|feel|being|becoming)\s+(?:more\s+|less\s+)?"
    r"(?:confident|positive|focused|focussed|happy|happier|good|better|engaged|motivated|settled|"
    r"calm|calmer|independent|resilient|organised)"
    r"|more\s+(?:confident|positive|focused|engaged|motivated|settled|independent)"
    r"|improve[sd]?\s+(?:(?:his|her|their|the\s+child's)\s+)?"
    r"(?:behaviou?r|attitude|confidence|focus|engagement|concentration|effort|work|progress)"
    r"|(?:gain|build|grow|develop)s?\s+(?:(?:his|her|their)\s+)?(?:confidence|self-esteem)"
    r"|behaviou?r\s+(?:gets?|is|will\s+be)\s+better|behave\s+(?:better|well)"
    r"|(?:do|doing|get|getting)\s+better|make\s+(?:good\s+|more\s+|better\s+)?progress"
    r"|(?:engage|concentrate|focus|listen|participate)\s+more"
    r")\b",
    re.IGNORECASE,
)

STOPWORDS = frozenset(
    """a an the and or but if of in on at to for with from by as into onto than then so that this
    these those it its he she they him her his hers them their theirs i me my we our you your
    is are was were be been being will would can could should may might must shall do does did
    has have had not no more most less very just also too all any some""".split()
)

NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty hundred once twice half double"
).split()
FREQUENCY = r"daily|weekly|fortnightly|monthly|termly|every|each|per|a\s+(?:day|week|term|month)"
LEVELS = (
    r"grade|level|band|stage|standard|age[- ]related|exs|wts|gds|percent|score[sd]?|%|"
    r"out\s+of|reading\s+age"
)
RECORDS = (
    r"log|register|record(?:ed|s)?|tracker|tracking|test|assessment|assessed|certificate|"
    r"report|form|observ(?:ed|ation|ations)|checklist|chart|portfolio|minutes"
)
MEASURES = re.compile(
    r"\d|\b(?:" + "|".join(NUMBER_WORDS) + "|" + FREQUENCY + "|" + LEVELS + "|" + RECORDS + r")\b",
    re.IGNORECASE,
)

# Who can carry an action out. The roles of the PEP schema (designated teacher, social worker,
# carer, Virtual School...) are added by the caller from the schema's labels.
ROLE_WORDS = (
    "teacher", "teaching assistant", "assistant", "ta", "tas", "mentor", "adviser", "advisor",
    "key person", "key worker", "keyworker", "senco", "tutor", "officer", "coach", "therapist",
    "psychologist", "counsellor", "nurse", "practitioner", "head", "headteacher", "leader",
    "lead", "coordinator", "co-ordinator", "worker", "instructor", "lecturer", "manager",
    "librarian",
)  # fmt: skip


@dataclass(frozen=True)
class Letter:
    """One letter of SMART for one target: met or not, and why."""

    letter: str
    name: str
    met: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"letter": self.letter, "name": self.name, "met": self.met, "reason": self.reason}


@dataclass(frozen=True)
class SmartResult:
    """The SMART check of one target."""

    index: int
    pointer: str
    label: str
    area: str | None
    area_label: str | None
    text: str
    letters: tuple[Letter, ...]

    @property
    def smart(self) -> bool:
        return all(letter.met for letter in self.letters)

    @property
    def failed(self) -> str:
        return "".join(letter.letter for letter in self.letters if not letter.met)

    def summary(self) -> str:
        if self.smart:
            return "SMART"
        return "not SMART: " + "; ".join(
            f"{lt.letter} ({lt.name}): {lt.reason}" for lt in self.letters if not lt.met
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "pointer": self.pointer,
            "label": self.label,
            "area": self.area,
            "area_label": self.area_label,
            "target": self.text,
            "smart": self.smart,
            "failed": self.failed,
            "letters": [letter.to_dict() for letter in self.letters],
        }


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


def specific(text: str) -> Letter:
    name = RULES["S"][0]
    if not text.strip():
        return Letter("S", name, False, "the target is empty")
    aims = [m.group(0).lower() for m in VAGUE_AIMS.finditer(text)]
    rest = VAGUE_AIMS.sub(" ", text)
    own = [w for w in words(rest) if w.lower() not in STOPWORDS]
    if len(own) >= MIN_OWN_WORDS:
        return Letter("S", name, True, f"names {len(own)} words of its own")
    vague = f" beyond the vague aim {', '.join(repr(a) for a in aims)}" if aims else ""
    return Letter(
        "S",
        name,
        False,
        f"{_quote(text)} names {len(own)} word{'s' if len(own) != 1 else ''} of its own{vague} "
        f"(at least {MIN_OWN_WORDS}); say which subject, skill or behaviour",
    )


def measurable(text: str, measure: str) -> Letter:
    name = RULES["M"][0]
    found: list[str] = []
    for m in MEASURES.finditer(f"{text}\n{measure}"):
        # Report whole tokens ("15", "weekly"), not the single characters the regex matched.
        start = m.start()
        whole = re.match(r"[\w%:.-]+", f"{text}\n{measure}"[start:])
        token = (whole.group(0) if whole else m.group(0)).strip(".").lower()
        if token and token not in found:
            found.append(token)
    if found:
        return Letter("M", name, True, "measured by " + ", ".join(repr(t) for t in found[:3]))
    where = _quote(measure) if measure.strip() else "no success measure"
    return Letter(
        "M",
        name,
        False,
        f"neither the target nor the success measure ({where}) gives a number, level, grade, "
        "frequency or a record to check",
    )


def achievable(actions: str, roles: tuple[str, ...]) -> Letter:
    name = RULES["A"][0]
    problem = answer_problem(actions or None)
    if problem:
        return Letter("A", name, False, f"the staff actions {problem}; say who will do what")
    lowered = f" {' '.join(w.lower() for w in words(actions))} "
    named = [r for r in roles if f" {r} " in lowered or f" {r}s " in lowered]
    n = len(words(actions))
    if named and n >= MIN_ACTION_WORDS:
        return Letter("A", name, True, f"actions by {named[0]}")
    why = []
    if not named:
        why.append("name no role (such as teacher, teaching assistant, mentor or adviser)")
    if n < MIN_ACTION_WORDS:
        why.append(f"have {n} word{'s' if n != 1 else ''} (at least {MIN_ACTION_WORDS})")
    return Letter("A", name, False, f"the staff actions {_quote(actions)} " + " and ".join(why))


def relevant(area: str | None, area_label: str | None, evidence: list[str] | None) -> Letter:
    """`evidence` is the labels of the PEP's answers that show a need in the area (None when
    the area has no known evidence fields)."""
    name = RULES["R"][0]
    if not area:
        return Letter("R", name, False, "no area of need is chosen for the target")
    if evidence:
        return Letter("R", name, True, f"{area_label} need shown in {evidence[0]}")
    return Letter(
        "R", name, False, f"the PEP records no evidence of a {area_label} need for it to address"
    )


def _as_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def time_bound(by_when: Any, meeting: date | None, next_review: date | None) -> Letter:
    name = RULES["T"][0]
    when = _as_date(by_when)
    if by_when in (None, ""):
        return Letter("T", name, False, "there is no 'by when' date")
    if when is None:
        return Letter("T", name, False, f"'by when' is not a date: {by_when!r}")
    if meeting is not None and when <= meeting:
        return Letter("T", name, False, f"'by when' {when:%d/%m/%Y} is not after the meeting")
    if next_review is not None and when > next_review:
        return Letter(
            "T",
            name,
            False,
            f"'by when' {when:%d/%m/%Y} is after the next PEP meeting ({next_review:%d/%m/%Y})",
        )
    if next_review is None and meeting is not None and when > meeting + NO_NEXT_MEETING_LIMIT:
        return Letter("T", name, False, f"'by when' {when:%d/%m/%Y} is over 6 months away")
    return Letter("T", name, True, f"by {when:%d/%m/%Y}")


def check_target(
    target: Mapping[str, Any],
    *,
    index: int,
    pointer: str,
    label: str,
    parts: Mapping[str, str],
    area_label: Callable[[str], str],
    need_evidence: Callable[[str], list[str] | None],
    roles: tuple[str, ...],
    meeting: date | None,
    next_review: date | None,
) -> SmartResult:
    """The five letters for one target. `parts` maps each part (area, text, measure, by_when,
    actions) to the key of its column, from the schema's `target.*` x-qa roles."""

    def text(part: str) -> str:
        value = target.get(parts[part])
        return value if isinstance(value, str) else ""

    area = target.get(parts["area"])
    area = area if isinstance(area, str) and area else None
    a_label = area_label(area) if area else None
    letters = (
        specific(text("text")),
        measurable(text("text"), text("measure")),
        achievable(text("actions"), roles),
        relevant(area, a_label, need_evidence(area) if area else None),
        time_bound(target.get(parts["by_when"]), meeting, next_review),
    )
    return SmartResult(index, pointer, label, area, a_label, text("text"), letters)
