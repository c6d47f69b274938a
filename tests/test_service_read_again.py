"""A return that could not be read for a reason outside the file is read again when asked.

The same file uploaded again is the same return and is not read twice, so without "Read it again"
a form whose reading failed while the service was stopped or too busy could never be read. The
service runs in one process (embedded jobs, no retries); its reader fails once, as a stopped
worker would, then works.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pep_docs import jobs
from pep_docs.db import AuditEvent, session_scope
from pep_docs.forms import prepare
from pep_docs.render import render
from pep_docs.web.auth import create_user
from tests.conftest import PEPS, load
from tests.school_fill import school_form
from tests.service import PASSWORD, csrf_token
from tests.test_service_web import signed_in, upload
from tests.test_service_zip import returns, service

FINLEY, LEAH = PEPS / "cb-weak-late-return.json", PEPS / "cb-school-age-ehcp.json"
FAILED_ONCE = "an unexpected error (RuntimeError); the details are in the worker's log"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The service, whose reader fails the first time it reads each file."""
    read, seen = jobs._read_untrusted, set()

    def fails_once(path, where):
        if where not in seen:
            seen.add(where)
            raise RuntimeError("the worker was stopped")
        return read(path, where)

    monkeypatch.setattr(jobs, "_read_untrusted", fails_once)
    app = service(tmp_path, RETRIES=0)
    yield app
    jobs.forget_dispatchers()


def again(client, row):
    token = csrf_token(client.get(f"/returns/{row.id}").text)
    return client.post(f"/returns/{row.id}/again?show=not-read", data={"csrf_token": token})


def test_a_form_that_failed_is_read_when_asked_not_when_uploaded_again(app):
    client = signed_in(app)
    finley = ("Finley Ndlovu.docx", school_form(load(FINLEY))[0])
    upload(client, [finley])
    row = returns(app)["Finley Ndlovu.docx"]
    assert (row.status, row.error) == ("failed", FAILED_ONCE)

    page = upload(client, [finley]).headers["Location"]
    assert "0 files received; 1 had been uploaded before and is not read twice" in client.get(
        page).text  # fmt: skip
    assert returns(app)["Finley Ndlovu.docx"].status == "failed"
    page = client.get(f"/returns/{row.id}").text
    assert ">Read it again</button>" in page

    answer = again(client, row)
    assert (answer.status_code, answer.headers["Location"]) == (
        302, f"/returns/{row.id}?show=not-read")  # fmt: skip
    row = returns(app)["Finley Ndlovu.docx"]
    assert (row.status, row.error, row.rating) == ("done", None, "Satisfactory")
    assert row.extraction["data"] == load(FINLEY)
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        events = [(e.action, e.object_id) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action == "return.again"))]  # fmt: skip
    assert events == [("return.again", row.id)]

    # Read now: nothing to read again.
    assert ">Read it again</button>" not in client.get(f"/returns/{row.id}").text
    again(client, row)
    assert "Only a form that could not be read can be read again" in client.get(
        f"/returns/{row.id}").text  # fmt: skip
    assert returns(app)["Finley Ndlovu.docx"].updated == row.updated


def test_a_file_that_is_not_a_form_is_not_offered_to_be_read_again(app):
    client = signed_in(app)
    upload(client, [("letter.txt", b"Dear Virtual School, the PEP is attached.")])
    row = returns(app)["letter.txt"]
    assert (row.status, row.kind) == ("failed", "other")
    assert ">Read it again</button>" not in client.get(f"/returns/{row.id}").text


def test_the_api_reads_it_again(app):
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        token = create_user(db, "system@cb.example.invalid", PASSWORD, "central-bedfordshire",
                            api_token=True)  # fmt: skip
    client = signed_in(app)
    upload(client, [("Leah Kowalski.pdf", render(prepare(data=load(LEAH)), "pdf"))])
    row = returns(app)["Leah Kowalski.pdf"]
    assert row.status == "failed"
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    answer = api.post(f"/api/v1/returns/{row.id}/again", headers=headers)
    assert (answer.status_code, answer.json) == (202, {
        "id": row.id, "url": f"http://localhost/api/v1/returns/{row.id}", "status": "queued",
        "note": None})  # fmt: skip
    assert returns(app)["Leah Kowalski.pdf"].status == "done"
    answer = api.post(f"/api/v1/returns/{row.id}/again", headers=headers)
    assert (answer.status_code, answer.json["error"]["message"]) == (
        422, "Only a form that could not be read can be read again")  # fmt: skip
