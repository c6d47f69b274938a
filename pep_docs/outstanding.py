"""Returns still to come: which children of a term's packs have no form back yet, by school.

Who was expected comes from the term's finished packs (`Pack.plan`, a `PackPlan`: per child
its id, name, school, phase and form id); what came back, from each read return's form identity
(`extraction["form"]`: form id, child id, authority, term; the PEP's own `term` and `child_id`
when the identity lacks them). Nothing is matched by file name: schools rename files.

How a return is matched, first rule that applies:

1. its form id is a form of a finished pack: it is that pack's child, in that pack's term;
2. otherwise (a form made outside the service's packs, such as by `pep-docs pack` or `pep-docs
   render`, or one whose identity was lost) its child id, within the term the form names, if a
   finished pack of that term has the child and the form is of this authority.

A child is expected once per term however many packs of the term hold them. A re-made pack (a
second cohort file for the same term, say with a corrected school) gives the child a new form
id: a form of either pack counts as the child's return, since a school may fill in whichever it
has; the name, school and phase shown are the newest pack's, as the newer cohort is the one to
chase by. A re-made pack adds to the term's children and never removes one: a child left out
of it (say, no longer in care) is still expected, since the first pack's form was sent.

A return matched to a child of one term is that term's, and listed there only. Every other
return is listed, so none is lost, with exactly one term: a read form naming a term with packs
whose child is in none of them, with that term; a read form naming a term without packs (or no
term), and a file that could not be read, with the term whose "window" it was uploaded in
(from the term's first finished pack to the next term's first). A form of another term's pack
uploaded in a term's window, for a child this term expects too, is noted at that child (a
school that sent last term's form again thinks it has returned this one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pep_docs.cohort import read_cohort
from pep_docs.db import DONE, FAILED, QUEUED, RUNNING, Pack, Return
from pep_docs.errors import PepDocsError
from pep_docs.schema import Field, get_pointer, load_model

NO_SCHOOL = "No setting recorded"
BY_FORM_ID, BY_CHILD_ID = "form id", "child id"


@dataclass(frozen=True)
class ReturnRef:
    """A return as this list shows it: no extraction, only its identity and outcome."""

    id: str
    file: str
    uploaded: datetime
    status: str
    rating: str | None
    child_name: str | None
    form_id: str
    child_id: str
    term: str
    authority: str
    error: str | None = None
    matched_by: str | None = None


@dataclass
class ExpectedChild:
    """A child a term's packs made a form for, and the returns that are theirs."""

    child_id: str
    child_name: str
    school: str
    phase: str
    sort_key: tuple[str, ...]
    form_ids: list[str] = field(default_factory=list)
    returns: list[ReturnRef] = field(default_factory=list)
    # Forms of this child for another term, uploaded while this term was the latest: a school
    # that sent last term's form again thinks it has returned this one.
    other_terms: list[Unmatched] = field(default_factory=list)

    @property
    def returned(self) -> bool:
        return bool(self.returns)


@dataclass(frozen=True)
class Unmatched:
    """A return listed with a term that is no return of its children, and why."""

    ret: ReturnRef
    reason: str
    # The term it is a return of (a form of another term's pack, noted at a child), if any.
    counted_for: str | None = None


@dataclass(frozen=True)
class SchoolGroup:
    school: str
    children: list[ExpectedChild]

    @property
    def still_to_come(self) -> list[ExpectedChild]:
        return [c for c in self.children if not c.returned]

    @property
    def returned(self) -> list[ExpectedChild]:
        return [c for c in self.children if c.returned]


@dataclass(frozen=True)
class PackRef:
    id: str
    cohort_name: str
    created: datetime
    children: int
    # The cohort file as the service stored it (in its uploads folder).
    cohort_stored: str = ""


