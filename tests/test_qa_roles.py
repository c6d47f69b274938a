"""The `x-qa` roles: where the checker, the cohort report and next-term find things in a PEP.

The expected pointers below are the spec: they are what the hand-written `qa/fields.json` map
held before the roles moved into the schema, written down once so that a role moved to another
field, lost, or given to two fields fails here by name.
"""

from __future__ import annotations

import copy

import pytest

from pep_docs.errors import SchemaError
from pep_docs.qa.fields import NEEDED_ROLES, QaFields, load_qa_fields
from pep_docs.schema import PepModel, load_schema

ROLE_POINTERS = {
    "phase": "/phase",
    "term": "/term",
    "authority": "/authority",
    "child_id": "/child_id",
    "date_of_birth": "/child/date_of_birth",
    "year_group": "/child/nc_year",
    "school": "/education_setting/name",
    "meeting": "/meeting",
    "meeting.type": "/meeting/type",
    "meeting.date": "/meeting/date",
    "next_meeting": "/meeting/next_meeting",
    "next_meeting.date": "/meeting/next_meeting/date",
    "attendees": "/meeting/attendees",
    "attendee.name": "/meeting/attendees/*/name",
    "attendee.role": "/meeting/attendees/*/role",
    "attendee.attendance": "/meeting/attendees/*/attendance",
    "targets": "/targets",
    "target.area": "/targets/*/area",
    "target.text": "/targets/*/target",
    "target.measure": "/targets/*/success_measure",
    "target.by_when": "/targets/*/by_when",
    "target.actions": "/targets/*/staff_actions",
    "target.ppp_amount": "/targets/*/ppp_amount",
    "previous_targets": "/previous_targets",
    "attendance.term_percent": "/attendance/term_percent",
    "sdq.score": "/wellbeing/sdq_score",
    "reading_age.years": "/attainment/reading_age/years",
    "reading_age.months": "/attainment/reading_age/months",
    "reading_age.test_date": "/attainment/reading_age/test_date",
    "ppp.request_amount": "/pupil_premium/request_amount",
    "ppp.request_purpose": "/pupil_premium/request_purpose",
    "qa.date_received": "/qa/date_received",
    "qa.reviewer": "/qa/reviewer",
    "qa.date": "/qa/qa_date",
    "qa.rating": "/qa/rating",
    "qa.amendments": "/qa/amendments_required",
    "qa.feedback": "/qa/feedback",
}

# Evidence of need per target area (the R of SMART), in form order.
NEEDS = {
    "literacy": (
        "/attainment/subjects",
        "/attainment/reading_age/years",
        "/attainment/early_years",
    ),
    "numeracy": ("/attainment/subjects", "/attainment/early_years"),
    "curriculum": ("/attainment/subjects",),
    "attendance": ("/attendance/term_percent", "/attendance/sessions_missed"),
    "wellbeing": ("/wellbeing/sdq_score", "/wellbeing/emotional_wellbeing"),
    "behaviour": (
        "/attendance/suspensions",
        "/attendance/comments",
        "/wellbeing/emotional_wellbeing",
    ),
    "send": ("/send/primary_need", "/send/provision"),
    # fields.json listed /education_setting/neet_plan last; the form shows it first.
    "careers": ("/education_setting/neet_plan", "/careers/aspirations", "/careers/next_steps"),
    "independence": ("/child_views/aspirations", "/carer_views/aspirations"),
    "early_years": ("/attainment/early_years",),
}

CARRY = (
    "/$schema",
    "/authority",
    "/phase",
    "/child_id",
    "/child",
    "/social_care",
    "/contacts",
    "/education_setting",
    "/send/status",
)


def test_every_role_the_qa_code_needs_resolves_to_the_old_maps_pointer():
    fields = load_qa_fields()
    assert set(NEEDED_ROLES) == set(ROLE_POINTERS)
    assert {role: fields.pointer(role) for role in NEEDED_ROLES} == ROLE_POINTERS


