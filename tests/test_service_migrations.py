"""The service's database schema is made and changed by the migrations in pep_docs/migrations,
on SQLite and on a real PostgreSQL server (the `postgres` fixture in tests/conftest.py).

The models in pep_docs/db.py and the migrations agree; a database made before there were
migrations (by `create_all`) is upgraded with every row kept; processes starting at once take
turns; and two uploads of one file at the same moment make one return and one stored file.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from datetime import datetime
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from pep_docs import files, intake, migrations
from pep_docs.db import AuditEvent, Base, Return, dispose_engines, engine_for, session_scope
from pep_docs.errors import PepDocsError
from pep_docs.settings import load_settings
from tests.conftest import ROOT

TABLES = ["audit", "pack_chunks", "packs", "pep_docs_alembic_version", "qa_records", "returns",
          "users", "zip_members"]  # fmt: skip
NEWEST = "0003"  # the newest revision: a new one changes this, and the log test
CB = "central-bedfordshire"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A new, empty database: a SQLite file, or a database on the test run's PostgreSQL server."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'pep-docs.sqlite3'}"


def at_revision(url: str, revision: str, *, before_migrations: bool = False) -> None:
    """Bring a database to `revision` only (not to the newest, as `engine_for` does); with
    `before_migrations`, as `create_all` left it: the tables, no version table."""
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrations.config(connection), revision)
        if before_migrations:
            connection.execute(text(f"DROP TABLE {migrations.VERSION_TABLE}"))
    engine.dispose()


def made_by_create_all(url: str) -> None:
    """A database as pep-docs made it before migrations: `Base.metadata.create_all` of the models
    then, which are today's without what revisions 0002 and 0003 added (the drift test keeps
    that true)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        connection.execute(text("DROP INDEX ix_returns_one_per_file"))
        connection.execute(text("ALTER TABLE returns DROP COLUMN copy_number"))
        connection.execute(text("DROP TABLE qa_records"))
    engine.dispose()


