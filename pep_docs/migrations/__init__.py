"""Schema changes, made with Alembic: each change to a table in `pep_docs.db` is a revision here.

`Base.metadata.create_all` makes missing tables but never changes one that exists, so a new
column or constraint would not reach a database a council already runs. Every process that opens
the database (`pep-docs serve`, each `pep-docs worker`, the CLI) upgrades it to the newest
revision first (`upgrade`), taking turns, so the service never runs on an older schema.

A database made before there were migrations (by `create_all`: the tables, no version table) is
upgraded from nothing too: the baseline (revision 0001) makes only the tables it lacks, as
`create_all` did, and the later revisions then change it as they change any other.

Alembic is configured here in code; no alembic.ini is read, and the scripts are found beside this
file, in the installed package.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine

from pep_docs.errors import PepDocsError

SCRIPTS = Path(__file__).parent
log = logging.getLogger(__name__)


def _upgrades_only(record: logging.LogRecord) -> bool:
    # Alembic says which database it found ("Context impl SQLiteImpl.", "Will assume
    # non-transactional DDL.", untrue here: the upgrade is one transaction) each time a process
    # starts; only its upgrades ("Running upgrade 0001 -> 0002, ...") are news in the log.
    return record.levelno >= logging.WARNING or record.getMessage().startswith("Running ")


logging.getLogger("alembic.runtime.migration").addFilter(_upgrades_only)

# The key of the PostgreSQL advisory lock `upgrade` takes: "pepdocs" in ASCII, which no other
# program uses.
UPGRADE_LOCK = 0x70657064_6F6373
# Not Alembic's default `alembic_version`: a database shared with another program that uses
# Alembic keeps that program's revision there, and each must read only its own.
VERSION_TABLE = "pep_docs_alembic_version"
WRITE_A_MIGRATION = (
    'write a migration for the change: `python -m pep_docs.migrations revision -m "what '
    'changed"` makes one from the difference, in pep_docs/migrations/versions/ (see the '
    "README's Development section)"
)


def config(connection: Connection | None = None, directory: Path = SCRIPTS) -> Config:
    """Alembic's configuration, made in code; `connection` is the one `env.py` migrates, and
    `directory` holds env.py and versions/ (another only in the tests)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(directory))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision, the one this version of pep-docs runs on."""
    newest = scripts().get_current_head()
    assert newest is not None, "pep_docs/migrations/versions has no revisions"
    return newest


def current(connection: Connection) -> str | None:
    """The revision the database is at; None when it has none (new, or made by `create_all`)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def differences(connection: Connection) -> list[str]:
    """Where the database's tables differ from the models in `pep_docs.db` (Alembic's
    autogenerate comparison), one line each; an empty list when they agree."""
    from pep_docs.db import Base

    opts = {"compare_type": True, "version_table": VERSION_TABLE, "include_name": ours}
    context = MigrationContext.configure(connection, opts=opts)
    return [_described(found) for found in compare_metadata(context, Base.metadata)]


def ours(name: str | None, kind: str, _parent: Any) -> bool:
    """Alembic's `include_name`: the tables of `pep_docs.db` only. A database may hold other
    programs' tables too (as it could with `create_all`), and they are not to be dropped."""
    from pep_docs.db import Base

    return kind != "table" or name in Base.metadata.tables


def _described(found: Any) -> str:
    """One of Alembic's differences in words (`add_column returns.rating`), not the repr of its
    Column object. A change to a column comes as a list of such tuples."""
    if isinstance(found, list):
        return "; ".join(_described(one) for one in found)
    kind, *items = found
    if kind.startswith("modify_"):  # (kind, schema, table, column, existing, old, new)
        _schema, table, column, _existing, old, new = items
        return f"{kind} {table}.{column}: {old!r} in the database, {new!r} in the model"
    if kind in ("add_column", "remove_column"):  # (kind, schema, table, column)
        _schema, table, column = items
        return f"{kind} {table}.{column.name}"
    return " ".join([kind, *(_named(item) for item in items if item is not None)])


