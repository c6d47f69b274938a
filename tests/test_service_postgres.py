"""The service on PostgreSQL, as the README offers it (`PEP_DOCS_DATABASE_URL=postgresql+psycopg://`).

A real PostgreSQL server is started for the run (the `postgres` fixture in tests/conftest.py) and
each test has a new, empty database on it. The service paths whose SQL differs between SQLite and
PostgreSQL (JSON columns and the counts the returns list reads from them, datetime defaults, the
audit log, the pack's chunk rows) run here with exact values; the web test runs on SQLite too,
so the two databases are seen to give the same answers. The tables are made and changed by the
migrations, on both databases: tests/test_service_migrations.py.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pep_docs.db import AuditEvent, Pack, PackChunk, Return, engine_for, session_scope
from pep_docs.forms import prepare
from pep_docs.render import render
from pep_docs.web import create_app
from pep_docs.web.auth import create_user
from pep_docs.web.listing import listed_returns
from tests.conftest import PEPS, expected, load
from tests.service import PASSWORD, api, csrf_token, upload, wait_for
from tests.test_service_jobs import cohort_csv, make_stack, start_pack

FIXTURE = PEPS / "cb-weak-late-return.json"
CB = "officer@cb.example.invalid"
PB = "officer@pb.example.invalid"


@pytest.fixture(scope="module")
def forms() -> dict[str, bytes]:
    spec = prepare(data=load(FIXTURE))
    return {"docx": render(spec, "docx"), "pdf": render(spec, "pdf")}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """The service's database: its default SQLite file (""), or a new PostgreSQL database."""
    return request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url})
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        create_user(db, CB, PASSWORD, "central-bedfordshire")
        create_user(db, PB, PASSWORD, "peterborough")
    yield app
    from pep_docs.jobs import forget_dispatchers

    forget_dispatchers()


def sign_in(client, email: str, password: str) -> int:
    token = csrf_token(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": password,
                                           "csrf_token": token})  # fmt: skip
    return answer.status_code


def post_files(client, files: list[tuple[str, bytes]]) -> None:
    token = csrf_token(client.get("/returns").text)
    answer = client.post("/returns", content_type="multipart/form-data", data={
        "csrf_token": token, "file": [(io.BytesIO(d), n) for n, d in files]})  # fmt: skip
    assert answer.status_code == 302