def insert(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Rows put in with the tables as the database has them (reflected), not as the models
    are now: a column added since then must not be written."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = MetaData()
        tables.reflect(connection)
        for name, values in rows.items():
            connection.execute(tables.tables[name].insert(), values)
    engine.dispose()


def everything(url: str) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows (the version table left out), in the order of their keys."""
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = MetaData()
        tables.reflect(connection)
        found = {}
        for name, table in sorted(tables.tables.items()):
            if name != migrations.VERSION_TABLE:
                order = list(table.primary_key.columns)
                found[name] = [dict(r._mapping) for r in connection.execute(
                    select(table).order_by(*order))]  # fmt: skip
    engine.dispose()
    return found


def at(minute: int) -> datetime:
    return datetime(2026, 11, 20, 9, minute, 0)


def user(number: int, email: str) -> dict[str, Any]:
    return {"id": number, "email": email, "password_hash": "argon2-not-a-real-hash",
            "authority": CB, "api_token_hash": None, "created": at(0)}  # fmt: skip


def a_return(id_: str, sha: str, minute: int, **values: Any) -> dict[str, Any]:
    return {"id": id_, "authority": CB, "uploaded_by": 1, "uploaded": at(minute),
            "original_name": f"{id_}.docx", "stored_name": f"{minute:032x}", "sha256": sha,
            "size": 1000 + minute, "kind": "docx", "status": "done", "error": None,
            "attempts": 1, "updated": at(minute + 1), "extraction": None, "check": None,
            "child_name": None, "rating": None, **values}  # fmt: skip


ROWS = {
    "users": [user(1, "officer@cb.example.invalid"), user(2, "head@cb.example.invalid")],
    "returns": [
        a_return(
            "a" * 32,
            "1" * 64,
            1,
            extraction={"data": {"child": {"first_name": "Finley"}}, "warnings": ["a picture"]},
            check={"rating": "Good"},
            child_name="Finley N",
            rating="Good",
        ),
        a_return("b" * 32, "2" * 64, 2, kind="zip", error="a zip of 1 form"),
        a_return("c" * 32, "3" * 64, 3, status="failed", kind="other", error="not a form"),
    ],
    "zip_members": [
        {"zip_id": "b" * 32, "position": 0, "return_id": "a" * 32, "name": "Finley.docx"}
    ],
    "packs": [
        {
            "id": "d" * 32,
            "authority": CB,
            "term": "2026-autumn",
            "formats": "docx,pdf",
            "requested_by": 2,
            "created": at(4),
            "updated": at(5),
            "cohort_name": "c.csv",
            "cohort_stored": "e" * 32 + ".csv",
            "status": "done",
            "error": None,
            "total": 2,
            "done": 2,
            "chunks": 1,
            "problems": [],
            "plan": {"chunks": 1},
            "result_stored": "f" * 32 + ".zip",
        }
    ],
    "pack_chunks": [
        {
            "pack_id": "d" * 32,
            "index": 0,
            "status": "done",
            "children": 2,
            "stored_name": None,
            "manifest": [{"child": 1}, {"child": 2}],
            "attempts": 1,
            "updated": at(5),
        }
    ],
    "audit": [
        {
            "id": 1,
            "at": at(1),
            "user_id": 1,
            "action": "return.upload",
            "object_type": "return",
            "object_id": "a" * 32,
            "detail": "1001 bytes",
            "remote": "127.0.0.1",
        }
    ],
}


def at_head(url: str) -> tuple[str | None, list[str], list[str]]:
    """(the database's revision, its tables, where it differs from the models)."""
    with engine_for(url).connect() as connection:
        revision = migrations.current(connection)
        tables = sorted(inspect(connection).get_table_names())
        return revision, tables, migrations.differences(connection)


def test_the_models_and_the_migrations_agree(database_url):
    """The test that stops drift: a database made by the migrations alone has exactly the tables,
    columns, types, indexes and constraints of the models in pep_docs/db.py."""
    revision, tables, found = at_head(database_url)
    assert found == [], (
        "pep_docs/db.py and the migrations in pep_docs/migrations/versions differ: "
        f"{'; '.join(found)}. {migrations.WRITE_A_MIGRATION}"
    )
    assert (revision, migrations.head(), tables) == (NEWEST, NEWEST, TABLES)


@pytest.mark.parametrize("made_by", ["create_all", "the baseline, unrecorded"])
def test_a_database_made_before_migrations_is_upgraded_with_every_row_kept(database_url, made_by):
    """Made by the code before migrations (`create_all`), or by the baseline's operations with
    no version table: the same tables, as the check after the upgrade finds."""
    if made_by == "create_all":
        made_by_create_all(database_url)
    else:
        at_revision(database_url, "0001", before_migrations=True)
    insert(database_url, ROWS)
    before = everything(database_url)
    assert before["returns"][0]["extraction"] == ROWS["returns"][0]["extraction"]

    assert at_head(database_url) == (NEWEST, TABLES, [])
    after = everything(database_url)
    returns = [{**row, "copy_number": 0} for row in before["returns"]]
    assert after == {**before, "returns": returns, "qa_records": []}
    # Opened again (another process, a restart): at the newest revision, nothing to do.
    dispose_engines()
    assert at_head(database_url) == (NEWEST, TABLES, []) and everything(database_url) == after


def test_another_programs_tables_and_its_alembic_revision_are_left_alone(database_url):
    """A database shared with another program (which uses Alembic too): pep-docs keeps its
    revision in a table of its own, never drops a table it does not know, and its database made
    before migrations is upgraded beside the other's tables."""
    at_revision(database_url, "0001", before_migrations=True)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)"))
        connection.execute(text("INSERT INTO invoices VALUES (1, 250)"))
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('1f2e3d4c5b6a')"))
    engine.dispose()
    insert(database_url, {"users": ROWS["users"]})

    assert at_head(database_url) == (NEWEST, sorted(["alembic_version", "invoices", *TABLES]), [])
    found = everything(database_url)
    assert (found["invoices"], found["alembic_version"], found["users"]) == (
        [{"id": 1, "total": 250}], [{"version_num": "1f2e3d4c5b6a"}], ROWS["users"])  # fmt: skip


def test_a_database_made_before_the_zip_members_table_gets_it(database_url):
    """A database `create_all` made before 29 November 2026 has no `zip_members`: the baseline
    makes the tables missing, as `create_all` did, and keeps the rest."""
    at_revision(database_url, "0001", before_migrations=True)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE zip_members"))
    engine.dispose()
    rows = {name: ROWS[name] for name in ("users", "returns")}
    insert(database_url, rows)

    assert at_head(database_url) == (NEWEST, TABLES, [])
    found = everything(database_url)
    assert found["returns"] == [{**row, "copy_number": 0} for row in ROWS["returns"]]
    assert (found["users"], found["zip_members"]) == (ROWS["users"], [])


def test_a_database_made_before_migrations_that_lacks_a_column_is_refused_and_left_as_it_was(
    database_url,
):
    """Tables older than the baseline's: the upgrade would have left the service failing on
    each query of the column; it is refused, naming the difference, and rolled back whole."""
    at_revision(database_url, "0001", before_migrations=True)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE returns DROP COLUMN rating"))
    engine.dispose()
    insert(database_url, {"users": ROWS["users"]})
    before = everything(database_url)

    with pytest.raises(PepDocsError) as refused:
        engine_for(database_url)
    assert str(refused.value) == (
        "PEP_DOCS_DATABASE_URL: the database was made by an earlier pep-docs, and after the upgrade its "
        "tables still differ from the ones this version uses: add_column returns.rating "
        "(nothing was changed: keep running the pep-docs that made it, and ask the pep-docs "
        "maintainers for a migration from that version)"
    )
    engine = create_engine(database_url)
    with engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        columns = [c["name"] for c in inspect(connection).get_columns("returns")]
    engine.dispose()
    # No version table: the upgrade was undone.
    assert tables == ["audit", "pack_chunks", "packs", "returns", "users", "zip_members"]
    assert "copy_number" not in columns and "rating" not in columns
    assert everything(database_url) == before


def test_copies_of_one_file_already_kept_are_all_kept_and_numbered(database_url, caplog):
    """Revision 0002 on a database where the race had made copies: no row is deleted or
    changed; the earliest is the return (copy 0) and the others are numbered in upload order."""
    at_revision(database_url, "0001")
    same, other = "5" * 64, "6" * 64
    insert(database_url, {"users": ROWS["users"], "returns": [
        a_return("r3" + "0" * 30, same, 7), a_return("r1" + "0" * 30, same, 5),
        a_return("r2" + "0" * 30, same, 6), a_return("r4" + "0" * 30, other, 5),
        {**a_return("r5" + "0" * 30, same, 8), "authority": "peterborough"}]})  # fmt: skip
    before = everything(database_url)

    with caplog.at_level(logging.WARNING, logger="pep_docs.migrations"):
        assert at_head(database_url) == (NEWEST, TABLES, [])
    after = everything(database_url)
    numbers = {"r1": 0, "r2": 1, "r3": 2, "r4": 0, "r5": 0}
    assert after["returns"] == [{**row, "copy_number": numbers[row["id"][:2]]}
                                for row in before["returns"]]  # fmt: skip
    ids = ", ".join(f"r{n}" + "0" * 30 for n in (1, 2, 3))
    assert [r.getMessage() for r in caplog.records if r.name == "pep_docs.migrations"] == [
        f"returns {ids} of {CB} are one file (sha256 {same}) uploaded more than once at the same "
        f"moment: all are kept, r1{'0' * 30} as the return and the others as its copies "
        "(copy_number 1, 2, ...); look at them and delete the extra ones if you wish",
    ]
    # The file uploaded again is found as the earliest return; a new copy cannot be made.
    with session_scope(database_url) as db:
        assert intake._same_file(db, CB, same).id == "r1" + "0" * 30
    with pytest.raises(IntegrityError), session_scope(database_url) as db:
        db.add(Return(**a_return("r6" + "0" * 30, same, 9)))


def start_at_once(url: str, count: int) -> None:
    """`count` processes open the database at once, as `serve` and its workers do; each must
    succeed."""
    script = "import sys; from pep_docs.db import engine_for; engine_for(sys.argv[1])"
    starts = [subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT,
                               stderr=subprocess.PIPE, text=True) for _ in range(count)]  # fmt: skip
    errors = [p.communicate(timeout=120)[1] for p in starts]
    assert [p.returncode for p in starts] == [0] * count, errors


