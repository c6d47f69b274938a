"""Comparing what was read back with the truth, value by value, as every reading test does."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pep_docs.schema import iter_values


def truth(doc: dict) -> dict:
    """Every value of a PEP document by its pointer."""
    return dict(iter_values(doc))


def differences(expected: dict, got: dict) -> dict:
    """{pointer: (expected, got)} wherever the two documents disagree."""
    a, b = truth(expected), truth(got)
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


@dataclass
class Tally:
    """Values read exactly, over all the files added; `missed` counts the others by pointer.

    `add` asserts the rule every path keeps: a value not read exactly is absent and warned about
    at its pointer (never silent), and nothing is read that the truth does not have (never
    invented)."""

    exact: int = 0
    total: int = 0
    missed: Counter = field(default_factory=Counter)

    def add(self, doc: dict, result: Any, where: str) -> None:
        expected, got = truth(doc), truth(result.data)
        warned = {w.pointer for w in result.warnings}
        for pointer, value in expected.items():
            self.total += 1
            if got.get(pointer) == value:
                self.exact += 1
            else:
                self.missed[pointer] += 1
                assert pointer not in got and pointer in warned, (where, pointer, got.get(pointer))
        assert [p for p in got if p not in expected] == [], where


def checked(*sources: Path) -> list[dict]:
    """`pep-docs check --format json` of each source, without its file name (to compare)."""
    from tests.test_cli_schema import run

    outputs = []
    for source in sources:
        result = run("check", str(source), "--format", "json")
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        payload.pop("file", None)
        outputs.append(payload)
    return outputs
