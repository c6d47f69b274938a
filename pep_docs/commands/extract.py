"""`pep-docs extract`: a returned form read back into PEP data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pep_docs.commands.render import write_atomically
from pep_docs.extractors import extract


@click.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here instead of standard output.")  # fmt: skip
def extract_command(file: Path, output: Path | None) -> None:
    """Read a returned .docx or .pdf PEP form into JSON: data, form, fields, warnings, unmapped.

    Exit status 0 when the form was read (warnings or not); 2 with a one-line reason when the
    file cannot be read as a PEP.
    """
    result = extract(file)
    text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if output:
        write_atomically(output, text.encode("utf-8"))
        click.echo(
            f"{output}: {len(result.fields)} fields read, {len(result.warnings)} warnings, "
            f"{len(result.unmapped)} unmapped"
        )
    else:
        click.echo(text, nl=False)


COMMANDS = [extract_command]
