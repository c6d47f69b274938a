"""`pep-docs check`, `pep-docs report` and `pep-docs next-term`: quality assurance of PEPs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pep_docs.errors import DocumentError, PepDocsError
from pep_docs.qa.check import check_document
from pep_docs.qa.documents import load_document
from pep_docs.qa.next_term import next_term as make_next_term
from pep_docs.qa.report import FORMATS, build_cohort, write_report
from pep_docs.validate import validate


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="text for people, json for programs (shape in docs/qa.md), html for a page.",
)
@click.option("--authority", help="Check against this authority's criteria, not the PEP's own.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here, not stdout.",
)
def check(file: Path, fmt: str, authority: str | None, output: Path | None) -> None:
    """Check a PEP against its authority's QA criteria: the rating, with the evidence.

    Exit status 0 whenever the PEP could be checked, whatever its rating.
    """
    result = check_document(load_document(file), authority=authority, file=str(file))
    if fmt == "json":
        _write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", output)
    elif fmt == "html":
        _write(result.to_html(), output)
    else:
        _write(result.to_text(), output)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"The report: {', '.join('cohort' + s for s in FORMATS)}.",
)
def report(files: tuple[Path, ...], output: Path) -> None:
    """The cohort picture from many PEPs: ratings, criteria missed, timeliness, wellbeing, PP+.

    Files that cannot be read are listed in the report and on stderr; the rest are reported.
    """
    if output.suffix.lower() not in FORMATS:
        raise PepDocsError(
            f"cannot write a {output.suffix or 'extensionless'} report",
            where=str(output),
            hint=f"name the output {', '.join('cohort' + s for s in FORMATS)}",
        )
    results, unread = [], []
    for path in files:
        try:
            results.append(check_document(load_document(path), file=str(path)))
        except PepDocsError as exc:
            unread.append((str(path), str(exc)))
            click.echo(f"warning: {exc}", err=True)
    if not results:
        raise DocumentError(f"none of the {len(files)} files could be read", where=str(files[0]))
    write_report(build_cohort(results, unread), output)
    click.echo(f"{output}: {len(results)} PEPs" + (f", {len(unread)} not read" if unread else ""))


@click.command("next-term")
@click.argument("pep", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write next term's prepopulated PEP (JSON).",
)  # fmt: skip
def next_term(pep: Path, output: Path) -> None:
    """Next term's prepopulated PEP from this term's returned one.

    This term's targets become the previous targets to review; the child, contacts, setting and
    social care details carry over; the meeting moves to the agreed next meeting.
    """
    document = make_next_term(load_document(pep))
    problems = validate(document, partial=True)
    if problems:
        lines = "; ".join(p.message for p in problems)
        raise DocumentError(f"next term's PEP would not be valid: {lines}", where=str(pep))
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"{output}: {document.get('term')} PEP for {document.get('child_id')}")


COMMANDS = [check, report, next_term]