def test_the_web_service_gives_the_same_answers_on_sqlite_and_postgresql(app, forms, monkeypatch):
    """Sign-in, uploads (one a duplicate, one not a form), the read jobs, the returns list with
    the warnings and unread text counted by the database, a return's page, the cohort report,
    and the audit log, each with exact values."""
    from tests.test_extract_docx_notes import with_notes

    settings = app.config["PEP_DOCS"]
    client = app.test_client()
    assert sign_in(client, CB, "not it at all") == 401
    assert sign_in(client, CB.upper(), PASSWORD) == 302
    notes = with_notes(forms["docx"])
    post_files(client, [("Returned PEP.docx", forms["docx"]), ("Returned PEP.pdf", forms["pdf"]),
                        ("With notes.docx", notes), ("notes.pdf", b"MZ\x90\x00 a program")])  # fmt: skip
    post_files(client, [("copy.docx", forms["docx"])])
    assert "1 had been uploaded before and is not read twice" in client.get("/returns").text

    def read() -> list[Return] | None:
        with session_scope(settings.database_url) as db:
            rows = db.scalars(select(Return).order_by(Return.uploaded)).all()
            return rows if all(r.status in ("done", "failed") for r in rows) else None

    rows = wait_for(read, 120, "the returns to be read")
    names = ["Returned PEP.docx", "Returned PEP.pdf", "With notes.docx", "notes.pdf"]
    want = expected(FIXTURE)["qa"]
    doc = load(FIXTURE)
    assert [(r.original_name, r.status, r.kind, r.rating) for r in rows] == [
        (names[0], "done", "docx", want["rating"]),
        (names[1], "done", "pdf", want["rating"]),
        (names[2], "done", "docx", want["rating"]),
        (names[3], "failed", "other", None),
    ]
    assert [r.extraction["data"] == doc for r in rows[:2]] == [True, True]
    assert rows[0].check["not_met"] == want["not_met"]
    assert rows[3].extraction is None and rows[3].error.startswith("this is not a Word")
    for row in rows:  # the datetime defaults: naive UTC, as written, and in upload order
        assert isinstance(row.uploaded, datetime) and row.uploaded.tzinfo is None
        assert row.uploaded <= row.updated
    assert sorted(r.uploaded for r in rows) == [r.uploaded for r in rows]

    # The list's counts come from the JSON column, counted by the database itself.
    with session_scope(settings.database_url) as db:
        # A file that was not read has no counts (SQLite says 0, PostgreSQL NULL): none is shown.
        listed = [(r.original_name, r.status, (w, u) if r.status == "done" else ())
                  for r, w, u in listed_returns(db, "central-bedfordshire")]  # fmt: skip
        assert listed_returns(db, "peterborough") == []
    counts = [(len(r.extraction["warnings"]), len(r.extraction["unmapped"])) for r in rows[:3]]
    assert counts == [(0, 0), (0, 0), (5, 5)]
    assert listed == [(names[3], "failed", ()), (names[2], "done", (5, 5)),
                      (names[1], "done", (0, 0)), (names[0], "done", (0, 0))]  # fmt: skip
    cells = re.findall(r'<td class="table__num">(\d*)</td>', client.get("/returns").text)
    assert cells == ["", "", "5", "5", "0", "0", "0", "0"]

    page = client.get(f"/returns/{rows[2].id}").text
    assert f'data-rating="{want["rating"]}"' in page
    assert page.count("Attainment and progress: &#39;Progress summary&#39;: a picture was pasted "
                      "here") == 1  # fmt: skip
    term = doc["term"]
    report = client.get("/report").text
    assert f"3 PEPs read for {term}." in report
    assert client.get(f"/report/page?term={term}").status_code == 200
    xlsx = client.get(f"/report?term={term}&download=1")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")

    other = app.test_client()
    assert sign_in(other, PB, PASSWORD) == 302
    assert other.get(f"/returns/{rows[0].id}").status_code == 404

    from pep_docs.cli import cli

    monkeypatch.setenv("PEP_DOCS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PEP_DOCS_DATABASE_URL", settings.database_url)
    audit = CliRunner().invoke(cli, ["audit"])
    assert audit.exit_code == 0, audit.output
    ids = {r.original_name: r.id for r in rows}
    uploads = [f"{CB},return.upload,return,{ids[n]},{r.size} bytes,127.0.0.1"
               for n, r in zip(names, rows, strict=True)]  # fmt: skip
    assert [line.split(",", 1)[1] for line in audit.output.splitlines()] == [
        "user,action,object_type,object_id,detail,remote",
        f"{CB},user.add,user,1,,",
        f"{PB},user.add,user,2,,",
        f"{CB},sign-in.failed,,,wrong password,127.0.0.1",
        f"{CB},sign-in,,,,127.0.0.1",
        *uploads,
        f"{CB},return.view,return,{ids['With notes.docx']},,127.0.0.1",
        f"{CB},report.view,report,{term},3 PEPs,127.0.0.1",
        f"{CB},report.download,report,{term},3 PEPs,127.0.0.1",
        f"{PB},sign-in,,,,127.0.0.1",
    ]
    at = [line.split(",", 1)[0] for line in audit.output.splitlines()[1:]]
    assert at == sorted(at) and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", a) for a in at)
    # The SQLite-only parts (its pragmas, its private file) leave a PostgreSQL service alone.
    sqlite_file = (settings.data_dir / "pep-docs.sqlite3").exists()
    assert sqlite_file == settings.database_url.startswith("sqlite:")
    dialect = engine_for(settings.database_url).dialect.name
    assert dialect == ("postgresql" if "postgresql" in settings.database_url else "sqlite")


def test_serve_and_rq_workers_read_returns_and_make_a_pack_on_postgresql(
    tmp_path, postgres_url, forms
):
    """`pep-docs users add`, `serve` and two `worker` processes on one PostgreSQL database: a
    return read by a worker, and a pack whose two chunks two workers make and count."""
    stack = make_stack(tmp_path, "rq", DATABASE_URL=postgres_url, PACK_CHUNK_SIZE=2)
    with stack.stack:
        (item,) = upload(stack.base, stack.token, [("pep.docx", forms["docx"])])
        got = stack.until(f"/api/v1/returns/{item['id']}", ("done", "failed"))
        assert (got["status"], got["error"]) == ("done", None), stack.logs()
        assert got["check"]["rating"] == expected(FIXTURE)["qa"]["rating"]
        assert got["extraction"]["data"] == load(FIXTURE)
        cohort = b"".join(cohort_csv("central-bedfordshire").splitlines(keepends=True)[:5])
        pack = start_pack(stack, cohort)
        got = stack.until(f"/api/v1/packs/{pack['id']}", ("done", "failed"), timeout=300)
        assert (got["status"], got["error"], got["problems"]) == ("done", None, []), stack.logs()
        assert got["progress"] == {"done": 4, "total": 4}
        code, data = api(stack.base, stack.token, "GET", f"/api/v1/packs/{pack['id']}/download")
        assert code == 200
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            suffixes = sorted(n.rsplit(".", 1)[-1] for n in z.namelist() if "/" in n)
        assert suffixes == ["docx"] * 4 + ["pdf"] * 4
    with session_scope(postgres_url) as db:
        row = db.get(Pack, pack["id"])
        assert (row.status, row.total, row.done, row.chunks, row.problems) == (
            "done", 4, 4, 2, [])  # fmt: skip
        chunks = db.scalars(select(PackChunk).where(PackChunk.pack_id == row.id)
                            .order_by(PackChunk.index)).all()  # fmt: skip
        assert [(c.index, c.status, c.children, c.attempts, len(c.manifest)) for c in chunks] == [
            (0, "done", 2, 1, 2),
            (1, "done", 2, 1, 2),
        ]
        actions = [(e.action, e.object_id) for e in db.scalars(
            select(AuditEvent).order_by(AuditEvent.id))]  # fmt: skip
    # Each poll of the return's status is a view: how many depends on how quickly it was read.
    assert ("return.view", item["id"]) in actions
    assert [a for a in actions if a[0] != "return.view"] == [
        ("user.add", "1"), ("return.upload", item["id"]), ("pack.start", pack["id"]),
        ("pack.download", pack["id"])]  # fmt: skip


