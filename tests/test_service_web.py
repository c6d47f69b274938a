"""The web service in one process (embedded jobs): sign-in, CSRF, headers, uploads, who sees what.

Jobs run on the app's own threads here, with the same job code the RQ workers run
(tests/test_service_jobs.py runs it with a real redis-server and real worker processes).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from pep_docs.db import AuditEvent, Return, session_scope
from pep_docs.forms import prepare
from pep_docs.render import render
from pep_docs.web import create_app
from pep_docs.web.auth import create_user
from tests.conftest import PEPS, expected, load
from tests.service import PASSWORD, csrf_token, wait_for

FIXTURE = PEPS / "cb-weak-late-return.json"


@pytest.fixture(scope="module")
def forms() -> dict[str, bytes]:
    spec = prepare(data=load(FIXTURE))
    return {"docx": render(spec, "docx"), "pdf": render(spec, "pdf")}


def with_officers(app):
    """The app with an officer of Central Bedfordshire and one of Peterborough, their API
    tokens in `app.tokens` ("cb", "pb")."""
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        app.tokens = {
            "cb": create_user(db, "officer@cb.example.invalid", PASSWORD,
                              "central-bedfordshire", api_token=True),
            "pb": create_user(db, "officer@pb.example.invalid", PASSWORD,
                              "peterborough", api_token=True),
        }  # fmt: skip
    return app


@pytest.fixture
def app(tmp_path):
    app = with_officers(create_app({"DATA_DIR": str(tmp_path / "data"), "SECURE_COOKIES": True}))
    yield app
    from pep_docs.jobs import forget_dispatchers

    forget_dispatchers()


def signed_in(app, email="officer@cb.example.invalid"):
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})  # fmt: skip
    assert answer.status_code == 302, answer.text
    return client


def upload(client, files):
    token = csrf_token(client.get("/returns").text)
    return client.post(
        "/returns",
        data={"csrf_token": token, "file": [(io.BytesIO(d), n) for n, d in files]},
        content_type="multipart/form-data",
    )


def finished(app, ids):
    settings = app.config["PEP_DOCS"]

    def all_done():
        with session_scope(settings.database_url) as db:
            rows = [db.get(Return, i) for i in ids]
            return rows if all(r.status in ("done", "failed") for r in rows) else None

    return wait_for(all_done, 120, "the returns to be read")


def test_every_page_needs_sign_in_and_every_api_call_a_token(app):
    client = app.test_client()
    # A form's token is had without signing in (the sign-in page's own form), so every form
    # that changes something is tried with one: what stops it must be the sign-in.
    token = csrf_token(client.get("/sign-in").text)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "health", "auth.sign_in"):
            continue
        url = re.sub(r"<[^>]+>", "abc123", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method, data=None if method == "GET" else
                                 {"csrf_token": token})  # fmt: skip
            if rule.rule.startswith("/api/"):
                assert answer.status_code == 401, (method, url)
                assert answer.json["error"]["code"] == "unauthorised"
            else:
                assert answer.status_code == 302, (method, url)
                assert answer.headers["Location"].startswith("/sign-in?next="), (method, url)
            checked += 1
    assert checked >= 20


def test_sign_in_refuses_a_wrong_password_and_sets_safe_cookies(app):
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    wrong = client.post("/sign-in", data={"email": "officer@cb.example.invalid",
                                          "password": "not it at all", "csrf_token": token})  # fmt: skip
    assert wrong.status_code == 401
    assert "Enter a correct e-mail address and password" in wrong.text
    right = client.post("/sign-in?next=//evil.example/x", data={
        "email": "Officer@CB.example.invalid", "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert right.status_code == 302 and right.headers["Location"] == "/returns"
    cookie = right.headers["Set-Cookie"]
    assert "pep_docs_session=" in cookie
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {p.strip() for p in cookie.split(";")}
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["sign-in.failed", "sign-in"]


def test_forms_without_the_csrf_token_are_refused(app, forms):
    client = signed_in(app)
    answer = client.post("/returns", data={"file": [(io.BytesIO(forms["docx"]), "a.docx")]},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400
    assert "The form had expired or was sent from another site" in answer.text
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        assert db.scalars(select(Return)).all() == []


def test_security_headers_on_every_answer(app):
    for answer in (app.test_client().get("/sign-in"), app.test_client().get("/api/v1/returns/x")):
        h = answer.headers
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert h["Cache-Control"] == "no-store"
        assert h["Referrer-Policy"] == "no-referrer"


def test_a_word_and_a_pdf_return_are_read_checked_and_shown(app, forms):
    client = signed_in(app)
    answer = upload(
        client, [("Returned PEP.docx", forms["docx"]), ("Returned PEP.pdf", forms["pdf"])]
    )
    assert answer.status_code == 302
    assert "2 files received" in client.get("/returns").text
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        ids = [r.id for r in db.scalars(select(Return).order_by(Return.original_name))]
    rows = finished(app, ids)
    want = expected(FIXTURE)["qa"]
    doc = load(FIXTURE)
    for row in rows:
        assert (row.status, row.error, row.rating) == ("done", None, want["rating"])
        assert row.check["not_met"] == want["not_met"]
        assert row.extraction["data"] == doc
        assert row.child_name == f"{doc['child']['first_name']} {doc['child']['last_name']}"
        page = client.get(f"/returns/{row.id}").text
        assert f'data-rating="{want["rating"]}"' in page
        first_missed = next(c for c in row.check["criteria"] if c["result"] == "not_met")
        assert first_missed["text"] in page and first_missed["summary"] in page
        assert doc["child"]["first_name"] in page
        data = client.get(f"/returns/{row.id}/data.json")
        assert data.headers["Content-Disposition"] == f"attachment; filename=return-{row.id}.json"
        assert json.loads(data.data)["extraction"]["data"] == doc
        original = client.get(f"/returns/{row.id}/original")
        assert original.data == forms[row.kind]
        assert original.headers["Content-Type"] == "application/octet-stream"
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        events = [(e.action, e.object_id, e.detail) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "return").order_by(AuditEvent.id))]  # fmt: skip
    for row in rows:
        assert ("return.view", row.id, None) in events
        assert ("return.download", row.id, "json") in events
        assert ("return.download", row.id, "original") in events
        assert ("return.upload", row.id, f"{row.size} bytes") in events


def test_the_same_file_twice_is_one_return(app, forms):
    client = signed_in(app)
    upload(client, [("a.docx", forms["docx"])])
    upload(client, [("copy of a.docx", forms["docx"])])
    assert "1 had been uploaded before and is not read twice" in client.get("/returns").text
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        assert [r.original_name for r in db.scalars(select(Return))] == ["a.docx"]


def test_a_file_that_is_not_a_form_is_kept_with_its_reason(app):
    client = signed_in(app)
    upload(client, [("notes.pdf", b"MZ\x90\x00 this is a program, not a PDF")])
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        row = db.scalars(select(Return)).one()
    assert (row.status, row.kind) == ("failed", "other")
    assert row.error == ("this is not a Word (.docx) or PDF file, so it is kept but not read: "
                         "ask the school for the PEP form")  # fmt: skip
    page = client.get(f"/returns/{row.id}").text
    assert "This file could not be read" in page and "download the original file" in page
    assert client.get(f"/returns/{row.id}/original").data.startswith(b"MZ\x90\x00")


def test_hostile_file_names_are_shown_harmlessly_and_never_used_as_paths(app, forms):
    client = signed_in(app)
    name = "../../etc/\u202eevil\x07<img src=x onerror=alert(1)>" + "a" * 5000 + ".docx"
    upload(client, [(name, forms["docx"])])
    settings = app.config["PEP_DOCS"]
    with session_scope(settings.database_url) as db:
        row = db.scalars(select(Return)).one()
    assert "/" not in row.original_name and "\u202e" not in row.original_name
    assert "\x07" not in row.original_name and len(row.original_name) == 120
    assert row.original_name.startswith("evil<img src=x onerror=alert(1)>aaa")
    assert row.original_name.endswith("….docx")
    page = client.get("/returns").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;aaa" in page
    stored = sorted(p.name for p in (settings.data_dir / "uploads").iterdir())
    assert stored == [row.stored_name] and re.fullmatch(r"[0-9a-f]{32}", row.stored_name)


def test_an_upload_over_the_limit_gets_413_before_anything_is_read(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path / "d"), "MAX_UPLOAD_MB": 1})
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        token = create_user(db, "a@example.invalid", PASSWORD, "peterborough", api_token=True)
    answer = app.test_client().post(
        "/api/v1/returns", headers={"Authorization": f"Bearer {token}"},
        data={"file": [(io.BytesIO(b"%PDF-1.7" + b"0" * (2 * 1024 * 1024)), "big.pdf")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert answer.status_code == 413
    assert answer.json == {"error": {"status": 413, "code": "too_large", "message":
                           "The upload is larger than 1 MB. Upload fewer files at a time."}}  # fmt: skip
    assert list((tmp_path / "d" / "uploads").iterdir()) == []


def test_a_user_of_another_authority_cannot_see_a_return(app, forms):
    client = signed_in(app)
    upload(client, [("a.docx", forms["docx"])])
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        row = db.scalars(select(Return)).one()
    other = signed_in(app, "officer@pb.example.invalid")
    for path in ("", "/data.json", "/original", "/status.json"):
        assert other.get(f"/returns/{row.id}{path}").status_code == 404
    assert row.original_name not in other.get("/returns").text
    answer = app.test_client().get(f"/api/v1/returns/{row.id}",
                                   headers={"Authorization": f"Bearer {app.tokens['pb']}"})  # fmt: skip
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"
    mine = app.test_client().get(f"/api/v1/returns/{row.id}",
                                 headers={"Authorization": f"Bearer {app.tokens['cb']}"})  # fmt: skip
    assert mine.status_code == 200 and mine.json["id"] == row.id


def test_the_api_sets_no_cookie_and_answers_in_one_error_shape(app, forms):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {app.tokens['cb']}"}
    answer = client.post("/api/v1/returns", headers=headers, data={},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400
    assert answer.json == {"error": {"status": 400, "code": "bad_request",
                           "message": "Send one or more files as multipart fields named 'file'"}}  # fmt: skip
    answer = client.post("/api/v1/returns", headers=headers,
                         data={"file": [(io.BytesIO(forms["pdf"]), "a.pdf")]},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 202 and "Set-Cookie" not in answer.headers
    (item,) = answer.json["returns"]
    assert item["url"] == f"http://localhost/api/v1/returns/{item['id']}"
    finished(app, [item["id"]])
    got = client.get(f"/api/v1/returns/{item['id']}", headers=headers).json
    assert set(got) == {"id", "url", "status", "error", "file", "extraction", "check",
                        "zip_members", "from_zips", "qa_record"}  # fmt: skip
    assert (got["zip_members"], got["from_zips"]) == ([], [])
    assert (got["status"], got["error"], got["check"]["rating"]) == (
        "done", None, expected(FIXTURE)["qa"]["rating"])  # fmt: skip


def test_everything_in_the_data_folder_is_private_to_the_service_user(app, forms):
    client = signed_in(app)
    upload(client, [("Returned PEP.docx", forms["docx"])])
    settings = app.config["PEP_DOCS"]
    with session_scope(settings.database_url) as db:
        finished(app, [r.id for r in db.scalars(select(Return))])
    modes = {
        str(p.relative_to(settings.data_dir)): oct(p.stat().st_mode & 0o777)
        for p in [settings.data_dir, *settings.data_dir.rglob("*")]
    }
    assert modes.pop("pep-docs.sqlite3") == "0o600"
    assert {m for name, m in modes.items() if name.endswith(("-wal", "-shm"))} <= {"0o600"}
    uploads = [m for name, m in modes.items() if name.startswith("uploads/")]
    assert uploads == ["0o600"]
    folders = {p for p in modes if (settings.data_dir / p).is_dir()}
    assert {modes[p] for p in folders} == {"0o700"}
    assert {m for p, m in modes.items() if p not in folders} == {"0o600"}


def test_pep_docs_audit_prints_who_did_what_to_a_return(app, forms, monkeypatch):
    from click.testing import CliRunner

    from pep_docs.cli import cli

    client = signed_in(app)
    upload(client, [("Returned PEP.docx", forms["docx"])])
    settings = app.config["PEP_DOCS"]
    with session_scope(settings.database_url) as db:
        (row,) = finished(app, [r.id for r in db.scalars(select(Return))])
    client.get(f"/returns/{row.id}")
    client.get(f"/returns/{row.id}/original")
    monkeypatch.setenv("PEP_DOCS_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["audit", "--object", row.id])
    assert result.exit_code == 0, result.output
    lines = [line.split(",", 1)[1] for line in result.output.splitlines()]
    assert lines == [
        "user,action,object_type,object_id,detail,remote",
        f"officer@cb.example.invalid,return.upload,return,{row.id},{row.size} bytes,127.0.0.1",
        f"officer@cb.example.invalid,return.view,return,{row.id},,127.0.0.1",
        f"officer@cb.example.invalid,return.download,return,{row.id},original,127.0.0.1",
    ]
    signed = CliRunner().invoke(cli, ["audit", "--user", "OFFICER@pb.example.invalid"])
    assert [line.split(",", 1)[1] for line in signed.output.splitlines()[1:]] == [
        "officer@pb.example.invalid,user.add,user,2,,"  # and nothing since
    ]


def test_a_return_page_shows_each_warning_once_and_the_notes(app, forms):
    """A Word return with a comment and a pasted picture: the warning at a question is shown
    once with its question's label (not the label twice), the comment with where it is; the
    list of returns counts its warnings and unread text."""
    from markupsafe import escape

    from tests.test_extract_docx_notes import AUTHOR, COMMENT, with_notes

    client = signed_in(app)
    upload(client, [("With notes.docx", with_notes(forms["docx"]))])
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        [row_id] = [r.id for r in db.scalars(select(Return))]
    [row] = finished(app, [row_id])
    assert row.status == "done"
    page = client.get(f"/returns/{row.id}").text
    picture = "Attainment and progress: 'Progress summary': a picture was pasted here"
    assert page.count(escape(picture)) == 1
    assert escape("'Progress summary': Attainment") not in page
    comment = f"a Word comment by {AUTHOR} on PEP meeting: 'Venue'"
    assert f'“{escape(COMMENT)}” <span class="hint">({escape(comment)})</span>' in page
    # The list says how much each return needs a look, without opening it.
    counts = [len(row.extraction["warnings"]), len(row.extraction["unmapped"])]
    assert counts == [5, 5]
    cells = re.findall(r'<td class="table__num">(\d*)</td>', client.get("/returns").text)
    assert cells == [str(n) for n in counts]
