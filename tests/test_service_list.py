"""The list of returns, narrowed and in pages: the page (`/returns`) and the API (`GET
/api/v1/returns`), on SQLite and on a real PostgreSQL server.

The returns are rows written straight into the database, each as a read would leave it (its
status, rating and stored extraction's warnings and unread text): what is tested here is which
rows the list shows and how many each choice holds, not the reading, which the other service
tests do through real uploads. Every person named is synthetic.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from pep_docs.db import Return, session_scope
from pep_docs.web import create_app
from pep_docs.web.auth import create_user
from pep_docs.web.listing import PAGE_SIZE
from tests.service import PASSWORD
from tests.test_service_web import signed_in

CB, PB = "officer@cb.example.invalid", "officer@pb.example.invalid"
START = datetime(2026, 11, 2, 9, 0)

# (file, child, status, kind, rating, warnings, unmapped), oldest first.
RETURNS = [
    ("Ava Example.docx", "Ava Example", "done", "docx", "Good", 0, 0),
    ("Łukasz Wiśniewski.pdf", "Łukasz Wiśniewski", "done", "pdf", "Satisfactory", 2, 0),
    ("scan.pdf", None, "failed", "pdf", None, None, None),
    ("Noah Test.docx", "Noah Test", "done", "docx", "Unsatisfactory", 0, 3),
    ("Oak Primary forms.zip", None, "done", "zip", None, None, None),
    ("Mia Sample.docx", "Mia Sample", "done", "docx", "Good", 1, 1),
    ("letter.txt", None, "failed", "other", None, None, None),
    ("Leo Example.pdf", "Leo Example", "running", "pdf", None, None, None),
    ("Zara Trial.docx", "Zara Trial", "queued", "docx", None, None, None),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    app = create_app({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url},
                     start_jobs=False)  # fmt: skip
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        create_user(db, CB, PASSWORD, "central-bedfordshire")
        create_user(db, PB, PASSWORD, "peterborough")
    return app


def add_returns(app, rows, authority: str = "central-bedfordshire") -> list[str]:
    """The rows as returns of `authority`, uploaded a minute apart; their ids, oldest first."""
    ids = []
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        for n, (file, child, status, kind, rating, warnings, unmapped) in enumerate(rows):
            extraction = None
            if status == "done" and kind != "zip":
                extraction = {"data": {}, "form": {"authority": authority}, "fields": {},
                              "warnings": [{"pointer": None, "field": None, "message": "w"}]
                              * warnings,
                              "unmapped": [{"text": "u", "where": "typed outside the form's "
                                            "boxes"}] * unmapped}  # fmt: skip
            record = Return(authority=authority, uploaded_by=1, original_name=file,
                            stored_name=f"{n:032x}", sha256=f"{authority}{n}", size=100 + n,
                            kind=kind, status=status, child_name=child, rating=rating,
                            extraction=extraction, uploaded=START + timedelta(minutes=n))  # fmt: skip
            db.add(record)
            db.flush()
            ids.append(record.id)
    return ids


def listed(page: str) -> list[str]:
    """The file names in the page's table, in order."""
    return re.findall(r'<td><a href="/returns/\w+(?:\?[^"]*)?">([^<]*)</a></td>', page)


def options(page: str, name: str) -> list[tuple[str, bool]]:
    """A select's options on the page: (text, selected)."""
    select = re.search(
        rf'<select class="select" id="{name}" name="{name}"[^>]*>(.*?)</select>', page
    )
    return [(text, bool(chosen)) for chosen, text in
            re.findall(r'<option value="[^"]*" ?(selected)?>([^<]*)</option>', select.group(1))]  # fmt: skip


