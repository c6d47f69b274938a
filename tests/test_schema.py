"""The PEP schema: valid 2020-12, every leaf fully described, walked into the form's words."""

from __future__ import annotations

import jsonschema
import pytest

from pep_docs.schema import (
    LEAF_WIDGETS,
    PHASES,
    Field,
    Table,
    get_pointer,
    iter_values,
    load_model,
    load_schema,
    pattern_pointer,
    set_pointer,
)


def test_schema_passes_the_2020_12_metaschema():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://pep-docs.invalid/schemas/pep/1.0.0/pep.schema.json"


def test_every_leaf_has_title_description_type_and_form_hints():
    missing = []
    for f in load_model().fields():
        if not (f.title and f.description and f.type in ("string", "number", "integer", "boolean")):
            missing.append((f.pointer, "title/description/type"))
        if f.widget not in LEAF_WIDGETS:
            missing.append((f.pointer, "widget"))
        if not f.by:
            missing.append((f.pointer, "by"))
        if "enum" in f.schema and len(f.choices) != len(set(dict(f.choices).values())):
            missing.append((f.pointer, "labels"))
        if f.widget == "choice" and any(label == value for value, label in f.choices):
            missing.append((f.pointer, "a human label for every choice"))
        if f.widget == "date" and f.format != "date":
            missing.append((f.pointer, "format: date"))
    assert missing == []


def test_every_table_offers_rows_and_holds_plain_fields():
    tables = [n for n in load_model().walk() if isinstance(n, Table)]
    assert {t.pointer for t in tables} == {
        "/meeting/attendees",
        "/contacts/parents",
        "/contacts/other_professionals",
        "/education_setting/previous_settings",
        "/attainment/subjects",
        "/attainment/early_years",
        "/previous_targets",
        "/targets",
        "/pupil_premium/previous_spend",
        "/documents",
    }
    assert all(t.rows >= 2 and all(isinstance(c, Field) for c in t.columns) for t in tables)


def test_phases_show_their_own_fields():
    model = load_model()
    counts = {phase: len(list(model.fields(phase))) for phase in PHASES}
    assert counts == {"early_years": 154, "school_age": 159, "post_16": 162}
    post16 = {f.pointer for f in model.fields("post_16")}
    assert "/education_setting/eet_status" in post16 and "/child/upn" not in post16
    assert "/attainment/early_years/*/band" not in post16


def test_percentages_are_bounded_numbers_and_dates_are_dates():
    model = load_model()
    term = model.node("/attendance/term_percent")
    assert (term.type, term.schema["minimum"], term.schema["maximum"], term.unit) == (
        "number",
        0,
        100,
        "%",
    )
    assert model.node("/meeting/date").format == "date"


@pytest.mark.parametrize(
    "pointer,titles,expected",
    [
        ("/child_views/going_well", {}, "Child's views: 'What is going well?'"),
        (
            "/child_views/going_well",
            {"child_views": "Section C: Child's views"},
            "Section C: Child's views: 'What is going well?'",
        ),
        ("/targets/1/by_when", {}, "SMART targets, target 2: 'By when'"),
        ("/meeting/attendees/0/role", {}, "PEP meeting, Attendees, row 1: 'Role'"),
        ("/meeting/next_meeting/date", {}, "PEP meeting, Next PEP meeting: 'Date of next meeting'"),
        ("/education_setting", {}, "Education setting"),
        ("/child_id", {}, "'Child's local authority ID'"),
    ],
)
def test_describe_says_where_in_the_words_of_the_form(pointer, titles, expected):
    assert load_model().describe(pointer, titles) == expected


def test_pointers_resolve_and_round_trip():
    model = load_model()
    assert pattern_pointer("/targets/12/target") == "/targets/*/target"
    assert model.has("/targets/3/success_measure") and not model.has("/targets/3/nonsense")
    doc: dict = {}
    set_pointer(doc, "/targets/1/target", "Read daily")
    set_pointer(doc, "/child/first_name", "Zoë")
    assert doc == {"targets": [{}, {"target": "Read daily"}], "child": {"first_name": "Zoë"}}
    assert get_pointer(doc, "/targets/1/target") == "Read daily"
    assert get_pointer(doc, "/targets/5/target") is None
    assert list(iter_values(doc)) == [
        ("/child/first_name", "Zoë"),
        ("/targets/1/target", "Read daily"),
    ]


def test_shared_role_list_is_merged_from_defs_with_use_site_title():
    chair = load_model().node("/meeting/chair_role")
    assert chair.title == "Chair's role"
    assert chair.label_for("virtual_school") == "Virtual School education adviser"
