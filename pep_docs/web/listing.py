"""The list of returns: which of an authority's returns to show, and a page of them at a time.

An officer checks a term's returns, hundreds of them, in a few days: the list narrows to the
returns that need a person (not read, or read with warnings or text that fits no field), to one
QA rating, or to a child or file by name, and shows them a page at a time with how many each
choice holds. The page and the JSON API (`GET /api/v1/returns`) share this module.

The counts of warnings and unread text come from the database (`json_array_length` of the stored
extraction), so a page never loads the extractions themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, defer

from pep_docs.db import DONE, FAILED, QUEUED, RUNNING, QaRecord, Return
from pep_docs.errors import PepDocsError
from pep_docs.profiles import load_profile

PAGE_SIZE = 100
MAX_SEARCH = 100  # characters of a name searched for


def _listed(key: str) -> Any:
    """How many items each return's stored extraction lists under `key`, counted by the
    database: the list never loads the extractions themselves (a thousand of them are tens of
    megabytes, and the page reloads itself every few seconds while returns are being read)."""
    return func.json_array_length(Return.extraction[key].as_json())


WARNINGS, UNMAPPED = _listed("warnings"), _listed("unmapped")
_READ_FORM = and_(Return.status == DONE, Return.kind != "zip")

# Each way of narrowing the list: its name in the address, what the page calls it, which rows.
SHOWS: dict[str, tuple[str, ColumnElement[bool] | None]] = {
    "all": ("All returns", None),
    "to-check": (
        "To check by hand",  # the page says what this means (`TO_CHECK`)
        or_(Return.status == FAILED, and_(_READ_FORM, or_(WARNINGS > 0, UNMAPPED > 0))),
    ),
    "not-read": ("Not read", Return.status == FAILED),
    "not-assured": (
        "Read, not yet quality-assured",
        and_(_READ_FORM, ~exists().where(QaRecord.return_id == Return.id)),
    ),
    "waiting": ("Waiting or being read", Return.status.in_((QUEUED, RUNNING))),
}

TO_CHECK = "returns not read, or read with warnings or text that fits no field"


@dataclass(frozen=True)
class ReturnFilter:
    """What the officer asked to see: `show` (a key of `SHOWS`), a QA `rating` ("" for any),
    `name` (part of the child's name or the file's, any case) and the `page` (from 1)."""

    show: str = "all"
    rating: str = ""
    name: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReturnFilter:
        """The filter of a query string; a value that is not one of the choices is refused with
        what the choices are (`PepDocsError`, whose `where` is the parameter)."""
        show = args.get("show") or "all"
        if show not in SHOWS:
            raise PepDocsError(f"{show!r} is not one of the choices", where="show",
                               hint=f"use one of {', '.join(SHOWS)}")  # fmt: skip
        page = args.get("page") or "1"
        if not page.isdecimal() or int(page) < 1:
            raise PepDocsError(f"{page!r} is not a page number", where="page",
                               hint="use a whole number from 1")  # fmt: skip
        name = " ".join((args.get("name") or "").split())[:MAX_SEARCH]
        return cls(show, (args.get("rating") or "").strip(), name, int(page))

    def args(self, **changed: Any) -> dict[str, Any]:
        """This filter as query parameters (defaults left out), with `changed` applied."""
        values = {"show": self.show, "rating": self.rating, "name": self.name, "page": self.page,
                  **changed}  # fmt: skip
        defaults = ReturnFilter()
        return {k: v for k, v in values.items() if v != getattr(defaults, k)}


@dataclass
class ReturnsPage:
    """One page of the list: `rows` as `(return, warnings, unmapped, QA answers or None)`, the
    return without its extraction and check; `total` rows match the filter; `counts` by key of `SHOWS` (with the
    rating and name applied); `ratings`: every rating the authority's returns have."""

    filter: ReturnFilter
    rows: list[Any]
    total: int
    counts: dict[str, int]
    ratings: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))

    @property
    def first(self) -> int:
        """The number of the first row on this page, counting from 1 (0 when none)."""
        return (self.filter.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _named(db: Session, authority: str, name: str) -> ColumnElement[bool] | None:
    """The returns whose child's name or file name holds `name`, in any case.

    Compared here, not by the database: SQLite's `lower()` and PostgreSQL's under the C locale
    change only ASCII letters, and a search for "łukasz" must find Łukasz. Only three short
    columns of the authority's returns are read for it."""
    if not name:
        return None
    wanted = name.casefold()
    ids = [
        rid
        for rid, child, file in db.execute(
            select(Return.id, Return.child_name, Return.original_name).where(
                Return.authority == authority
            )
        )
        if wanted in " ".join((child or "").split()).casefold() or wanted in file.casefold()
    ]
    return Return.id.in_(ids)


def _how_many(rows: ColumnElement[bool] | None) -> Any:
    if rows is None:
        return func.count()
    return func.coalesce(func.sum(case((rows, 1), else_=0)), 0)


def _narrowed(db: Session, authority: str, wanted: ReturnFilter) -> list[ColumnElement[bool]]:
    """The conditions of `wanted` but its `show`: its rating and name."""
    common = [Return.authority == authority]
    if wanted.rating:
        common.append(Return.rating == wanted.rating)
    named = _named(db, authority, wanted.name)
    if named is not None:
        common.append(named)
    return common


def _shown(wanted: ReturnFilter, common: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    rows_of = SHOWS[wanted.show][1]
    return common if rows_of is None else [*common, rows_of]


# The list's order, newest first; the id decides between two uploaded in the same instant.
NEWEST_FIRST = (Return.uploaded.desc(), Return.id)


def returns_page(db: Session, authority: str, wanted: ReturnFilter) -> ReturnsPage:
    """The page of an authority's returns that `wanted` asks for, newest first."""
    common = _narrowed(db, authority, wanted)
    # One pass over the rows counts every choice of `SHOWS` at once.
    how_many = [_how_many(rows) for _, rows in SHOWS.values()]
    counted = db.execute(select(*how_many).where(*common)).one()
    counts = dict(zip(SHOWS, (int(n) for n in counted), strict=True))
    listed = list(db.execute(
        select(Return, WARNINGS, UNMAPPED, QaRecord.answers)
        .outerjoin(QaRecord, QaRecord.return_id == Return.id)
        .options(defer(Return.extraction), defer(Return.check))
        .where(*_shown(wanted, common))
        .order_by(*NEWEST_FIRST)
        .limit(PAGE_SIZE).offset((wanted.page - 1) * PAGE_SIZE)
    ).all())  # fmt: skip
    found = set(db.scalars(
        select(Return.rating).where(Return.authority == authority, Return.rating.is_not(None))
        .distinct()
    ))  # fmt: skip
    # Best first, as the authority's profile orders its levels; a rating it no longer has
    # (read under an earlier profile) after them.
    levels = load_profile(authority).levels
    ratings = [r for r in levels if r in found] + sorted(found - set(levels))
    return ReturnsPage(wanted, listed, counts[wanted.show], counts, ratings)


def listed_returns(db: Session, authority: str) -> list[Any]:
    """An authority's newest returns (the list's first page, unfiltered): `(return, warnings,
    unmapped)`."""
    return [(r, warnings, unmapped) for r, warnings, unmapped, _ in
            returns_page(db, authority, ReturnFilter()).rows]  # fmt: skip


@dataclass(frozen=True)
class Place:
    """Where a return is in the list it was opened from: `position` of `total` (from 1), the
    returns before and after it there, and that list at the page that holds it."""

    position: int
    total: int
    previous: str | None
    next: str | None
    list: ReturnFilter


def place_in_list(
    db: Session, authority: str, wanted: ReturnFilter, return_id: str
) -> Place | None:
    """Where `return_id` is in the list `wanted` (None when it is not in it), so that an officer
    working through the returns to check goes from one to the next without the list."""
    ids = list(db.scalars(
        select(Return.id).where(*_shown(wanted, _narrowed(db, authority, wanted)))
        .order_by(*NEWEST_FIRST)
    ))  # fmt: skip
    if return_id not in ids:
        return None
    i = ids.index(return_id)
    return Place(i + 1, len(ids), ids[i - 1] if i else None,
                 ids[i + 1] if i + 1 < len(ids) else None,
                 replace(wanted, page=i // PAGE_SIZE + 1))  # fmt: skip
