"""A zip of returned forms uploaded to the service: the job unpacks it and each file in it becomes
a return of its own, read as if uploaded alone; a zip that is hostile or over the upload limits
is refused whole, with its reason, and kept.

The web service in one process (embedded jobs), as in tests/test_service_web.py; the same job
through a real redis-server and a real worker is in tests/test_service_jobs.py.
"""

from __future__ import annotations

import io
import random
import re
import warnings
import zipfile

import pytest
from sqlalchemy import select

from pep_docs import jobs
from pep_docs.db import AuditEvent, Return, ZipMember, session_scope
from pep_docs.forms import prepare
from pep_docs.render import render
from pep_docs.web import create_app
from pep_docs.web.auth import create_user
from tests.conftest import PEPS, load
from tests.school_fill import school_form
from tests.service import PASSWORD, wait_for
from tests.test_service_web import signed_in, upload

FINLEY, LEAH = PEPS / "cb-weak-late-return.json", PEPS / "cb-school-age-ehcp.json"
NOT_A_FORM = ("this is not a Word (.docx) or PDF file, so it is kept but not read: ask the "
              "school for the PEP form")  # fmt: skip
AGAIN = "ask the school to send the forms again, each on its own or in a new zip"
# What the Mac's Archive Utility adds beside each file: never a return.
MAC = {"__MACOSX/": b"", "__MACOSX/Oak Primary/": b"",
       "__MACOSX/Oak Primary/._Finley Ndlovu.docx": b"\0\5\26\7\0\2\0\0Mac OS X",
       "Oak Primary/.DS_Store": b"\0\0\0\1Bud1"}  # fmt: skip
# What Windows and Word leave in a folder a school zips (Word's lock file while the form is open).
WINDOWS = {"Oak Primary/Thumbs.db": b"\xd0\xcf\x11\xe0",
           "Oak Primary/desktop.ini": b"[.ShellClassInfo]",
           "Oak Primary/~$nley Ndlovu.docx": b"\x0bA Teacher" + b"\0" * 40}  # fmt: skip


@pytest.fixture(scope="module")
def forms() -> dict[str, bytes]:
    """Finley's form filled in Word by his school; Leah's as a PDF."""
    filled, _ = school_form(load(FINLEY))
    return {"Finley Ndlovu.docx": filled,
            "Leah Kowalski.pdf": render(prepare(data=load(LEAH)), "pdf")}  # fmt: skip


