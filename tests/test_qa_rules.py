"""The rule kinds, with the exact evidence and summaries a reviewer reads."""

from __future__ import annotations

from pep_docs.qa.answers import answer_problem
from pep_docs.qa.check import check_document
from pep_docs.qa.rating import decide
from tests.conftest import PEPS, load


def _outcome(doc, cid):
    return check_document(doc).criterion(cid).outcome


def test_answers_that_say_nothing_do_not_count():
    assert answer_problem("N/A") == "says only 'N/A'"
    assert answer_problem(" see above. ") == "says only 'see above.'"
    assert answer_problem("TBC") == "says only 'TBC'"
    assert answer_problem("") == "is empty"
    assert answer_problem(None) == "is empty"
    assert answer_problem("Reads well.", min_words=8) == "has 2 words (at least 8 needed)"
    assert answer_problem(0) is None  # no suspensions is an answer
    assert answer_problem("none", free_text=False) is None  # SEND status "none" is a choice
    assert answer_problem(False, must_be_true=True) == "is not answered Yes"


def test_missing_child_voice_is_said_in_peterboroughs_words():
    outcome = _outcome(load(PEPS / "pb-weak-no-child-voice.json"), "section-c")
    assert outcome.result == "not_met"
    assert outcome.summary == (
        "Section C: Child's views: 'What is going well?' has 1 word (at least 8 needed); "
        "Section C: Child's views: 'What is hard or worrying?' says only 'Don't know.'; "
        "Section C: Child's views: 'How do you want to take part next time?' is empty"
    )
    assert [(e.pointer, e.text, e.note) for e in outcome.evidence] == [
        ("/child_views/going_well", "OK.", "has 1 word (at least 8 needed)"),
        ("/child_views/challenges", "Don't know.", "says only 'Don't know.'"),
        ("/child_views/how_to_take_part", "", "is empty"),
    ]


def test_a_mandatory_attendee_who_sent_apologies_is_not_met():
    doc = load(PEPS / "pb-school-age-ehcp.json")
    carer = next(a for a in doc["meeting"]["attendees"] if a["role"] == "carer")
    carer["attendance"] = "apologies"
    doc["meeting"]["attendees"] = [
        a for a in doc["meeting"]["attendees"] if a["role"] != "social_worker"
    ]
    result = check_document(doc)
    outcome = result.criterion("mandatory-attendees").outcome
    assert outcome.summary == (
        "PEP meeting, Attendees: no social worker is recorded; Carer is not recorded as present"
    )
    assert result.rating == "Red"  # Peterborough's Amber needs the mandatory attendees


def test_ppp_amounts_that_do_not_add_up_are_not_linked():
    doc = load(PEPS / "st-school-age-ehcp.json")
    doc["pupil_premium"]["request_amount"] = 900
    outcome = _outcome(doc, "ppp-linked")
    assert (outcome.result, outcome.summary) == (
        "not_met",
        "the targets' amounts add up to £700.00, not the £900.00 requested",
    )


def test_ppp_with_no_target_amounts_is_not_linked():
    doc = load(PEPS / "cb-school-age-ehcp.json")
    for target in doc["targets"]:
        target.pop("ppp_amount", None)
    outcome = _outcome(doc, "ppp-linked")
    assert (outcome.result, outcome.summary) == (
        "not_met",
        "no target has a Pupil Premium Plus (£) amount",
    )


def test_a_criterion_that_does_not_apply_says_why_and_does_not_count():
    result = check_document(load(PEPS / "cb-early-years-review.json"))
    reading = result.criterion("reading-age")
    assert (reading.result, reading.outcome.summary) == (
        "not_applicable",
        "Not applicable: 'Phase' is Early years (applies to Statutory school age).",
    )
    assert "reading-age" not in result.not_met


def test_school_change_needs_the_virtual_school_head_ticked():
    doc = load(PEPS / "st-school-age-ehcp.json")
    doc["education_setting"]["school_change"] = {
        "planned": True,
        "discussed_with_virtual_school_head": False,
        "details": "A move to a special school nearer the new placement is being considered.",
    }
    outcome = _outcome(doc, "school-change-planning")
    assert outcome.summary == (
        "Education setting, School change planning: 'Discussed with the Virtual School Head' "
        "is not answered Yes"
    )


def test_rating_is_the_first_level_whose_conditions_hold():
    rating = [
        {"level": "Good", "max_not_met": 0},
        {"level": "Satisfactory", "max_not_met": 3, "must_meet": ["views", "smart"]},
        {"level": "Unsatisfactory"},
    ]
    assert decide(rating, []) == ("Good", "Every criterion that applies is met.")
    assert decide(rating, ["a", "b"])[0] == "Satisfactory"
    assert decide(rating, ["a", "b", "c", "d"]) == (
        "Unsatisfactory",
        "4 criteria not met; not Good: 4 not met (none allowed); "
        "not Satisfactory: 4 not met (at most 3 allowed).",
    )
    assert decide(rating, ["smart"])[1] == (
        "1 criterion not met; not Good: 1 not met (none allowed); "
        "not Satisfactory: smart must be met."
    )