def test_processes_starting_at_once_on_a_new_database_all_upgrade_it(database_url):
    """`pep-docs serve` and its workers start together on an empty database: they take turns
    (PostgreSQL: an advisory lock; SQLite: its write lock), the first makes the tables and the
    others find them made; none fails."""
    start_at_once(database_url, 4)
    assert at_head(database_url) == (NEWEST, TABLES, [])


def test_processes_starting_at_once_on_a_database_made_before_migrations_all_succeed(
    database_url,
):
    at_revision(database_url, "0001", before_migrations=True)
    insert(database_url, ROWS)
    before = everything(database_url)
    start_at_once(database_url, 4)
    assert at_head(database_url) == (NEWEST, TABLES, [])
    assert everything(database_url)["returns"] == [{**r, "copy_number": 0}
                                                   for r in before["returns"]]  # fmt: skip


def test_one_file_kept_twice_at_the_same_moment_is_one_return_and_one_stored_file(
    database_url, tmp_path, monkeypatch
):
    """Two officers (or a double-click, or two zips unpacked at once) keep the same bytes at
    the same moment: both look for the file and find none (the barrier holds each one between
    its look and its insert until the other has looked too); the database refuses the second
    insert, which is answered with the first return, and its stored file is removed. The
    loser's session goes on: the next file it keeps is a return of its own."""
    settings = load_settings({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url},
                             environ={})  # fmt: skip
    with session_scope(database_url) as db:
        from pep_docs.web.auth import create_user

        create_user(db, "officer@cb.example.invalid", "a long password here", CB)
    same, store = b"PK\x03\x04 the same form", files.store
    both_looked = threading.Barrier(2, timeout=30)

    def store_after_both_looked(settings, area, data, suffix=""):
        if data == same:
            both_looked.wait()
        return store(settings, area, data, suffix)

    monkeypatch.setattr(files, "store", store_after_both_looked)
    answers: dict[str, tuple[bool, str]] = {}
    then: dict[str, tuple[bool, str]] = {}
    failures: list[BaseException] = []

    def upload(who: str) -> None:
        try:
            with session_scope(database_url) as db:
                got = intake.keep(db, settings, same, f"{who}.docx", authority=CB, user_id=1)
                answers[who] = (got.duplicate, got.record.id)
                if got.duplicate:
                    more = intake.keep(db, settings, b"another file", "more.pdf",
                                       authority=CB, user_id=1)  # fmt: skip
                    then[who] = (more.duplicate, more.record.original_name)
        except BaseException as exc:  # noqa: BLE001 - shown by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=upload, args=(who,)) for who in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(duplicate for duplicate, _ in answers.values()) == [False, True]
    assert len({id_ for _, id_ in answers.values()}) == 1
    assert list(then.values()) == [(False, "more.pdf")]

    with session_scope(database_url) as db:
        rows = db.scalars(select(Return).order_by(Return.size)).all()
        events = db.scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "return.upload").order_by(AuditEvent.id)).all()  # fmt: skip
    (winner,) = [who for who, (duplicate, _) in answers.items() if not duplicate]
    assert [(r.original_name, r.size, r.copy_number) for r in rows] == [
        ("more.pdf", 12, 0), (f"{winner}.docx", len(same), 0)]  # fmt: skip
    stored = sorted(p.name for p in (settings.data_dir / "uploads").iterdir())
    assert stored == sorted(r.stored_name for r in rows)
    assert sorted(events) == sorted(r.id for r in rows)
    assert (settings.data_dir / "uploads" / rows[1].stored_name).read_bytes() == same


