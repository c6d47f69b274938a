"""What the service keeps: users, returned forms, packs and the audit log (SQLAlchemy).

The database is the record of truth. Redis only carries job ids: a job lost from Redis is put back
from the rows here (`pep_docs.jobs.maintain`), so nothing uploaded is ever lost with the queue.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from pep_docs import migrations
from pep_docs.errors import PepDocsError

# Status words shared by returns and packs, as the API shows them.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # The authority whose returns and packs this user may see (one profile slug).
    authority: Mapped[str] = mapped_column(String(64))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    created: Mapped[datetime] = mapped_column(default=now)


class Return(Base):
    """One uploaded file and what was read from it."""

    __tablename__ = "returns"
    # One return per file (the same bytes) per authority, said by the database itself: two
    # uploads of one file at the same moment both find no return, and the second insert is
    # refused (`intake.keep` then answers with the first).
    __table_args__ = (
        Index("ix_returns_one_per_file", "authority", "sha256", "copy_number", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    authority: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded: Mapped[datetime] = mapped_column(default=now)
    # The name the file had, cleaned for display; never used as a path.
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    extraction: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    check: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Shown in lists without opening the JSON; personal data, so never put on the queue.
    child_name: Mapped[str | None] = mapped_column(String(255), default=None)
    rating: Mapped[str | None] = mapped_column(String(64), default=None)
    # 0, except for the copies of one file kept before the index above existed (the race it
    # closes): numbered 1, 2, ... by migration 0002, so that every row could be kept.
    copy_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ZipMember(Base):
    """A file found in an uploaded zip of forms, and the return it became.

    A table of its own, not a column of `returns`: a file already uploaded (the same bytes) is
    linked to its earlier return, so one return may be in several zips."""

    __tablename__ = "zip_members"

    zip_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), primary_key=True)
    # The entry's place in the zip's directory: the same zip always unpacks to the same places.
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), index=True)
    # The entry's name in the zip, cleaned for display (folders inside the zip dropped).
    name: Mapped[str] = mapped_column(String(255))


class Pack(Base):
    """A term pack: a cohort file in, a zip of forms out, made in chunks."""

    __tablename__ = "packs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    authority: Mapped[str] = mapped_column(String(64), index=True)
    term: Mapped[str] = mapped_column(String(32))
    formats: Mapped[str] = mapped_column(String(32), default="docx,pdf")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created: Mapped[datetime] = mapped_column(default=now)
    updated: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    cohort_name: Mapped[str] = mapped_column(String(255))
    cohort_stored: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    result_stored: Mapped[str | None] = mapped_column(String(64), default=None)


class PackChunk(Base):
    """One chunk of a pack, made by whichever worker takes it; a row per chunk keeps the count
    of finished chunks exact when several workers finish at once."""

    __tablename__ = "pack_chunks"

    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    children: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str | None] = mapped_column(String(64), default=None)
    manifest: Mapped[list[Any]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class QaRecord(Base):
    """The Virtual School's quality assurance of a return: the answers to the PEP's questions
    the Virtual School completes (the schema's `qa` section), as an officer recorded them.

    Kept beside the extraction, not inside it: what the school's form said stays as it was
    read. Recorded again, the answers are replaced; each time is in the audit log."""

    __tablename__ = "qa_records"

    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class AuditEvent(Base):
    """Who did what to which record: uploads, views, downloads, sign-ins, packs."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str | None] = mapped_column(String(16), default=None)
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    remote: Mapped[str | None] = mapped_column(String(64), default=None)


# How long a SQLite connection waits for another's lock, and for the switch to WAL below.
SQLITE_BUSY_SECONDS = 15


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process read while a worker writes; busy_timeout waits instead of
    # failing with "database is locked" when two workers finish at once. It is set first, so
    # that the switch to WAL waits as long.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, tried again while another process holds the file.

    The switch needs the file to itself, once in its life. `pep-docs serve` and its workers
    starting together on a new database all try it at once, and SQLite can refuse one of them
    at once, without waiting ("database is locked"): two connections that each wait for the
    other would wait for ever. Seen once in CI, in 4 processes starting on one new file."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without_nul(v) for v in value)
    return value


def _postgresql_text(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> Any:
    # PostgreSQL's text cannot hold a NUL character (SQLite's can), and psycopg refuses the
    # whole statement: a child's name with one in a returned PDF's field would fail its read,
    # and one typed into the sign-in form would be a server error. Each is kept as U+FFFD, the
    # sign for a character that could not be kept. (JSON columns are sent as JSON text, where
    # a NUL is already written as the escape \u0000, so what was read is kept whole there.)
    return statement, _without_nul(parameters)


_ENGINES: dict[str, Engine] = {}


def _private_file(database: str | None) -> None:
    """Create the SQLite file readable by this user only (SQLite gives its -wal and -shm files
    the same mode); it holds children's data."""
    if database and database != ":memory:" and not database.startswith("file:"):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


def engine_for(url: str) -> Engine:
    """One engine per database URL per process; on first use the database is upgraded to the
    newest schema (`pep_docs.migrations.upgrade`: made from nothing when it is empty)."""
    engine = _ENGINES.get(url)
    if engine is None:
        engine = make_engine(url)
        try:
            migrations.upgrade(engine)
        except BaseException:
            engine.dispose()  # a refused upgrade leaves no connection open
            raise
        _ENGINES[url] = engine
    return engine


def make_engine(url: str) -> Engine:
    """A new engine for `url`, with each database's settings, and the database left as it is
    (`python -m pep_docs.migrations current` reads its revision without upgrading it)."""
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:  # the URL names a driver that is not installed
        hint = ("install pep-docs with its PostgreSQL driver: pip install 'pep-docs[postgres]'"
                if exc.name == "psycopg" else f"install the Python package {exc.name}")  # fmt: skip
        raise PepDocsError(f"the database driver {exc.name!r} is not installed",
                           where="PEP_DOCS_DATABASE_URL", hint=hint) from exc  # fmt: skip
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _private_file(engine.url.database)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "before_cursor_execute", _postgresql_text, retval=True)
    return engine


def dispose_engines() -> None:
    """Close pooled connections (a forked work-horse must not share its parent's)."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    session = sessionmaker(engine_for(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def audit(
    session: Session,
    action: str,
    *,
    user_id: int | None,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str | None = None,
    remote: str | None = None,
) -> None:
    session.add(AuditEvent(user_id=user_id, action=action, object_type=object_type,
                           object_id=fit(AuditEvent.object_id, object_id), detail=detail,
                           remote=remote))  # fmt: skip


def fit(column: Any, text: str | None) -> str | None:
    """`text` cut to the length of its String column.

    SQLite keeps a longer text than a column's length, PostgreSQL refuses the whole row; where
    text from outside (a term typed into an address, a name typed into a form) is kept for
    display, a cut copy is better than no row.
    """
    limit = column.type.length
    if text is None or limit is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


# A forked process (an RQ work-horse) must open its own connections, not reuse its parent's.
os.register_at_fork(after_in_child=dispose_engines)
