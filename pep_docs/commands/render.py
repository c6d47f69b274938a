"""`pep-docs render`: one Word or PDF form, prepopulated from data or blank."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from pep_docs.commands.schema import read_json
from pep_docs.errors import DocumentError
from pep_docs.forms import prepare
from pep_docs.render import FORMATS, render
from pep_docs.schema import PHASES


def write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so a half-written form is never left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command("render")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Form format; by default from the output file's extension.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A PEP JSON (usually partial) to prepopulate the form; names its authority and phase.")  # fmt: skip
@click.option("--authority", help="For a blank form: the authority's profile slug.")
@click.option("--phase", type=click.Choice(PHASES), help="For a blank form: the phase.")
@click.option("--term", help="For a blank form: the term, such as 2026-autumn.")
def render_command(
    fmt: str | None,
    output: Path,
    data: Path | None,
    authority: str | None,
    phase: str | None,
    term: str | None,
) -> None:
    """Generate a fillable PEP form (.docx or .pdf)."""
    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.UsageError("give --format docx or pdf, or an output ending .docx or .pdf")
    if data is None and not (authority and phase):
        raise click.UsageError("give --data PEP.json, or --authority and --phase for a blank form")
    document = read_json(data) if data else None
    if document is not None and not isinstance(document, dict):
        raise DocumentError("a PEP document must be a JSON object", where=str(data))
    spec = prepare(data=document, authority=authority, phase=phase, term=term)
    write_atomically(output, render(spec, fmt))
    click.echo(f"{output}  (form {spec.identity.form_id}, {spec.profile.name}, {spec.phase})")


COMMANDS = [render_command]
