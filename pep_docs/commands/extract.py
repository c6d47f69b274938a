"""`pep-docs extract`: a returned form read back into PEP data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pep_docs.commands.render import write_atomically


@click.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here instead of standard output.")  # fmt: skip
@click.option("--expect-authority", metavar="SLUG",
              help="The authority this return belongs to; a form of another is read and flagged.")  # fmt: skip
def extract_command(file: Path, output: Path | None, expect_authority: str | None) -> None:
    """Read a returned .docx or .pdf PEP form into JSON: data, form, fields, warnings, unmapped.

    Exit status 0 when the form was read (warnings or not, each also on stderr); 2 with a
    one-line reason when the file cannot be read as a PEP. The file is read in a child process
    with hard time and memory limits (PEP_DOCS_PARSE_TIMEOUT, PEP_DOCS_PARSE_MEMORY_MB).
    """
    from pep_docs.extractors import shown
    from pep_docs.extractors.sandbox import extract_untrusted

    result = extract_untrusted(file, expect_authority=expect_authority)
    for warning in result.warnings:
        click.echo(f"warning: {file}: {shown(warning.message, 1000)}", err=True)
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