@dataclass
class Outstanding:
    """A term's expected children, each returned or still to come, and what matched none."""

    authority: str
    term: str
    packs: list[PackRef]
    children: list[ExpectedChild]
    unmatched: list[Unmatched]
    # Returns in the term's window not read yet: the list may change when they are.
    reading: int = 0
    # Each child's designated teacher, by child id, when `add_contacts` has read them.
    contacts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return len(self.children)

    @property
    def returned(self) -> int:
        return sum(c.returned for c in self.children)

    @property
    def still_to_come(self) -> int:
        return self.expected - self.returned

    def schools(self) -> list[SchoolGroup]:
        """Schools with children still to come first, then those with every form back; each
        by name, children by last name, first name and id (as the packs' folders are)."""
        groups: dict[str, list[ExpectedChild]] = {}
        names: dict[str, str] = {}
        for child in sorted(self.children, key=lambda c: c.sort_key):
            key = child.sort_key[0]
            groups.setdefault(key, []).append(child)
            names.setdefault(key, child.school or NO_SCHOOL)
        out = [SchoolGroup(names[k], groups[k]) for k in groups]
        return sorted(out, key=lambda g: (not g.still_to_come, g.children[0].sort_key[0]))

    def to_dict(self, return_url: Callable[[str], str] | None = None) -> dict[str, Any]:
        """Plain JSON for the API; `return_url(id)` gives each return's address."""

        def ref(r: ReturnRef) -> dict[str, Any]:
            out = {"id": r.id, "url": return_url(r.id) if return_url else None, "file": r.file,
                   "uploaded": r.uploaded.isoformat(timespec="seconds"), "status": r.status,
                   "rating": r.rating, "child_name": r.child_name, "child_id": r.child_id or None,
                   "form_id": r.form_id or None, "term": r.term or None}  # fmt: skip
            if r.matched_by:
                out["matched_by"] = r.matched_by
            if r.error:
                out["error"] = r.error
            return out

        return {
            "authority": self.authority,
            "term": self.term,
            "packs": [
                {
                    "id": p.id,
                    "cohort": p.cohort_name,
                    "children": p.children,
                    "created": p.created.isoformat(timespec="seconds"),
                }
                for p in self.packs
            ],
            "counts": {
                "expected": self.expected,
                "returned": self.returned,
                "still_to_come": self.still_to_come,
                "unmatched": len(self.unmatched),
                "reading": self.reading,
            },
            "schools": [
                {
                    "school": g.school,
                    "expected": len(g.children),
                    "returned": len(g.returned),
                    "still_to_come": len(g.still_to_come),
                    "children": [
                        {
                            "child_id": c.child_id,
                            "child_name": c.child_name,
                            "phase": c.phase,
                            "returned": c.returned,
                            "form_ids": c.form_ids,
                            "returns": [ref(r) for r in c.returns],
                            "other_terms": [
                                {"return": ref(u.ret), "term": u.counted_for} for u in c.other_terms
                            ],
                        }
                        for c in g.children
                    ],
                }
                for g in self.schools()
            ],
            "unmatched": [{"return": ref(u.ret), "reason": u.reason} for u in self.unmatched],
        }


# The columns of the downloadable list: one row per expected child, to mail-merge chase e-mails.
COLUMNS = ("School", "Child ID", "Child", "Phase", "Returned", "Returns", "Ratings", "Form IDs",
           "Sent instead")  # fmt: skip
# Whom a chase e-mail goes to: the child's designated teacher, as the cohort file names them.
# The columns are that group's fields, as the schema has them.
CHASE_CONTACT = "/contacts/designated_teacher"


def contact_fields() -> list[tuple[str, str]]:
    """`(pointer, column title)` of each field of `CHASE_CONTACT`, from the schema."""
    group = load_model().node(CHASE_CONTACT)
    return [(f.pointer, f"{group.title}: {f.title}") for f in group.children
            if isinstance(f, Field)]  # fmt: skip


def columns() -> list[str]:
    """The download's columns: `COLUMNS`, then the designated teacher's fields."""
    return [*COLUMNS, *(title for _, title in contact_fields())]


