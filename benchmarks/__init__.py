"""Benchmarks: each compares pep-docs with the naive way in the same run and prints ratios."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pep_docs.forms import FormSpec, prepare

PEPS = Path(__file__).resolve().parent.parent / "fixtures" / "peps"


def fixture_specs() -> list[FormSpec]:
    """Every fixture PEP as a FormSpec with a fixed form id and time, so outputs compare."""
    paths = sorted(p for p in PEPS.glob("*.json") if not p.name.endswith(".expected.json"))
    return [
        prepare(
            data=json.loads(p.read_text(encoding="utf-8")),
            form_id=f"00000000-0000-4000-8000-{i:012d}",
            generated_at="2026-09-01T09:00:00+00:00",
        )
        for i, p in enumerate(paths)
    ]


def ms_per_file(read: Callable[[bytes], object], files: list[bytes], rounds: int) -> float:
    """Median over `rounds` of the mean milliseconds `read` takes per file."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for data in files:
            read(data)
        times.append((time.perf_counter() - start) * 1000 / len(files))
    return statistics.median(times)


def side_by_side(
    reads: dict[str, Callable[[bytes], object]], files: list[bytes], rounds: int
) -> dict[str, float]:
    """`ms_per_file` of several readers of the same files, their rounds taken in turn.

    On a shared machine the load drifts within a run; taking the rounds in turn lets each
    reader meet the same drift, so their ratio holds even when the figures do not."""
    times: dict[str, list[float]] = {name: [] for name in reads}
    for _ in range(rounds):
        for name, read in reads.items():
            times[name].append(ms_per_file(read, files, 1))
    return {name: statistics.median(ms) for name, ms in times.items()}
