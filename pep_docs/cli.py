"""The `pep-docs` command."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from pep_docs import commands
from pep_docs.errors import PepDocsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pep-docs")
def cli() -> None:
    """Generate, read back and check Personal Education Plan forms."""


for _module in pkgutil.iter_modules(commands.__path__):
    for _command in importlib.import_module(f"{commands.__name__}.{_module.name}").COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Entry point: a PepDocsError becomes one line on stderr and exit status 2."""
    run(cli)


def run(command: click.Command) -> None:
    """Run a command line as `pep-docs` does (also `python -m pep_docs.migrations`): a
    PepDocsError is one line on stderr and exit status 2; a command's own status is kept."""
    try:
        status = command.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except PepDocsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    # Commands return an int exit status (ctx.exit) or None for success.
    sys.exit(status if isinstance(status, int) else 0)