@pytest.mark.parametrize(
    ("start", "before", "upgraded"),
    [
        (None, "none (a new database, or one made before migrations)", "nothing"),
        ("0001", "0001", "0001"),
    ],
)
def test_current_says_where_the_database_is_and_upgrade_brings_it_to_the_newest(
    database_url, tmp_path, monkeypatch, start, before, upgraded
):
    """`python -m pep_docs.migrations current` and `upgrade`, on the service's settings."""
    from pep_docs.migrations.__main__ import main

    monkeypatch.setenv("PEP_DOCS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PEP_DOCS_DATABASE_URL", database_url)
    if start:
        at_revision(database_url, start)
    runner = CliRunner()
    said = [runner.invoke(main, command) for command in
            (["current"], ["upgrade"], ["current"], ["upgrade"])]  # fmt: skip
    assert [(s.exit_code, s.output) for s in said] == [
        (1, f"{before}; the newest is {NEWEST}: `python -m pep_docs.migrations upgrade`, or "
            "starting the service, upgrades it\n"),
        (0, f"upgraded from {upgraded} to {NEWEST}, the newest\n"),
        (0, f"{NEWEST} (the newest)\n"),
        (0, f"already at {NEWEST}, the newest\n"),
    ]  # fmt: skip
    assert at_head(database_url) == (NEWEST, TABLES, [])


