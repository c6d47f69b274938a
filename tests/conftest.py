"""Shared test helpers: where things are, the fixture PEPs, and a PostgreSQL server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL server for this test run, started once and removed after."""
    from pep_docs.db import dispose_engines
    from tests.service import PostgresServer

    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        dispose_engines()  # this process's pooled connections, before the server goes
        server.stop()


@pytest.fixture
def postgres_url(postgres) -> str:
    """The URL of a new, empty PostgreSQL database, for one test."""
    return postgres.new_database()