def zipped(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in entries.items():
            if name.endswith("/"):
                z.writestr(zipfile.ZipInfo(name), b"")  # a folder entry
            else:
                z.writestr(name, data)
    return out.getvalue()


def service(tmp_path, **settings):
    app = create_app({"DATA_DIR": str(tmp_path / "data"), **settings})
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        create_user(db, "officer@cb.example.invalid", PASSWORD, "central-bedfordshire")
    return app


@pytest.fixture
def app(tmp_path):
    yield service(tmp_path)
    jobs.forget_dispatchers()


def returns(app) -> dict[str, Return]:
    """Every return by its name, once every job has finished."""

    def finished():
        with session_scope(app.config["PEP_DOCS"].database_url) as db:
            rows = db.scalars(select(Return)).all()
            return rows if rows and all(r.status in ("done", "failed") for r in rows) else None

    # A zip's returns are made (and committed) before the zip itself is done.
    return {r.original_name: r for r in wait_for(finished, 180, "the returns to be read")}


def links(app) -> list[tuple[str, int, str, str]]:
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        return [(m.zip_id, m.position, m.return_id, m.name)
                for m in db.scalars(select(ZipMember).order_by(ZipMember.position))]  # fmt: skip


def test_a_zip_of_two_forms_becomes_three_returns_and_each_form_is_read(app, forms):
    client = signed_in(app)
    data = zipped({"Oak Primary/": b"", **{f"Oak Primary/{n}": d for n, d in forms.items()}})
    upload(client, [("term-forms.zip", data)])
    assert "1 file received" in client.get("/returns").text
    rows = returns(app)
    assert sorted(rows) == ["term-forms.zip", "term-forms.zip › Finley Ndlovu.docx",
                            "term-forms.zip › Leah Kowalski.pdf"]  # fmt: skip
    zip_row = rows["term-forms.zip"]
    finley, leah = rows["term-forms.zip › Finley Ndlovu.docx"], rows["term-forms.zip › Leah Kowalski.pdf"]  # fmt: skip
    message = "a zip of 2 forms: each is read as its own return (listed below)"
    assert (zip_row.status, zip_row.kind, zip_row.error) == ("done", "zip", message)
    assert zip_row.extraction is None
    for row, fixture, kind, name in ((finley, FINLEY, "docx", "Finley Ndlovu.docx"),
                                     (leah, LEAH, "pdf", "Leah Kowalski.pdf")):  # fmt: skip
        doc = load(fixture)
        assert (row.status, row.error, row.kind) == ("done", None, kind)
        assert row.extraction["data"] == doc
        assert row.child_name == f"{doc['child']['first_name']} {doc['child']['last_name']}"
        assert (row.authority, row.uploaded_by) == (zip_row.authority, zip_row.uploaded_by)
        assert (row.size, client.get(f"/returns/{row.id}/original").data) == (
            len(forms[name]), forms[name])  # fmt: skip
    # Positions 1 and 2: the folder entry is position 0 and makes no return.
    assert links(app) == [(zip_row.id, 1, finley.id, "Finley Ndlovu.docx"),
                          (zip_row.id, 2, leah.id, "Leah Kowalski.pdf")]  # fmt: skip

    page = client.get(f"/returns/{zip_row.id}").text
    assert "Zip of returned forms" in page and ">Unpacked<" in page and message in page
    assert "<dt>File</dt><dd>Zip of forms, " in page
    assert "The 2 files in this zip, each a return of its own" in page
    for row in (finley, leah):
        assert f'<a href="/returns/{row.id}">{row.original_name.split(" › ")[1]}</a>' in page
        assert row.child_name in page
        member_page = client.get(f"/returns/{row.id}").text
        assert (f'<dt>From the zip</dt><dd><a href="/returns/{zip_row.id}">term-forms.zip</a>, '
                f"where it is {row.original_name.split(' › ')[1]}</dd>") in member_page  # fmt: skip
    original = client.get(f"/returns/{zip_row.id}/original")
    assert original.data == data
    assert (
        original.headers["Content-Disposition"] == f"attachment; filename=return-{zip_row.id}.zip"
    )
    listing = client.get("/returns").text
    assert re.search(rf'{zip_row.id}">term-forms.zip</a>.*?>Unpacked<', listing, re.S)
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        events = [(e.action, e.object_id, e.detail, e.user_id) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action == "return.unpack").order_by(AuditEvent.id))]  # fmt: skip
    by = zip_row.uploaded_by
    assert events == [
        ("return.unpack", finley.id, f"{finley.size} bytes, from the zip {zip_row.id}", by),
        ("return.unpack", leah.id, f"{leah.size} bytes, from the zip {zip_row.id}", by),
        ("return.unpack", zip_row.id, message, by),
    ]

    # The same zip again is the same return, and its job run again makes nothing new.
    upload(client, [("term-forms again.zip", data)])
    assert "1 had been uploaded before and is not read twice" in client.get("/returns").text
    assert jobs.read_return(zip_row.id) == "done"
    # Even a job stopped before it finished, and run again, makes no second set.
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        db.get(Return, zip_row.id).status = "running"
    assert jobs.read_return(zip_row.id) == "done"
    again = returns(app)
    assert sorted(again) == sorted(rows) and again["term-forms.zip"].error == message
    assert len(links(app)) == 2


def test_the_forms_of_a_zip_uploaded_before_are_linked_not_read_twice(app, forms):
    client = signed_in(app)
    upload(client, [("Leah.pdf", forms["Leah Kowalski.pdf"])])
    returns(app)
    upload(client, [("term-forms.zip", zipped({f"x/{n}": d for n, d in forms.items()}))])
    rows = returns(app)
    assert sorted(rows) == ["Leah.pdf", "term-forms.zip", "term-forms.zip › Finley Ndlovu.docx"]
    assert rows["term-forms.zip"].error == ("a zip of 2 forms: each is read as its own return "
                                            "(listed below); 1 had been uploaded before and is "
                                            "not read twice")  # fmt: skip
    zip_id = rows["term-forms.zip"].id
    assert [(p, r, n) for _z, p, r, n in links(app)] == [
        (0, rows["term-forms.zip › Finley Ndlovu.docx"].id, "Finley Ndlovu.docx"),
        (1, rows["Leah.pdf"].id, "Leah Kowalski.pdf"),
    ]
    assert f'<a href="/returns/{zip_id}">term-forms.zip</a>' in client.get(
        f"/returns/{rows['Leah.pdf'].id}").text  # fmt: skip