def with_first_name(pdf: bytes, name: str) -> bytes:
    """The fillable form with the child's first name typed again as `name`."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    (field,) = [f.get_object() for f in writer._root_object["/AcroForm"]["/Fields"]
                if f.get_object().get("/T") == "/child/first_name"]  # fmt: skip
    field[NameObject("/V")] = TextStringObject(name)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_nul_character_typed_or_read_from_a_form_is_no_server_error(app, forms):
    """PostgreSQL's text cannot hold NUL, SQLite's can: a NUL typed into the sign-in form or an
    address, or kept in a returned PDF's field, is refused by neither. The extraction keeps
    what was read; on PostgreSQL the name shown in the list has U+FFFD in its place."""
    settings = app.config["PEP_DOCS"]
    client = app.test_client()
    assert sign_in(client, "officer\x00@cb.example.invalid", PASSWORD) == 401
    assert sign_in(client, CB, PASSWORD) == 302
    assert client.get("/report?term=2026%00-autumn").status_code == 200
    # A NUL kept in a field's value, as a PDF writer may keep it.
    post_files(client, [("Returned PEP.pdf", with_first_name(forms["pdf"], "An\x00na"))])

    def read() -> Return | None:
        with session_scope(settings.database_url) as db:
            row = db.scalars(select(Return)).one()
            return row if row.status in ("done", "failed") else None

    row = wait_for(read, 120, "the return to be read")
    kept = "\ufffd" if settings.database_url.startswith("postgresql") else "\x00"
    assert (row.status, row.error) == ("done", None)
    assert row.extraction["data"]["child"]["first_name"] == "An\x00na"
    assert row.child_name == f"An{kept}na {load(FIXTURE)['child']['last_name']}"
    with session_scope(settings.database_url) as db:
        events = [(e.action, e.object_id, e.detail) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action.like("sign-in%") | AuditEvent.action.like(
                "report%")).order_by(AuditEvent.id))]  # fmt: skip
    assert events == [("sign-in.failed", None, "unknown e-mail"), ("sign-in", None, None),
                      ("report.view", f"2026{kept}-autumn", "0 PEPs")]  # fmt: skip


def test_a_name_or_a_term_longer_than_its_column_is_kept_cut_on_either_database(app, forms):
    """SQLite keeps text longer than its column, PostgreSQL refuses the row: a 320-character
    first name in a returned form is read (the list shows the name cut to 255 characters, the
    extraction keeps it whole), and a long term typed into the report's address is audited."""
    settings = app.config["PEP_DOCS"]
    client = app.test_client()
    assert sign_in(client, CB, PASSWORD) == 302
    assert client.get("/report?term=" + "x" * 100).status_code == 200
    post_files(client, [("Returned PEP.pdf", with_first_name(forms["pdf"], "Anna" * 80))])

    def read() -> Return | None:
        with session_scope(settings.database_url) as db:
            row = db.scalars(select(Return)).one()
            return row if row.status in ("done", "failed") else None

    row = wait_for(read, 120, "the return to be read")
    assert (row.status, row.error) == ("done", None)
    assert row.extraction["data"]["child"]["first_name"] == "Anna" * 80
    assert row.child_name == "Anna" * 63 + "An…"  # 255 characters
    with session_scope(settings.database_url) as db:
        [term] = db.scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "report.view")).all()  # fmt: skip
    assert term == "x" * 63 + "…"


def test_a_postgresql_url_without_its_driver_says_how_to_install_it(monkeypatch):
    from pep_docs.errors import PepDocsError

    # As on a machine where pep-docs was installed without its `postgres` extra.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(PepDocsError) as raised:
        engine_for("postgresql+psycopg://pep@/pep_docs?host=/nowhere")
    assert str(raised.value) == (
        "PEP_DOCS_DATABASE_URL: the database driver 'psycopg' is not installed (install pep-docs "
        "with its PostgreSQL driver: pip install 'pep-docs[postgres]')"
    )