def test_a_change_to_the_models_becomes_the_next_revision(tmp_path):
    """`new_revision` (what `python -m pep_docs.migrations revision -m ...` runs) after a model is
    added: the revision it writes (into a copy of the migrations here) makes the table, and
    after it the database and the models agree again."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations.SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    notes = Table("scratch_notes", Base.metadata, Column("id", Integer, primary_key=True),
                  Column("text", Text, nullable=True))  # fmt: skip
    engine = create_engine(f"sqlite:///{tmp_path / 'pep-docs.sqlite3'}")
    try:
        path = migrations.new_revision("scratch notes", scripts)
        with engine.begin() as connection:
            command.upgrade(migrations.config(connection, scripts), "head")
            found = (migrations.current(connection), migrations.differences(connection))
    finally:
        Base.metadata.remove(notes)
        engine.dispose()
    assert path == scripts / "versions" / "0004_scratch_notes.py"
    assert found == ("0004", [])
    # Fixed and formatted by ruff (of the dev extra), so it passes `make lint` as written.
    assert path.read_text(encoding="utf-8") == WRITTEN


WRITTEN = """\"\"\"scratch notes

Revision 0004, after 0003.
\"\"\"

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "scratch_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("scratch_notes")
    # ### end Alembic commands ###
"""


def test_revision_0002_can_be_undone_and_made_again_with_every_row_kept(database_url):
    """Going back to an older pep-docs: `downgrade` to 0001 drops the index and `copy_number`
    only; upgrading again numbers the copies again."""
    at_revision(database_url, "0001")
    insert(database_url, ROWS)
    before = everything(database_url)
    assert at_head(database_url)[0] == NEWEST
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.downgrade(migrations.config(connection), "0001")
        revision = migrations.current(connection)
    engine.dispose()
    assert (revision, everything(database_url)) == ("0001", before)
    dispose_engines()
    assert at_head(database_url) == (NEWEST, TABLES, [])
    assert everything(database_url)["returns"] == [{**r, "copy_number": 0}
                                                   for r in before["returns"]]  # fmt: skip


def test_the_log_says_each_upgrade_and_nothing_on_a_start_with_nothing_to_do(database_url, caplog):
    with caplog.at_level(logging.INFO):
        engine_for(database_url)
        dispose_engines()
        engine_for(database_url)
    shown = create_engine(database_url).url.render_as_string(hide_password=True)
    said = [(r.name, r.getMessage()) for r in caplog.records
            if r.name.startswith(("alembic", "pep_docs"))]  # fmt: skip
    assert said == [
        ("alembic.runtime.migration", "Running upgrade  -> 0001, The baseline: the tables as "
         "`create_all` made them before there were migrations."),
        ("alembic.runtime.migration", "Running upgrade 0001 -> 0002, One return per file per "
         "authority: a unique index on returns (authority, sha256, copy_number)."),
        ("alembic.runtime.migration", "Running upgrade 0002 -> 0003, The Virtual School's QA "
         "record of a return: a new table, `qa_records`."),
        ("pep_docs.migrations", f"database {shown} upgraded from nothing to {NEWEST}"),
    ]  # fmt: skip


def test_a_refused_upgrade_is_one_line_on_stderr_and_exit_status_2(tmp_path):
    """`python -m pep_docs.migrations upgrade`, as `pep-docs` says an error: what, where, and
    what to do, and nothing else."""
    url = f"sqlite:///{tmp_path / 'pep-docs.sqlite3'}"
    at_revision(url, "0001", before_migrations=True)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE returns DROP COLUMN child_name"))
    engine.dispose()
    env = {"PATH": "/usr/bin:/bin", "PEP_DOCS_DATA_DIR": str(tmp_path / "data"),
           "PEP_DOCS_DATABASE_URL": url}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "pep_docs.migrations", "upgrade"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (2, "", (
        "error: PEP_DOCS_DATABASE_URL: the database was made by an earlier pep-docs, and after "
        "the upgrade its tables still differ from the ones this version uses: add_column "
        "returns.child_name (nothing was changed: keep running the pep-docs that made it, and "
        "ask the pep-docs maintainers for a migration from that version)\n"))  # fmt: skip


def test_a_database_made_before_migrations_with_the_qa_table_keeps_it(database_url):
    """For a while `create_all` made `qa_records` too: revision 0003 finds it and keeps it."""
    made_by_create_all(database_url)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        Base.metadata.tables["qa_records"].create(connection)
    engine.dispose()
    insert(database_url, {"users": ROWS["users"], "returns": ROWS["returns"][:1],
                          "qa_records": [{"return_id": "a" * 32, "answers": {"rating": "Good"},
                                          "recorded_by": 2, "recorded": at(5)}]})  # fmt: skip
    before = everything(database_url)
    assert at_head(database_url) == (NEWEST, TABLES, [])
    assert everything(database_url)["qa_records"] == before["qa_records"]


def test_the_commands_exit_statuses_as_a_deployment_script_sees_them(tmp_path):
    """The real `python -m pep_docs.migrations` in a process of its own: `current` exits 1 on a
    database that is not at the newest revision (a script can test it), 0 once it is."""
    env = {"PATH": "/usr/bin:/bin", "PEP_DOCS_DATA_DIR": str(tmp_path / "data")}

    def command(name: str) -> tuple[int, str, str]:
        done = subprocess.run([sys.executable, "-m", "pep_docs.migrations", name], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        return done.returncode, done.stdout, done.stderr

    assert [command(n) for n in ("current", "upgrade", "current")] == [
        (1, "none (a new database, or one made before migrations); the newest is "
            f"{NEWEST}: `python -m pep_docs.migrations upgrade`, or starting the service, "
            "upgrades it\n", ""),
        (0, f"upgraded from nothing to {NEWEST}, the newest\n", ""),
        (0, f"{NEWEST} (the newest)\n", ""),
    ]  # fmt: skip


def test_the_switch_to_wal_is_tried_again_while_another_process_holds_the_file(tmp_path):
    """SQLite can refuse the switch to WAL at once, without waiting, when processes open a new
    database together: here a connection that does not wait (timeout 0) meets another holding
    the file for half a second, and switches once it is let go."""
    import sqlite3

    from pep_docs import db

    path = tmp_path / "new.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.5, holder.execute, ["COMMIT"]).start()
    opener = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):  # as SQLite refuses it
        opener.execute("PRAGMA journal_mode=WAL")
    db._switch_to_wal(opener.cursor())
    assert opener.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    holder.close()
    opener.close()
