"""The README's command table names every command the CLI has, and no other."""

from __future__ import annotations

import re
from pathlib import Path

import click

from pep_docs.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def commands(group: click.Group, prefix: str = "pep-docs") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= commands(command, f"{prefix} {name}")
            if command.invoke_without_command:
                found.add(f"{prefix} {name}")
        else:
            found.add(f"{prefix} {name}")
    return found


def test_every_command_is_in_the_readme_and_nothing_else_is():
    names = set()
    for row in re.findall(r"^\| `(pep-docs [^`]*)` \|", README.read_text(encoding="utf-8"), re.M):
        words = []
        for word in row.split():
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            words.append(word)
        names.add(" ".join(words))
    assert names == commands(cli)