def add_contacts(report: Outstanding, cohort_files: Mapping[str, Path]) -> None:
    """Each child's designated teacher from the cohort files of the term's packs (by pack id;
    the newer pack's wins, as for the name and school). The packs keep no child's data but the
    service keeps the cohort file; a file gone or unreadable leaves its children's blank."""
    wanted = {c.child_id for c in report.children}
    pointers = [p for p, _ in contact_fields()]
    for pack in report.packs:
        path = cohort_files.get(pack.id)
        if path is None or not path.is_file():
            continue
        try:
            for row in read_cohort(path, authority=report.authority, term=report.term):
                child_id = str(row.data.get("child_id") or "")
                if child_id in wanted:
                    values = [get_pointer(row.data, p) for p in pointers]
                    report.contacts[child_id] = ["" if v is None else str(v) for v in values]
        except PepDocsError:
            continue


def table_rows(report: Outstanding) -> list[list[str]]:
    """`columns()` for each expected child, in the page's order (still to come first per
    school); the designated teacher's blank unless `add_contacts` found them."""
    blank = [""] * len(contact_fields())
    rows = []
    for group in report.schools():
        for child in group.still_to_come + group.returned:
            rows.append([group.school, child.child_id, child.child_name,
                         child.phase.replace("_", " "), "Yes" if child.returned else "No",
                         " ".join(r.id for r in child.returns),
                         ", ".join(r.rating or "" for r in child.returns if r.rating),
                         " ".join(child.form_ids),
                         "; ".join(f"{u.reason} (return {u.ret.id})" for u in child.other_terms),
                         *report.contacts.get(child.child_id, blank)])  # fmt: skip
    return rows


UNMATCHED_COLUMNS = ("File", "Return ID", "Uploaded", "Child ID", "Form term", "Why it is listed")


def unmatched_rows(report: Outstanding) -> list[list[str]]:
    return [[u.ret.file, u.ret.id, u.ret.uploaded.strftime("%Y-%m-%d %H:%M"), u.ret.child_id,
             u.ret.term, u.reason] for u in report.unmatched]  # fmt: skip


@dataclass
class _Term:
    """One term's expected children across its finished packs."""

    opened: datetime
    packs: list[PackRef] = field(default_factory=list)
    children: dict[str, ExpectedChild] = field(default_factory=dict)


def _finished_packs(db: Session, authority: str) -> Sequence[Pack]:
    return db.scalars(
        select(Pack).where(Pack.authority == authority, Pack.status == DONE,
                           Pack.plan.is_not(None))
        .order_by(Pack.created, Pack.id)
    ).all()  # fmt: skip


def _terms(packs: Iterable[Pack]) -> tuple[dict[str, _Term], dict[str, tuple[str, str]]]:
    """Each term's expected children, and every pack form's (term, child id) by form id."""
    terms: dict[str, _Term] = {}
    forms: dict[str, tuple[str, str]] = {}
    for pack in packs:  # oldest first: a newer pack's details replace an older one's
        term = terms.setdefault(pack.term, _Term(opened=pack.created))
        planned = pack.plan.get("children") or []
        term.packs.append(
            PackRef(pack.id, pack.cohort_name, pack.created, len(planned), pack.cohort_stored)
        )
        for p in planned:
            key = tuple(p.get("sort_key") or ("", "", "", p["child_id"]))
            child = term.children.get(p["child_id"])
            if child is None:
                child = term.children[p["child_id"]] = ExpectedChild(
                    p["child_id"], p["child_name"], p["school"], p["phase"], key
                )
            else:
                child.child_name, child.school, child.phase = (
                    p["child_name"],
                    p["school"],
                    p["phase"],
                )
                child.sort_key = key
            if p["form_id"] not in child.form_ids:
                child.form_ids.append(p["form_id"])
            forms[p["form_id"]] = (pack.term, p["child_id"])
    return terms, forms


def terms_with_packs(db: Session, authority: str) -> list[str]:
    """The terms with a finished pack, the one whose first pack is newest first."""
    terms, _ = _terms(_finished_packs(db, authority))
    return sorted(terms, key=lambda t: terms[t].opened, reverse=True)