def test_a_text_file_is_kept_unread_and_what_a_computer_adds_is_left_out(app, forms):
    client = signed_in(app)
    note = b"Finley's form is attached. Leah's follows next week.\n"
    data = zipped({"Oak Primary/Finley Ndlovu.docx": forms["Finley Ndlovu.docx"],
                   "Oak Primary/covering note.txt": note, **MAC, **WINDOWS})  # fmt: skip
    upload(client, [("term.zip", data)])
    rows = returns(app)
    assert sorted(rows) == ["term.zip", "term.zip › Finley Ndlovu.docx",
                            "term.zip › covering note.txt"]  # fmt: skip
    assert rows["term.zip"].status == "done"
    assert rows["term.zip"].error == (
        "a zip of 2 files: 1 form, read as its own return, and 1 file that is not a Word or "
        "PDF form, kept but not read (listed below)"
    )
    text = rows["term.zip › covering note.txt"]
    assert (text.status, text.kind, text.error) == ("failed", "other", NOT_A_FORM)
    assert client.get(f"/returns/{text.id}/original").data == note
    assert rows["term.zip › Finley Ndlovu.docx"].child_name == "Finley Ndlovu"
    assert [(p, n) for _z, p, _r, n in links(app)] == [(0, "Finley Ndlovu.docx"),
                                                       (1, "covering note.txt")]  # fmt: skip


def test_a_zip_inside_a_zip_is_kept_with_its_reason_not_unpacked(app, forms):
    client = signed_in(app)
    inner = zipped({"Leah Kowalski.pdf": forms["Leah Kowalski.pdf"]})
    upload(client, [("term.zip", zipped({"Finley Ndlovu.docx": forms["Finley Ndlovu.docx"],
                                         "more forms.zip": inner}))])  # fmt: skip
    rows = returns(app)
    assert sorted(rows) == ["term.zip", "term.zip › Finley Ndlovu.docx",
                            "term.zip › more forms.zip"]  # fmt: skip
    nested = rows["term.zip › more forms.zip"]
    assert (nested.status, nested.error) == ("failed", (
        "term.zip › more forms.zip: this is a zip inside another zip, and only the zip uploaded "
        "is unpacked (unzip it and upload the forms in it)"))  # fmt: skip
    assert rows["term.zip"].error == "a zip of 2 forms: each is read as its own return (listed below)"  # fmt: skip


def test_a_zip_of_more_files_than_one_upload_takes_is_refused_whole(tmp_path, forms):
    app = service(tmp_path, MAX_FILES_PER_UPLOAD=2)
    try:
        client = signed_in(app)
        data = zipped({"a/Finley Ndlovu.docx": forms["Finley Ndlovu.docx"],
                       "a/Leah Kowalski.pdf": forms["Leah Kowalski.pdf"],
                       "a/Leah again.pdf": forms["Leah Kowalski.pdf"], **MAC})  # fmt: skip
        upload(client, [("term.zip", data)])
        rows = returns(app)
        assert list(rows) == ["term.zip"]
        assert (rows["term.zip"].status, rows["term.zip"].error) == ("failed", (
            "term.zip: this zip holds 3 files, more than the 2 read from one upload, so none "
            "of them was read (split it into zips of up to 2 files and upload each)"))  # fmt: skip
        page = client.get(f"/returns/{rows['term.zip'].id}").text
        assert "This file could not be read" in page and "split it into zips of up to 2" in page
        assert ">Not unpacked<" in page and "Zip of forms, " in page
        assert client.get(f"/returns/{rows['term.zip'].id}/original").data == data
        assert links(app) == []
    finally:
        jobs.forget_dispatchers()


def test_a_zip_that_unzips_to_more_than_one_upload_takes_is_refused_whole(tmp_path, forms):
    app = service(tmp_path, MAX_UPLOAD_MB=1)
    try:
        client = signed_in(app)
        # 2 MB of four letters: compresses about 4:1, so no zip bomb, but over 1 MB unzipped.
        scan = "".join(random.Random(7).choices("ACGT", k=2 * 1024 * 1024)).encode()
        data = zipped({"Finley Ndlovu.docx": forms["Finley Ndlovu.docx"], "scan.txt": scan})
        assert len(data) < 1024 * 1024
        upload(client, [("term.zip", data)])
        rows = returns(app)
        assert list(rows) == ["term.zip"]
        assert rows["term.zip"].error == (
            "term.zip: the files in this zip come to 2 MB unzipped, more than the 1 MB of one "
            "upload, so none of them was read (split it into smaller zips and upload each)"
        )
    finally:
        jobs.forget_dispatchers()


