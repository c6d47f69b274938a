"""The Virtual School's QA record of a return, on its page and through the API.

A real return is uploaded and read by the service in one process (embedded jobs): Finley's form,
filled in Word by his school and returned late, so one Central Bedfordshire criterion is not met.
The record's questions are the PEP's own QA section; the officer saves, corrects and re-saves it.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from pep_docs import jobs
from pep_docs.db import AuditEvent, QaRecord, session_scope
from pep_docs.web.auth import create_user
from tests.conftest import PEPS, load
from tests.school_fill import school_form
from tests.service import PASSWORD, csrf_token
from tests.test_service_web import signed_in, upload
from tests.test_service_zip import returns, service

FINLEY = PEPS / "cb-weak-late-return.json"
OFFICER = "officer@cb.example.invalid"
ADVICE = "Return the completed PEP within 5 school days of the meeting."


@pytest.fixture
def app(tmp_path):
    app = service(tmp_path)
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        create_user(db, "officer@pb.example.invalid", PASSWORD, "peterborough")
    yield app
    jobs.forget_dispatchers()


@pytest.fixture
def finley(app):
    """Finley's return, read: (client signed in as the officer, the return)."""
    client = signed_in(app)
    upload(client, [("Finley Ndlovu.docx", school_form(load(FINLEY))[0])])
    row = returns(app)["Finley Ndlovu.docx"]
    assert (row.status, row.rating) == ("done", "Satisfactory")
    return client, row


def inputs(page: str) -> dict[str, str]:
    """The QA form's answers as the page holds them: text inputs, the textarea, checked radios."""
    form = page[page.index('<section id="qa"') : page.index("</section>")]
    found = {n: html.unescape(v) for n, v in
             re.findall(r'<input class="input[^"]*" id="qa-\w+" name="(\w+)" type="\w+" value="([^"]*)"', form)}  # fmt: skip
    found.update((n, html.unescape(v)) for n, v in
                 re.findall(r'<textarea class="textarea" id="qa-\w+" name="(\w+)"[^>]*>([^<]*)</textarea>', form))  # fmt: skip
    found.update(re.findall(r'name="(\w+)" value="([^"]*)" checked>', form))
    return found


def save(client, row, answers: dict[str, str], query: str = ""):
    token = csrf_token(client.get(f"/returns/{row.id}").text)
    return client.post(f"/returns/{row.id}/qa{query}", data={"csrf_token": token, **answers})


def record(app, row) -> QaRecord | None:
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        return db.get(QaRecord, row.id)


def test_a_new_record_is_suggested_from_the_upload_the_officer_and_the_criteria(finley):
    client, row = finley
    page = client.get(f"/returns/{row.id}").text
    assert "Quality assurance by the Virtual School" in page and "Not yet recorded." in page
    assert inputs(page) == {
        "date_received": "23/11/2026",  # what the form says comes first
        "reviewer": OFFICER,
        "qa_date": date.today().strftime("%d/%m/%Y"),
        "rating": "Satisfactory",
        "feedback": ADVICE,
    }
    # The questions are the schema's QA section, the rating the authority's levels.
    assert re.findall(r"<legend class=\"fieldset__legend\">([^<]*)</legend>", page) == [
        "Rating", "Amendments required"]  # fmt: skip
    assert re.findall(r'name="rating" value="(\w+)"', page) == ["Good", "Satisfactory",
                                                                "Unsatisfactory"]  # fmt: skip


def test_a_form_without_the_virtual_school_s_part_is_suggested_the_upload_s_date(app):
    client = signed_in(app)
    pep = {k: v for k, v in load(FINLEY).items() if k != "qa"}
    upload(client, [("Finley Ndlovu.docx", school_form(pep)[0])])
    row = returns(app)["Finley Ndlovu.docx"]
    page = client.get(f"/returns/{row.id}").text
    assert inputs(page)["date_received"] == row.uploaded.date().strftime("%d/%m/%Y")


