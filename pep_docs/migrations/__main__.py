"""`python -m pep_docs.migrations current | upgrade | revision -m "what changed"`.

For the people who run the service: every process of it upgrades the database when it opens it,
so none of this is needed to run it. `upgrade` does it ahead of time (in a deployment step, where
its output is seen), and `current` says where a database is without changing it. Both read the
service's settings (`PEP_DOCS_DATABASE_URL`, `PEP_DOCS_DATA_DIR`, the instance file).

For developers, in a checkout: after a change to a model in pep_docs/db.py, `revision` writes the
revision that brings a database from the newest revision to the models (`new_revision`), into
pep_docs/migrations/versions/. A council's service never writes one.
"""

from __future__ import annotations

import click

from pep_docs import migrations
from pep_docs.settings import ensure_data_dir, load_settings


def _database_url() -> str:
    settings = load_settings()
    ensure_data_dir(settings)
    return settings.database_url


def _revision(url: str) -> str | None:
    """The database's revision, read without upgrading it."""
    from pep_docs.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return migrations.current(connection)
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The schema revisions of pep-docs' database."""


@main.command("current")
def current() -> None:
    """Say the database's revision; exit status 1 when it is not the newest."""
    found, newest = _revision(_database_url()), migrations.head()
    if found == newest:
        click.echo(f"{found} (the newest)")
        return
    said = found or "none (a new database, or one made before migrations)"
    click.echo(f"{said}; the newest is {newest}: `python -m pep_docs.migrations upgrade`, or "
               "starting the service, upgrades it")  # fmt: skip
    raise click.exceptions.Exit(1)


@main.command("upgrade")
def upgrade() -> None:
    """Upgrade the database to the newest revision, as each process of the service does when it
    starts (and taking turns with them)."""
    from pep_docs.db import engine_for

    url = _database_url()
    was = _revision(url)
    engine_for(url)
    newest = migrations.head()
    if was == newest:
        click.echo(f"already at {newest}, the newest")
    else:
        click.echo(f"upgraded from {was or 'nothing'} to {newest}, the newest")


@main.command("revision")
@click.option("-m", "--message", required=True, help="What changed, in a few words.")
def revision(message: str) -> None:
    """Write the next revision: the models' difference from the newest revision (developers)."""
    path = migrations.new_revision(message)
    click.echo(f"wrote {path}: read it, then run tests/test_service_migrations.py")


def run() -> None:
    """As `pep-docs` runs (`pep_docs.cli.run`): errors in one line, and each exit status kept."""
    from pep_docs.cli import run as run_command

    run_command(main)


if __name__ == "__main__":
    run()