def _named(item: Any) -> str:
    """A table by its name; an index or constraint by its name, table and columns."""
    if isinstance(item, str | Table):
        return item if isinstance(item, str) else item.name
    columns = ", ".join(c.name for c in getattr(item, "columns", ()))
    table = getattr(item, "table", None)
    on = table.name if table is not None else "?"
    return f"{item.name or type(item).__name__} on {on} ({columns})"


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision, in one transaction, one process at a time.

    `pep-docs serve` and its workers start at once: without turns, two processes that both find
    a revision missing would both make it, and one would fail ('relation "users" already
    exists'). On PostgreSQL a transaction-scoped advisory lock makes them take turns; on SQLite,
    `BEGIN IMMEDIATE` takes the file's write lock (the others wait up to `busy_timeout`). DDL is
    transactional on both, so an upgrade that fails leaves the database as it was. The later
    process finds the database upgraded and does nothing.
    """
    from pep_docs.db import Base

    with engine.connect() as connection:
        if current(connection) == head():  # the usual start: no lock, no wait
            return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        elif engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        was = current(connection)
        tables = set(inspect(connection).get_table_names())
        made_before_migrations = was is None and bool(tables & set(Base.metadata.tables))
        command.upgrade(config(connection), "head")
        if was != head():
            log.info("database %s upgraded from %s to %s",
                     engine.url.render_as_string(hide_password=True), was or "nothing", head())  # fmt: skip
        if made_before_migrations:
            _check_made_before_migrations(connection)


def _check_made_before_migrations(connection: Connection) -> None:
    """A database made by `create_all` is trusted to have the baseline's columns only after a
    look: a table made by an older model than the baseline's would be missing one, and the
    service would fail later on each query that reads it, far from the cause."""
    found = differences(connection)
    if found:
        raise PepDocsError(
            "the database was made by an earlier pep-docs, and after the upgrade its tables still "
            f"differ from the ones this version uses: {'; '.join(found)}",
            where="PEP_DOCS_DATABASE_URL",
            hint="nothing was changed: keep running the pep-docs that made it, and ask the pep-docs "
            "maintainers for a migration from that version",
        )


def new_revision(message: str, directory: Path = SCRIPTS) -> Path:
    """Write the next revision into `directory`/versions: the change from the newest revision to
    the models in `pep_docs.db`, as Alembic's autogenerate finds it; the path of the new file.

    The difference is taken on a scratch SQLite database made by the revisions there are, so no
    database of the service is needed or touched. Read what it wrote before committing it:
    autogenerate does not see every change (a renamed column looks like one dropped and one
    added), and data to be moved is for a person to write.
    """
    with tempfile.TemporaryDirectory(prefix="pep-docs-revision-") as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}")
        try:
            with engine.begin() as connection:
                cfg = config(connection, directory)
                _formatted_by_ruff(cfg)
                command.upgrade(cfg, "head")
                newest = ScriptDirectory.from_config(cfg).get_current_head() or "0"
                made = command.revision(cfg, message, autogenerate=True,
                                        rev_id=f"{int(newest) + 1:04d}")  # fmt: skip
        finally:
            engine.dispose()
    assert made is not None and not isinstance(made, list)
    return Path(made.path)


def _formatted_by_ruff(cfg: Config) -> None:
    """Have the new revision fixed and formatted by ruff, when it is installed, so that it passes
    `make lint` as written (autogenerate writes its own style)."""
    ruff = Path(sys.executable).parent / "ruff"
    found = str(ruff) if ruff.exists() else shutil.which("ruff")
    if found is None:
        return
    cfg.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
    for hook, options in (("ruff_fix", "check --fix --quiet"), ("ruff_format", "format --quiet")):
        cfg.set_section_option("post_write_hooks", f"{hook}.type", "exec")
        cfg.set_section_option("post_write_hooks", f"{hook}.executable", found)
        cfg.set_section_option("post_write_hooks", f"{hook}.options",
                               f"{options} REVISION_SCRIPT_FILENAME")  # fmt: skip