def _returns(db: Session, authority: str) -> list[ReturnRef]:
    """Every return of the authority but zips (their files are returns of their own), with the
    identity read back; the extractions themselves are never loaded."""

    def text(*path: str) -> Any:
        return Return.extraction[path].as_string()

    rows = db.execute(
        select(Return.id, Return.original_name, Return.uploaded, Return.status, Return.rating,
               Return.child_name, Return.error, text("form", "form_id"),
               text("form", "child_id"), text("data", "child_id"), text("form", "term"),
               text("data", "term"), text("form", "authority"))
        .where(Return.authority == authority, Return.kind != "zip")
        .order_by(Return.uploaded, Return.id)
    ).all()  # fmt: skip
    return [
        ReturnRef(
            id=r[0],
            file=r[1],
            uploaded=r[2],
            status=r[3],
            rating=r[4],
            child_name=r[5],
            error=r[6],
            form_id=r[7] or "",
            child_id=r[8] or r[9] or "",
            term=r[10] or r[11] or "",
            authority=r[12] or "",
        )
        for r in rows
    ]


def outstanding(db: Session, authority: str, term: str) -> Outstanding:
    """The term's expected children, returned or still to come; raises `PepDocsError` when the
    authority has no finished pack for the term."""
    terms, forms = _terms(_finished_packs(db, authority))
    if term not in terms:
        raise PepDocsError(f"no term pack for {term} has been made",
                           hint="make the term's pack first; the list is of the children in it")  # fmt: skip
    this = terms[term]
    later = [t.opened for t in terms.values() if t.opened > this.opened]
    window_end = min(later) if later else None

    def in_window(r: ReturnRef) -> bool:
        return r.uploaded >= this.opened and (window_end is None or r.uploaded < window_end)

    unmatched: list[Unmatched] = []
    reading = 0
    for r in _returns(db, authority):
        if r.status in (QUEUED, RUNNING):
            reading += in_window(r)
            continue
        if r.status == FAILED:
            if in_window(r):
                unmatched.append(Unmatched(r, f"not read: {r.error or 'no reason given'}"))
            continue
        owner, how = forms.get(r.form_id), BY_FORM_ID
        if owner is None and r.term in terms and r.authority in ("", authority):
            if r.child_id in terms[r.term].children:
                owner, how = (r.term, r.child_id), BY_CHILD_ID
        if owner is not None and owner[0] == term:
            this.children[owner[1]].returns.append(_matched(r, how))
        elif owner is not None:
            # A return of another term's child is listed there, as returned; here it is only
            # noted at the same child, if this term expects them too.
            if in_window(r) and owner[1] in this.children:
                what = (
                    f"the {owner[0]} pack's form" if how == BY_FORM_ID else f"a form for {owner[0]}"
                )
                this.children[owner[1]].other_terms.append(
                    Unmatched(_matched(r, how), what, counted_for=owner[0]))  # fmt: skip
        elif r.term == term or (r.term not in terms and in_window(r)):
            unmatched.append(Unmatched(r, _why_unmatched(r, authority, term)))
    return Outstanding(authority, term, this.packs, list(this.children.values()), unmatched,
                       reading)  # fmt: skip


def _matched(r: ReturnRef, how: str) -> ReturnRef:
    return replace(r, matched_by=how)


def _why_unmatched(r: ReturnRef, authority: str, term: str) -> str:
    if r.authority and r.authority != authority:
        return f"a form of another authority ({r.authority})"
    if not r.term:
        return "the form names no term, so it was not made by a term pack"
    if r.term != term:
        return f"a form for {r.term}, a term with no pack here"
    if not r.child_id:
        return "the form names no child"
    return f"a form for {term}, but no pack of {term} has the child {r.child_id}"


__all__ = [
    "COLUMNS",
    "UNMATCHED_COLUMNS",
    "add_contacts",
    "columns",
    "ExpectedChild",
    "Outstanding",
    "ReturnRef",
    "SchoolGroup",
    "Unmatched",
    "outstanding",
    "table_rows",
    "terms_with_packs",
    "unmatched_rows",
]
