"""`python -m pep_docs.migrations revision -m "what changed"`: write the next migration.

For developers, in a checkout: after changing a model in pep_docs/db.py, this writes the revision
that brings a database from the newest revision to the models (`new_revision`), into
pep_docs/migrations/versions/. Not a command of `pep-docs`: a council's service never writes one.
"""

from __future__ import annotations

import click

from pep_docs.migrations import new_revision


@click.group()
def main() -> None:
    """The migrations of pep-docs' database."""


@main.command("revision")
@click.option("-m", "--message", required=True, help="What changed, in a few words.")
def revision(message: str) -> None:
    """Write the next revision: the models' difference from the newest revision."""
    path = new_revision(message)
    click.echo(f"wrote {path}: read it, then run tests/test_service_migrations.py")


if __name__ == "__main__":
    main()
