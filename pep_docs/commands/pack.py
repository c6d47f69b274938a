"""`pep-docs pack`: the term's prepopulated forms for every child of a cohort, in one zip."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pep_docs.errors import DocumentError
from pep_docs.pack import DEFAULT_CHUNK_SIZE, build_pack
from pep_docs.render import FORMATS


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)}, separated by commas")
    return formats


class _Bar:
    """A progress bar on standard error, only when it is a terminal (quiet in logs and CI)."""

    def __init__(self) -> None:
        self.bar = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label="Making forms", file=sys.stderr, show_pos=True, show_eta=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command("pack")
@click.argument("cohort", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--authority", help="The authority's profile slug; fills in or must agree with "
              "the cohort's authority column (one pack may hold several authorities without it).")  # fmt: skip
@click.option("--term", help="The term, such as 2026-autumn; fills in or must agree with the "
              "cohort's term column.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The pack to write (.zip), readable by its owner only.")  # fmt: skip
@click.option("--formats", default=",".join(FORMATS), show_default=True, callback=_formats,
              help="Form formats per child, separated by commas.")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that render forms (default: one per CPU).")  # fmt: skip
@click.option("--chunk-size", type=click.IntRange(min=1), default=DEFAULT_CHUNK_SIZE,
              show_default=True, help="Children per unit of work.")  # fmt: skip
def pack_command(
    cohort: Path,
    authority: str | None,
    term: str | None,
    output: Path,
    formats: tuple[str, ...],
    workers: int | None,
    chunk_size: int,
) -> None:
    """Make a zip with a folder per school holding each child's prepopulated forms.

    COHORT is a .csv or .xlsx file with one row per child (columns: the dotted paths or labels
    of `pep-docs schema`; child_id and phase are needed). The zip also holds manifest.csv and
    manifest.json: one row per child with its files, their SHA-256 and form id, and the rows
    that could not be made with the reason.

    A row with problems (a bad date, an unknown authority, no child ID, ...) does not stop the
    others: it is listed on standard error with its row and column, and in the manifest. Exit
    status 0 when the pack was written, whatever rows it had to leave out; 2 with nothing
    written when no child could be made or the file cannot be read.
    """
    bar = _Bar()
    try:
        result = build_pack(
            cohort,
            authority,
            term,
            output,
            formats=formats,
            workers=workers,
            progress=bar,
            chunk_size=chunk_size,
        )
    finally:
        bar.close()
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    summary = result.summary
    if summary is None:
        raise DocumentError(
            f"no child could be made: {len(result.plan.not_made)} row(s) with problems, listed "
            "above",
            where=str(cohort),
            hint="correct the rows and run the pack again",
        )
    left_out = f"; {summary.not_made} not made (listed above)" if summary.not_made else ""
    click.echo(
        f"{output}: {summary.made} children, {summary.files} forms "
        f"({', '.join(formats)}) in {summary.folders} school folders{left_out}"
    )


COMMANDS = [pack_command]
