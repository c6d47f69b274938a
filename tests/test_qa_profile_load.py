"""An authority's QA rules are checked when its profile is loaded, not when a PEP first reaches
a broken criterion: every command that loads the profile stops, naming the file and the rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pep_docs.errors import ProfileError
from pep_docs.profiles import BUILTIN_DIR, load_profile


def _broken_copy(tmp_path, monkeypatch):
    """Peterborough with a misspelt rule kind and a criterion reading a field that is not there."""
    folder = tmp_path / "peterborough"
    folder.mkdir()
    data = json.loads((BUILTIN_DIR / "peterborough" / "profile.json").read_text())
    data["qa"]["criteria"][1]["rule"]["kind"] = "answred"  # section-a
    data["qa"]["criteria"][3]["rule"]["pointers"][0] = "/child_views/favourite_colour"  # section-c
    (folder / "profile.json").write_text(json.dumps(data))
    monkeypatch.setenv("PEP_DOCS_AUTHORITIES", str(tmp_path))
    return folder


def test_broken_rules_are_refused_by_load_profile_naming_the_file_and_criteria(
    tmp_path, monkeypatch
):
    folder = _broken_copy(tmp_path, monkeypatch)
    with pytest.raises(ProfileError) as err:
        load_profile("peterborough")
    known = "answered, attendees, each_answered, min_items, ppp_linked, smart_targets, within_days"
    assert str(err.value) == (
        f"{folder / 'profile.json'}: 2 problem(s) in the QA criteria: "
        f"/qa/criteria/1 (section-a): unknown rule kind 'answred' (known: {known}); "
        "/qa/criteria/3 (section-c): '/child_views/favourite_colour' is not a PEP field "
        "(see docs/qa.md for the rule kinds and their parameters)"
    )


def test_the_cli_stops_at_a_broken_profile_before_making_a_form(tmp_path, monkeypatch):
    folder = _broken_copy(tmp_path, monkeypatch)
    result = subprocess.run(
        [sys.executable, "-m", "pep_docs", "render", "--authority", "peterborough",
         "--phase", "school_age", "-o", str(tmp_path / "blank.docx")],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {folder / 'profile.json'}: 2 problem(s)")
    assert not (tmp_path / "blank.docx").exists()
