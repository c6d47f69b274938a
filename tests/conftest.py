"""Shared test helpers: where things are, and the fixture PEPs."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PEPS = FIXTURES / "peps"
# The seeds live beside the checkout (../shared/seeds), on developers' machines and in CI.
SEEDS = ROOT.parent / "shared" / "seeds"


def fixture_peps() -> list[Path]:
    """Every valid fixture PEP (not the expectations, not the deliberately invalid ones)."""
    return sorted(p for p in PEPS.glob("*.json") if not p.name.endswith(".expected.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def expected(path: Path) -> dict:
    return load(path.with_name(path.name.replace(".json", ".expected.json")))
