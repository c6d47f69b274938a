"""Authority profiles: data only, validated, found on a search path, and easy to add."""

from __future__ import annotations

import json
import shutil

import pytest

from pep_docs.errors import ProfileError
from pep_docs.profiles import BUILTIN_DIR, available, load_profile


def test_the_four_authorities_of_the_seeds():
    assert available() == [
        "bracknell-forest",
        "central-bedfordshire",
        "peterborough",
        "stockton-on-tees",
    ]


@pytest.mark.parametrize(
    "slug,levels",
    [
        ("bracknell-forest", ["Green", "Amber", "Red"]),
        ("central-bedfordshire", ["Good", "Satisfactory", "Unsatisfactory"]),
        ("peterborough", ["Green", "Amber", "Red"]),
        ("stockton-on-tees", ["Green", "Amber", "Red"]),
    ],
)
def test_profiles_validate_and_carry_their_qa_levels(slug, levels):
    profile = load_profile(slug)
    assert profile.levels == levels
    assert [r["level"] for r in profile.qa["rating"]] == levels
    assert profile.term("2026-autumn") is not None


def test_peterborough_names_its_sections():
    assert load_profile("peterborough").section_titles == {
        "social_care": "Section A: Social worker's information",
        "child_views": "Section C: Child's views",
    }
    assert load_profile("peterborough").meeting["mandatory_attendees"] == [
        "social_worker",
        "designated_teacher",
        "carer",
    ]


def test_deadlines_from_the_seeds():
    cb = load_profile("central-bedfordshire").deadlines
    assert (cb["return"]["days"], cb["return"]["kind"], cb["return"]["phases"]) == (
        5,
        "school",
        {"post_16": "working"},
    )
    assert load_profile("peterborough").deadlines["section_a"]["days"] == 14


def test_the_logo_is_drawn_by_the_project():
    png = load_profile("stockton-on-tees").logo_png(size=120)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_fifth_authority_is_a_folder(tmp_path, monkeypatch):
    folder = tmp_path / "northshire"
    folder.mkdir()
    data = json.loads((BUILTIN_DIR / "peterborough" / "profile.json").read_text())
    data.update(slug="northshire", name="Northshire County Council")
    (folder / "profile.json").write_text(json.dumps(data))
    monkeypatch.setenv("PEP_DOCS_AUTHORITIES", str(tmp_path))
    assert "northshire" in available()
    assert load_profile("northshire").name == "Northshire County Council"


def test_a_profile_folder_overrides_the_builtin_one(tmp_path, monkeypatch):
    shutil.copytree(BUILTIN_DIR / "peterborough", tmp_path / "peterborough")
    path = tmp_path / "peterborough" / "profile.json"
    data = json.loads(path.read_text())
    data["name"] = "Peterborough (test copy)"
    path.write_text(json.dumps(data))
    monkeypatch.setenv("PEP_DOCS_AUTHORITIES", str(tmp_path))
    assert load_profile("peterborough").name == "Peterborough (test copy)"


def test_a_broken_profile_says_where(tmp_path, monkeypatch):
    folder = tmp_path / "brokenshire"
    folder.mkdir()
    (folder / "profile.json").write_text(json.dumps({"slug": "brokenshire"}))
    monkeypatch.setenv("PEP_DOCS_AUTHORITIES", str(tmp_path))
    with pytest.raises(ProfileError) as err:
        load_profile("brokenshire")
    assert str(err.value).startswith(f"{folder / 'profile.json'}: 8 problem(s); first at /:")


def test_an_unknown_authority_lists_the_known_ones():
    with pytest.raises(ProfileError) as err:
        load_profile("atlantis")
    assert "known authorities: bracknell-forest, central-bedfordshire" in str(err.value)