def test_the_record_is_saved_typed_shown_audited_and_downloaded(app, finley):
    client, row = finley
    # Received the day after the meeting (5 November), not the 23rd the form says: on time.
    answer = save(client, row, {
        "date_received": "06/11/2026", "reviewer": "A. Officer", "qa_date": "27 Nov 2026",
        "rating": "Unsatisfactory", "amendments_required": "true",
        "feedback": "Late again.\r\nPlease send the next one within 5 school days.",
    }, query="?show=to-check")  # fmt: skip
    assert (answer.status_code, answer.headers["Location"]) == (
        302, f"/returns/{row.id}?show=to-check#qa")  # fmt: skip
    saved = record(app, row)
    assert saved.answers == {
        "date_received": "2026-11-06", "reviewer": "A. Officer", "qa_date": "2026-11-27",
        "rating": "Unsatisfactory", "amendments_required": True,
        "feedback": "Late again.\nPlease send the next one within 5 school days.",
    }  # fmt: skip
    page = client.get(f"/returns/{row.id}").text
    assert f"Recorded by {OFFICER} on " in page and "The QA record is saved" in page
    assert inputs(page) == {"date_received": "06/11/2026", "reviewer": "A. Officer",
                            "qa_date": "27/11/2026", "rating": "Unsatisfactory",
                            "amendments_required": "true",
                            "feedback": "Late again.\nPlease send the next one within 5 "
                                        "school days."}  # fmt: skip

    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        events = [(e.action, e.object_id, e.detail) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action == "return.qa"))]  # fmt: skip
    assert events == [("return.qa", row.id, (
        "Date received: 2026-11-06; Reviewer: A. Officer; Date of QA: 2026-11-27; Rating: "
        "Unsatisfactory; Amendments required: Yes; Feedback: 58 characters"))]  # fmt: skip

    # The criteria again, with the date the Virtual School received it: every one met now.
    assert 'Quality rating: <span class="rating" data-rating="Good">Good</span>' in page
    assert returns(app)["Finley Ndlovu.docx"].rating == "Good"
    data = json.loads(client.get(f"/returns/{row.id}/data.json").data)
    assert data["qa_record"]["answers"] == saved.answers
    assert data["qa_record"]["recorded_by"] == OFFICER
    assert (data["check"]["rating"], data["check"]["not_met"]) == ("Good", [])
    # The list shows what was recorded beside the criteria's rating.
    row_html = re.search(r"<tr>\s*<td><a href=\"/returns/\w+\">Finley Ndlovu.docx</a></td>.*?</tr>",
                         client.get("/returns").text, re.S).group(0)  # fmt: skip
    assert re.findall(r"<td>([^<]*(?:<strong[^>]*>[^<]*</strong>)?)</td>", row_html)[3:5] == [
        "Good", 'Unsatisfactory <strong class="tag tag--red">Amend</strong>']  # fmt: skip
    report = client.get("/report/page?term=2026-autumn").text  # the cohort report agrees
    assert re.findall(r"</span>(\w+)<div class=\"big\">(\d+)</div>", report) == [
        ("Good", "1"), ("Satisfactory", "0"), ("Unsatisfactory", "0")]  # fmt: skip
    # What the school's form said stays as it was read.
    assert data["extraction"]["data"]["qa"] == {"date_received": "2026-11-23"}

    # Saved again with answers taken out: replaced, not added to; with no date received the
    # return is not known to be on time any more.
    save(client, row, {"rating": "Good"})
    assert record(app, row).answers == {"rating": "Good"}
    assert returns(app)["Finley Ndlovu.docx"].rating == "Satisfactory"


def test_answers_that_do_not_fit_are_refused_with_why_and_kept_as_typed(app, finley):
    client, row = finley
    typed = {"date_received": "25/11/2026", "reviewer": "x" * 301, "qa_date": "31/11/2026",
             "rating": "Excellent", "amendments_required": "maybe", "feedback": "Fine."}  # fmt: skip
    answer = save(client, row, typed)
    assert answer.status_code == 400
    page = answer.text
    start = page.index("The QA record was not saved")
    summary = page[start : page.index("</ul>", start)]
    assert [html.unescape(m) for m in re.findall(r'<a href="#qa-\w+">([^<]*)</a>', summary)] == [
        "Quality assurance: 'Reviewer' is too long (301 characters; at most 300)",
        "'Date of QA': '31/11/2026' is not a date this form can read",
        "Choose one of Good, Satisfactory, Unsatisfactory for 'Rating'",
        "Choose one of Yes, No for 'Amendments required'",
    ]
    assert inputs(page) == {"date_received": "25/11/2026", "reviewer": "x" * 301,
                            "qa_date": "31/11/2026", "feedback": "Fine."}  # fmt: skip
    assert record(app, row) is None


def test_only_the_officers_of_the_authority_may_record_it_with_the_form_s_token(app, finley):
    client, row = finley
    answer = client.post(f"/returns/{row.id}/qa", data={"rating": "Good"})  # no CSRF token
    assert answer.status_code == 400 and record(app, row) is None
    other = signed_in(app, "officer@pb.example.invalid")
    token = csrf_token(other.get("/returns").text)
    answer = other.post(f"/returns/{row.id}/qa", data={"csrf_token": token, "rating": "Good"})
    assert answer.status_code == 404 and record(app, row) is None


def test_the_list_shows_the_returns_read_and_not_yet_quality_assured(finley):
    client, row = finley
    shown = "Read, not yet quality-assured ("
    assert f"{shown}1)" in client.get("/returns").text
    save(client, row, {"rating": "Satisfactory"})
    assert f"{shown}0)" in client.get("/returns").text


def test_the_api_records_it_with_the_same_questions_and_checks(app, finley):
    _, row = finley
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        token = create_user(db, "system@cb.example.invalid", PASSWORD, "central-bedfordshire",
                            api_token=True)  # fmt: skip
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def put(body):
        answer = client.put(f"/api/v1/returns/{row.id}/qa", json=body, headers=auth)
        return answer.status_code, answer.json

    assert put({"answers": {"rating": "Top"}}) == (422, {"error": {
        "status": 422, "code": "unprocessable",
        "message": "Choose one of Good, Satisfactory, Unsatisfactory for 'Rating'"}})  # fmt: skip
    assert put({"answers": {"grade": "Good"}})[1]["error"]["message"] == (
        "not a question of the QA record: grade (the questions: amendments_required, "
        "date_received, feedback, qa_date, rating, reviewer)")  # fmt: skip
    assert put({"rating": "Good"})[0] == 400
    code, body = put({"answers": {"rating": "Good", "amendments_required": False,
                                  "qa_date": "2026-11-27"}})  # fmt: skip
    assert code == 200
    assert (body["answers"], body["recorded_by"]) == (
        {"rating": "Good", "amendments_required": False, "qa_date": "2026-11-27"},
        "system@cb.example.invalid")  # fmt: skip
    got = client.get(f"/api/v1/returns/{row.id}", headers=auth).json
    assert got["qa_record"] == body
