"""docs/seed-map.md stays true: items quoted from the seeds, pointers that exist, lists covered."""

from __future__ import annotations

import re

import pytest

from pep_docs.schema import load_model
from tests.conftest import ROOT, SEEDS

MAP = ROOT / "docs" / "seed-map.md"
SEED_FILES = {p.name[:3]: p for p in SEEDS.glob("*.txt")}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def rows() -> list[tuple[str, str, list[str]]]:
    out = []
    for line in MAP.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0][:3].isdigit():
            out.append((cells[0][:3], cells[1], re.findall(r"`([^`]+)`", cells[2])))
    return out


def test_the_map_has_rows():
    assert len(rows()) == 52


@pytest.mark.parametrize("seed,item,pointers", rows(), ids=lambda v: str(v)[:40])
def test_item_is_quoted_from_its_seed_and_points_at_fields(seed, item, pointers):
    assert _norm(item) in _norm(SEED_FILES[seed].read_text(encoding="utf-8"))
    model = load_model()
    assert pointers and all(model.has(p) for p in pointers), pointers


def _bullets_after(seed: str, start: str, stop: str) -> list[str]:
    text = SEED_FILES[seed].read_text(encoding="utf-8")
    block = text.split(start, 1)[1].split(stop, 1)[0]
    return [_norm(b) for b in re.findall(r"^\s*(?:•\s*)?(\S.*)$", block, re.M)]


@pytest.mark.parametrize(
    "seed,start,stop",
    [
        # Stockton's areas a PEP must cover.
        ("001", "development needs including:", "• The PEP should be reviewed"),
        # Central Bedfordshire's 12 criteria for a GOOD PEP.
        ("003", "PEP rating GOOD:", "\x00"),
    ],
)
def test_every_item_of_a_seed_list_has_a_row(seed, start, stop):
    mapped = {_norm(item) for s, item, _ in rows() if s == seed}
    items = _bullets_after(seed, start, stop)
    assert len(items) in (11, 12)
    for item in items:
        assert any(m in item or item in m for m in mapped), item


def test_bracknell_agenda_questions_have_rows():
    mapped = {_norm(item) for s, item, _ in rows() if s == "000"}
    agenda = _bullets_after("000", "Suggested agenda", "Outcomes and actions")
    questions = [line for line in agenda if line.endswith("?")]
    assert len(questions) == 5
    assert set(questions) <= mapped