def test_columns_are_named_as_their_rows_hold_them():
    fields = load_qa_fields()
    assert [
        fields.column(r) for r in ("attendee.name", "attendee.role", "attendee.attendance")
    ] == [
        "name",
        "role",
        "attendance",
    ]
    assert [
        fields.column(f"target.{part}")
        for part in ("area", "text", "measure", "by_when", "actions", "ppp_amount")
    ] == ["area", "target", "success_measure", "by_when", "staff_actions", "ppp_amount"]


def test_evidence_of_need_and_next_term_carry_resolve_to_the_old_maps_pointers():
    fields = load_qa_fields()
    assert fields.needs == NEEDS
    assert fields.carry == CARRY
    assert fields.next_term_values("meeting.type") == {"initial": "review"}


def test_the_schema_has_no_roles_the_qa_code_does_not_know():
    model = PepModel(load_schema())
    assert set(model.roles) == set(NEEDED_ROLES)


def _schema_with(change) -> dict:
    schema = copy.deepcopy(load_schema())
    change(schema)
    return schema


def _refused(change) -> str:
    """The error a changed schema is refused with, by the model or by the QA roles."""
    with pytest.raises(SchemaError) as err:
        QaFields(PepModel(_schema_with(change), source="pep.schema.json"))
    return str(err.value)


def _targets_column(schema: dict, name: str) -> dict:
    return schema["properties"]["targets"]["items"]["properties"][name]


def test_a_role_given_to_two_fields_is_refused_naming_both():
    def change(schema):
        _targets_column(schema, "child_actions")["x-qa"] = {"role": "target.actions"}

    assert _refused(change) == (
        "pep.schema.json: the x-qa role 'target.actions' is given to both "
        "/targets/*/staff_actions and /targets/*/child_actions "
        "(a role names one node: keep it on one of them)"
    )


def test_a_missing_role_is_refused_naming_it():
    def change(schema):
        del _targets_column(schema, "by_when")["x-qa"]

    assert _refused(change) == (
        "pep.schema.json: nothing in the PEP schema has the x-qa role 'target.by_when', which "
        'the QA checker needs (add "x-qa": {"role": "target.by_when"} to the field; '
        "see docs/qa.md)"
    )


def test_a_column_role_outside_its_table_is_refused():
    def change(schema):
        del _targets_column(schema, "by_when")["x-qa"]
        previous = schema["properties"]["previous_targets"]["items"]["properties"]["target"]
        previous["x-qa"] = {"role": "target.by_when"}

    assert _refused(change) == (
        "pep.schema.json: the x-qa role 'target.by_when' must be a column of the 'targets' "
        "table (/targets), not /previous_targets/*/target (move the role to a column of /targets)"
    )


def test_a_role_on_the_wrong_kind_of_node_is_refused():
    def change(schema):
        meeting = schema["properties"]["meeting"]
        del meeting["x-qa"]
        meeting["properties"]["time"]["x-qa"] = {"role": "meeting"}

    assert _refused(change) == (
        "pep.schema.json: the x-qa role 'meeting' must be on a group, not the field /meeting/time"
    )


def test_an_unknown_x_qa_key_is_refused():
    def change(schema):
        schema["properties"]["wellbeing"]["properties"]["sdq_score"]["x-qa"]["needs"] = ["send"]

    assert _refused(change) == (
        "pep.schema.json: x-qa at /wellbeing/sdq_score takes only carry, need, next_term, role; "
        "found needs (see the x-qa table in the README)"
    )


def test_evidence_for_an_area_targets_cannot_have_is_refused():
    def change(schema):
        schema["properties"]["wellbeing"]["properties"]["sdq_score"]["x-qa"]["need"] = ["mood"]

    assert _refused(change) == (
        "pep.schema.json: x-qa need names 'mood' at /wellbeing/sdq_score, which is not a target "
        "area (/targets/*/area) (use one of: literacy, numeracy, curriculum, attendance, "
        "wellbeing, behaviour, send, careers, independence, early_years)"
    )


def test_a_next_term_value_the_field_cannot_hold_is_refused():
    def change(schema):
        meeting_type = schema["properties"]["meeting"]["properties"]["type"]
        meeting_type["x-qa"]["next_term"] = {"initial": "annual"}

    assert _refused(change) == (
        "pep.schema.json: x-qa next_term at /meeting/type names 'annual', which the field cannot "
        "hold (use values of its enum: initial, review, dt_review)"
    )
