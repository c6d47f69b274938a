"""`pep-docs schema` (the model as an outline; validating PEP documents) and `pep-docs authorities`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pep_docs.errors import DocumentError
from pep_docs.profiles import all_profiles, load_profile
from pep_docs.schema import PHASES, Field, Group, Node, Table, load_model
from pep_docs.validate import validate


def _roles(node: Node) -> str:
    return ", ".join(r.replace("_", " ") for r in node.by)


def outline_lines(phase: str | None, section_titles: dict[str, str]) -> list[str]:
    """The model as indented lines: section, group, table and field, with type and hints."""
    model = load_model()
    lines = [f"{model.title} ({model.id})"]

    def visit(node: Node, depth: int) -> None:
        if node.phases is not None and phase is not None and phase not in node.phases:
            return
        pad = "  " * depth
        star = "*" if node.required else " "
        if isinstance(node, Field):
            kind = node.widget + (f" [{node.unit}]" if node.unit else "")
            pre = ", prepopulated" if node.prepopulated else ""
            lines.append(f"{pad}{star} {node.title}  ({kind}{pre}; {_roles(node)})  {node.pointer}")
            if node.choices:
                lines.append(f"{pad}    choices: " + " | ".join(label for _, label in node.choices))
        elif isinstance(node, Table):
            lines.append(f"{pad}{star} {node.title}  (table, {node.rows} rows)  {node.pointer}")
            for column in node.columns:
                visit(column, depth + 1)
        elif isinstance(node, Group):
            title = section_titles.get(node.pointer[1:], node.title) if depth == 0 else node.title
            lines.append(f"{pad}{star} {title}  {node.pointer}")
            for child in node.children:
                visit(child, depth + 1)

    for f in model.header:
        visit(f, 0)
    for section in model.sections:
        visit(section, 0)
    lines.append("(* required; a field's roles say who completes it)")
    return lines


@click.group(invoke_without_command=True)
@click.option("--phase", type=click.Choice(PHASES), help="Show only what this phase's form shows.")
@click.option("--authority", help="Use this authority's own section names.")
@click.pass_context
def schema(ctx: click.Context, phase: str | None, authority: str | None) -> None:
    """Show the PEP model as a readable outline (subcommand: validate)."""
    if ctx.invoked_subcommand is None:
        titles = dict(load_profile(authority).section_titles) if authority else {}
        click.echo("\n".join(outline_lines(phase, titles)))


@schema.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="Accept missing fields (prepopulation data).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def validate_command(ctx: click.Context, files: tuple[Path, ...], partial: bool, fmt: str) -> None:
    """Validate PEP documents (JSON) and list every problem as the form would say it.

    Exit status 0 when every document is valid, 1 when any has problems.
    """
    results = {}
    for path in files:
        document = read_json(path)
        results[str(path)] = validate(document, partial=partial)
    if fmt == "json":
        payload = {name: [p.to_dict() for p in problems] for name, problems in results.items()}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for name, problems in results.items():
            if not problems:
                click.echo(f"{name}: valid")
                continue
            click.echo(f"{name}: {len(problems)} problem(s)")
            for p in problems:
                click.echo(f"  - {p.message}  [{p.pointer}]")
        if len(results) > 1:
            bad = sum(1 for problems in results.values() if problems)
            click.echo(f"{len(results) - bad} valid, {bad} with problems")
    ctx.exit(1 if any(results.values()) else 0)


def read_json(path: Path) -> object:
    """A JSON document from a file, or a DocumentError that says where it broke."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror}", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise DocumentError("the file is not UTF-8 text", where=str(path)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            where=str(path),
        ) from exc


@click.command()
def authorities() -> None:
    """List the authority profiles: slug, name, QA levels and where the profile lives."""
    for profile in all_profiles():
        levels = " / ".join(profile.levels)
        criteria = len(profile.qa["criteria"])
        click.echo(f"{profile.slug:<24} {profile.name}")
        click.echo(f"{'':<24} QA: {levels} ({criteria} criteria); profile: {profile.folder}")


COMMANDS = [schema, authorities]
