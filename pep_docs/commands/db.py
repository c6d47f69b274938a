"""`pep-docs db`: the database's schema revision, and its upgrade.

Every process of the service upgrades the database when it opens it, so these are not needed to
run it: `db upgrade` upgrades ahead of time (in a deployment step, say, where its output is seen),
and `db current` says where a database is without changing it.
"""

from __future__ import annotations

import click

from pep_docs.settings import ensure_data_dir, load_settings


def _revision(url: str) -> str | None:
    """The database's revision, read without upgrading it."""
    from pep_docs import migrations
    from pep_docs.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return migrations.current(connection)
    finally:
        engine.dispose()


@click.group("db")
def db_group() -> None:
    """The service's database (PEP_DOCS_DATABASE_URL): its schema revision."""


@db_group.command("current")
def db_current() -> None:
    """Say the database's revision; exit status 1 when it is not the newest."""
    from pep_docs import migrations

    settings = load_settings()
    ensure_data_dir(settings)
    found, newest = _revision(settings.database_url), migrations.head()
    if found == newest:
        click.echo(f"{found} (the newest)")
        return
    said = found or "none (a new database, or one made before migrations)"
    click.echo(f"{said}; the newest is {newest}: `pep-docs db upgrade`, or starting the service, "
               "upgrades it")  # fmt: skip
    raise click.exceptions.Exit(1)


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database to the newest revision (as every process of the service does when
    it starts)."""
    from pep_docs import migrations
    from pep_docs.db import engine_for

    settings = load_settings()
    ensure_data_dir(settings)
    was = _revision(settings.database_url)
    engine_for(settings.database_url)
    newest = migrations.head()
    if was == newest:
        click.echo(f"already at {newest}, the newest")
    else:
        click.echo(f"upgraded from {was or 'nothing'} to {newest}, the newest")


COMMANDS = [db_group]