def test_a_zip_bomb_in_a_zip_of_forms_is_refused_whole_and_the_zip_kept(app, forms):
    client = signed_in(app)
    bomb = b"\0" * (20 * 1024 * 1024)
    data = zipped({**{f"Oak Primary/{n}": d for n, d in forms.items()}, "Oak Primary/scan.pdf": bomb})  # fmt: skip
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("Oak Primary/scan.pdf")
    upload(client, [("term-forms.zip", data)])
    rows = returns(app)
    assert list(rows) == ["term-forms.zip"]
    assert rows["term-forms.zip"].kind == "zip"
    assert (rows["term-forms.zip"].status, rows["term-forms.zip"].error) == ("failed", (
        f"term-forms.zip: the part 'Oak Primary/scan.pdf' would inflate to 20971520 bytes (ratio "
        f"{info.file_size / info.compress_size:.0f}:1): refused as a possible zip bomb ({AGAIN})"))  # fmt: skip
    # Nothing is lost: the zip is kept as it came, for a person (or the school) to look at.
    assert client.get(f"/returns/{rows['term-forms.zip'].id}/original").data == data
    assert links(app) == []


def test_a_damaged_zip_keeps_the_refusal_it_had(app, forms):
    client = signed_in(app)
    data = zipped({f"x/{n}": d for n, d in forms.items()})
    upload(client, [("term.zip", data[: len(data) // 2])])
    rows = returns(app)
    assert (rows["term.zip"].status, rows["term.zip"].error) == ("failed", (
        "term.zip: the file is damaged or not a Word document (its zip structure is broken) "
        "(open it in Word and save it again as .docx)"))  # fmt: skip
    assert rows["term.zip"].kind == "docx"  # what it is cannot be told from a broken zip


def test_a_zip_of_more_entries_than_a_zip_may_have_is_refused_by_the_sandboxed_reader(app, forms):
    client = signed_in(app)
    entries = {f"x/{i}.txt": b"" for i in range(1500)}
    upload(
        client,
        [("term.zip", zipped({"Finley Ndlovu.docx": forms["Finley Ndlovu.docx"], **entries}))],
    )
    rows = returns(app)
    assert (rows["term.zip"].status, rows["term.zip"].error) == ("failed", (
        f"term.zip: the file holds 1501 parts, more than the 1000 allowed ({AGAIN})"))  # fmt: skip


def test_a_zip_bigger_than_one_form_may_be_is_unpacked_and_each_file_judged_alone(
    tmp_path, forms, monkeypatch
):
    monkeypatch.setenv("PEP_DOCS_MAX_FILE_BYTES", str(1024 * 1024))
    app = service(tmp_path)
    try:
        client = signed_in(app)
        photo = random.Random(3).randbytes(1536 * 1024)  # does not compress
        data = zipped({"Finley Ndlovu.docx": forms["Finley Ndlovu.docx"], "photo.jpg": photo})
        assert len(data) > 1024 * 1024
        upload(client, [("term.zip", data)])
        rows = returns(app)
        assert {n: (r.status, r.kind) for n, r in rows.items()} == {
            "term.zip": ("done", "zip"),
            "term.zip › Finley Ndlovu.docx": ("done", "docx"),
            "term.zip › photo.jpg": ("failed", "other"),
        }
        assert rows["term.zip › photo.jpg"].size == len(photo)
    finally:
        jobs.forget_dispatchers()


def test_two_entries_of_one_name_are_two_files(app, forms):
    """A zip may hold two entries of one name (zip tools append rather than replace): each is
    a file of its own, read from its own entry, not the last one twice."""
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: it is the test
        z.writestr("PEP.docx", forms["Finley Ndlovu.docx"])
        z.writestr("PEP.docx", forms["Leah Kowalski.pdf"])
    upload(signed_in(app), [("term.zip", out.getvalue())])
    returns(app)
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        read = {r.id: (r.kind, r.child_name) for r in db.scalars(select(Return))}
    assert [(p, n, read[r]) for _z, p, r, n in links(app)] == [
        (0, "PEP.docx", ("docx", "Finley Ndlovu")),
        (1, "PEP.docx", ("pdf", "Leah Kowalski")),
    ]