def api_list(client, token: str, query: str = "") -> tuple[int, dict]:
    answer = client.get(f"/api/v1/returns{query}", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json


def test_the_list_narrows_to_what_needs_a_person_a_rating_or_a_name(app):
    add_returns(app, RETURNS)
    add_returns(app, [("Peterborough child.docx", "Ivy Other", "failed", "docx", None, 0, 0)],
                authority="peterborough")  # fmt: skip
    client = signed_in(app, CB)

    page = client.get("/returns").text
    assert listed(page) == [r[0] for r in reversed(RETURNS)]
    assert "9 returns, newest first" in page
    assert options(page, "show") == [
        ("All returns (9)", True),
        ("To check by hand (5)", False),
        ("Not read (2)", False),
        ("Read, not yet quality-assured (4)", False),
        ("Waiting or being read (2)", False),
    ]
    # Best first, as the profile orders its levels; only the ratings the returns have.
    assert options(page, "rating") == [("Any rating", False), ("Good", False),
                                       ("Satisfactory", False), ("Unsatisfactory", False)]  # fmt: skip
    assert 'data-refresh="5"' in page  # two returns are still being read

    page = client.get("/returns?show=to-check").text
    assert listed(page) == ["letter.txt", "Mia Sample.docx", "Noah Test.docx", "scan.pdf",
                            "Łukasz Wiśniewski.pdf"]  # fmt: skip
    assert "5 returns, newest first" in page
    assert ("To check by hand (5)", True) in options(page, "show")
    assert listed(client.get("/returns?show=not-read").text) == ["letter.txt", "scan.pdf"]
    assert listed(client.get("/returns?show=waiting").text) == ["Zara Trial.docx",
                                                                "Leo Example.pdf"]  # fmt: skip

    page = client.get("/returns?rating=Good").text
    assert listed(page) == ["Mia Sample.docx", "Ava Example.docx"]
    assert options(page, "show")[:2] == [  # the counts are of the rating's returns
        ("All returns (2)", True),
        ("To check by hand (1)", False),
    ]
    assert listed(client.get("/returns?show=to-check&rating=Good").text) == ["Mia Sample.docx"]

    # Any case, and letters beyond ASCII (SQLite and PostgreSQL's lower() would miss "ł").
    assert listed(client.get("/returns?name=%C5%82ukasz").text) == ["Łukasz Wiśniewski.pdf"]
    assert listed(client.get("/returns?name=EXAMPLE").text) == ["Leo Example.pdf",
                                                                "Ava Example.docx"]  # fmt: skip
    assert listed(client.get("/returns?name=  oak   primary ").text) == ["Oak Primary forms.zip"]
    page = client.get("/returns?name=Ivy").text  # Peterborough's child: never here
    assert listed(page) == []
    assert "No return matches these choices." in page

    answer = client.get("/returns?show=everything")  # a link cut or typed: why, then the list
    assert (answer.status_code, answer.headers["Location"]) == (302, "/returns")
    page = client.get("/returns").text
    assert (
        "show: &#39;everything&#39; is not one of the choices (use one of all, to-check, "
        "not-read, not-assured, waiting)"
    ) in page


def test_the_list_is_shown_a_page_at_a_time(app):
    count = 2 * PAGE_SIZE + 30
    rows = [(f"Child {n:03}.docx", f"Child {n:03}", "done", "docx", "Good", n % 2, 0)
            for n in range(count)]  # fmt: skip
    add_returns(app, rows)
    client = signed_in(app, CB)

    page = client.get("/returns").text
    names = listed(page)
    assert (len(names), names[0], names[-1]) == (100, "Child 229.docx", "Child 130.docx")
    assert "1 to 100 of 230 returns, newest first" in page
    assert "Page 1 of 3" in page and 'rel="prev"' not in page
    assert 'rel="next" href="/returns?page=2#list"' in page

    page = client.get("/returns?show=to-check&page=2").text  # the odd ones: 115 of them
    names = listed(page)
    assert (len(names), names[0], names[-1]) == (15, "Child 029.docx", "Child 001.docx")
    assert "101 to 115 of 115 returns, newest first" in page
    assert 'rel="prev" href="/returns?show=to-check#list"' in page and 'rel="next"' not in page

    page = client.get("/returns?page=9").text
    assert listed(page) == [] and "No return matches these choices on page 9." in page


def test_the_api_lists_the_same_pages_with_the_same_choices(app):
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        token = create_user(db, "system@cb.example.invalid", PASSWORD, "central-bedfordshire",
                            api_token=True)  # fmt: skip
    ids = add_returns(app, RETURNS)
    client = app.test_client()

    code, body = api_list(client, token, "?show=to-check&name=ukasz")
    assert code == 200
    assert body == {
        "returns": [{
            "id": ids[1], "url": f"http://localhost/api/v1/returns/{ids[1]}", "status": "done",
            "error": None, "file": {"name": "Łukasz Wiśniewski.pdf", "size": 101, "type": "pdf"},
            "uploaded": "2026-11-02T09:01:00Z", "child_name": "Łukasz Wiśniewski",
            "rating": "Satisfactory", "warnings": 2, "unmapped": 0, "qa_answers": None,
        }],
        "total": 1, "page": 1, "pages": 1, "next": None,
        "counts": {"all": 1, "to-check": 1, "not-read": 0, "not-assured": 1, "waiting": 0},
    }  # fmt: skip
    code, body = api_list(client, token)
    assert [r["file"]["name"] for r in body["returns"]] == [r[0] for r in reversed(RETURNS)]
    zip_row = body["returns"][4]
    assert (zip_row["status"], zip_row["warnings"], zip_row["unmapped"]) == ("done", None, None)
    assert body["counts"] == {
        "all": 9,
        "to-check": 5,
        "not-read": 2,
        "not-assured": 4,
        "waiting": 2,
    }

    assert api_list(client, token, "?page=0") == (400, {"error": {
        "status": 400, "code": "bad_request",
        "message": "page: '0' is not a page number (use a whole number from 1)"}})  # fmt: skip
    assert api_list(client, "not-a-token")[0] == 401


def test_the_api_gives_the_next_page_as_a_link(app):
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        token = create_user(db, "system@cb.example.invalid", PASSWORD, "central-bedfordshire",
                            api_token=True)  # fmt: skip
    add_returns(app, [(f"Child {n:03}.pdf", None, "failed", "pdf", None, None, None)
                      for n in range(PAGE_SIZE + 1)])  # fmt: skip
    client = app.test_client()
    code, body = api_list(client, token, "?show=not-read")
    assert (code, len(body["returns"]), body["pages"]) == (200, 100, 2)
    assert body["next"] == "http://localhost/api/v1/returns?show=not-read&page=2"
    code, body = api_list(client, token, "?show=not-read&page=2")
    assert ([r["file"]["name"] for r in body["returns"]], body["next"]) == (["Child 000.pdf"],
                                                                            None)  # fmt: skip


def test_a_return_opened_from_the_list_leads_to_the_next_one_in_it(app):
    ids = add_returns(app, RETURNS)
    client = signed_in(app, CB)
    page = client.get("/returns?show=to-check").text
    # Oldest last: letter.txt (6), Mia (5), Noah (3), scan.pdf (2), Łukasz (1).
    assert f'<a href="/returns/{ids[5]}?show=to-check">Mia Sample.docx</a>' in page

    page = client.get(f"/returns/{ids[5]}?show=to-check").text
    assert "Return 2 of 5 in the list (to check by hand)" in page
    assert f'rel="prev" href="/returns/{ids[6]}?show=to-check">‹ Previous return' in page
    assert f'rel="next" href="/returns/{ids[3]}?show=to-check">Next return ›' in page
    assert '<a href="/returns?show=to-check#list" class="back-link">Back to the list</a>' in page

    page = client.get(f"/returns/{ids[1]}?show=to-check").text  # the last: no next
    assert "Return 5 of 5 in the list" in page and 'rel="next"' not in page

    page = client.get(f"/returns/{ids[0]}").text  # from anywhere else: the whole list
    assert "Return 9 of 9</p>" in page
    assert '<a href="/returns#list" class="back-link">Back to returns</a>' in page
    assert f'rel="prev" href="/returns/{ids[1]}">‹ Previous return' in page

    page = client.get(f"/returns/{ids[0]}?show=not-read").text  # not in that list
    assert "Return " not in page and '<a href="/returns" class="back-link">' in page


def test_the_place_in_a_long_list_links_back_to_its_page(app):
    ids = add_returns(app, [(f"Child {n:03}.docx", None, "failed", "docx", None, None, None)
                            for n in range(PAGE_SIZE + 5)])  # fmt: skip
    client = signed_in(app, CB)
    page = client.get(f"/returns/{ids[2]}?show=not-read").text  # 103rd newest: page 2
    assert "Return 103 of 105 in the list (not read)" in page
    assert '<a href="/returns?show=not-read&amp;page=2#list" class="back-link">' in page
