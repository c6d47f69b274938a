"""Each authority's rule set: every criterion implemented, its parameters right, its seed cited."""

from __future__ import annotations

import json

import pytest

from pep_docs.errors import ProfileError
from pep_docs.profiles import all_profiles, read_profile
from pep_docs.qa.check import check_document
from pep_docs.qa.fields import load_qa_fields
from pep_docs.qa.rules import RULES, criterion_problems, require_valid_criteria
from pep_docs.schema import load_model
from tests.conftest import PEPS, ROOT, SEEDS, load

CRITERIA = [(p.slug, c) for p in all_profiles() for c in p.qa["criteria"]]


def _id(value):
    return value if isinstance(value, str) else value["id"]


@pytest.mark.parametrize("slug,criterion", CRITERIA, ids=_id)
def test_criterion_has_an_implemented_rule_kind(slug, criterion):
    assert criterion["rule"]["kind"] in RULES


@pytest.mark.parametrize("slug,criterion", CRITERIA, ids=_id)
def test_criterion_cites_a_sentence_that_occurs_verbatim_in_its_seed(slug, criterion):
    source = criterion["source"]
    seed = SEEDS / source["seed"]
    assert seed.is_file(), f"{slug}/{criterion['id']} cites a missing seed {source['seed']}"
    assert source["quote"] in seed.read_text(encoding="utf-8")


@pytest.mark.parametrize("profile", list(all_profiles()), ids=lambda p: p.slug)
def test_profile_rules_have_valid_parameters_pointers_and_rating(profile):
    assert criterion_problems(profile) == []


def test_the_rule_kinds_are_exactly_those_the_profiles_use():
    used = {c["rule"]["kind"] for _, c in CRITERIA}
    assert used == set(RULES)


def test_every_rule_kind_and_smart_letter_is_documented():
    from pep_docs.qa.smart import RULES as SMART

    docs = (ROOT / "docs" / "qa.md").read_text(encoding="utf-8")
    for kind in RULES.values():
        assert f"`{kind.name}`" in docs
        assert kind.sentence, f"{kind.name} has no docstring sentence"
    for letter, (name, sentence) in SMART.items():
        assert sentence in " ".join(docs.split()), f"{letter} ({name}) not in docs/qa.md"


def _profile_copy(tmp_path, change):
    folder = tmp_path / "central-bedfordshire"
    folder.mkdir()
    data = json.loads((ROOT / "pep_docs/authorities/central-bedfordshire/profile.json").read_text())
    change(data)
    (folder / "profile.json").write_text(json.dumps(data))
    return read_profile(folder)


def test_an_unknown_rule_kind_or_parameter_is_refused_when_the_profile_is_used(tmp_path):
    def change(data):
        data["qa"]["criteria"][0]["rule"]["kind"] = "answred"
        data["qa"]["criteria"][1]["rule"]["min_item"] = 1
        data["qa"]["criteria"][2]["applies"] = {"pointer": "/child/shoe_size", "in": [1]}

    profile = _profile_copy(tmp_path, change)
    with pytest.raises(ProfileError) as err:
        require_valid_criteria(profile)
    message = str(err.value)
    assert "3 problem(s)" in message
    assert "unknown rule kind 'answred'" in message
    assert "rule 'each_answered' does not take min_item" in message
    assert "'/child/shoe_size' is not a PEP field" in message


def test_a_must_meet_naming_no_criterion_is_refused(tmp_path):
    profile = _profile_copy(
        tmp_path, lambda d: d["qa"]["rating"][1]["must_meet"].append("pupil-views")
    )
    assert criterion_problems(profile) == [
        "/qa/rating/1: must_meet names no criterion 'pupil-views'"
    ]


def test_fields_used_by_the_checker_exist_in_the_schema():
    fields = load_qa_fields()
    assert fields.pointer("targets") == "/targets"
    areas = load_model().node(fields.pointer("target.area"))
    assert set(fields.needs) == {value for value, _ in areas.choices}
    assert all(fields.needs.values()), "every target area needs evidence fields"


def test_authority_option_checks_against_another_profile():
    doc = load(PEPS / "cb-school-age-ehcp.json")
    result = check_document(doc, authority="peterborough")
    assert result.profile.slug == "peterborough"
    assert [c.id for c in result.criteria][:2] == ["mandatory-attendees", "section-a"]
