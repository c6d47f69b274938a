"""Returns still to come: a term's packs say which children a form was sent for, the returns'
form identities say which came back; the page, the downloads and the API put them together.

The web service in one process (embedded jobs), as in tests/test_service_web.py. Three packs of
synthetic children (the fixture PEPs' prepopulated parts as cohort rows): two for 2026-autumn
(the second re-made for two children, one of whom moved school) and one for 2027-spring; then
forms come back as schools send them, filled in Word and in a PDF reader.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pep_docs.db import AuditEvent, Pack, Return, session_scope
from pep_docs.errors import PepDocsError
from pep_docs.schema import get_pointer
from pep_docs.synthetic import cohort_row_pointers
from pep_docs.web import create_app
from pep_docs.web.auth import create_user
from tests.conftest import PEPS, load
from tests.school_fill import fill, school_form
from tests.school_fill_pdf import fill_as_school
from tests.service import PASSWORD, csrf_token, wait_for
from tests.test_service_web import finished, signed_in, upload, with_officers

AUTUMN, SPRING = "2026-autumn", "2027-spring"
# child id: fixture PEP (all Central Bedfordshire, school age, 2026-autumn)
CHILDREN = {
    "CB00003": "cb-school-age-hard-name",  # Ștefan Popescu, Kingsmead & Vale School
    "CB00004": "cb-school-age-ehcp",  # Leah Kowalski, Oakridge Special School
    "CB00005": "cb-school-age-changed-school",  # Nadia Walsh, Hollyfield Academy
    "CB00006": "cb-school-age-many-previous-targets",  # Harvey Lindqvist, Kingsmead & Vale
    "CB00007": "cb-school-age-long-views",  # Oliver Osei, Hollyfield Academy
    "CB00008": "cb-school-age-empty-optional",  # Tyler Hughes, Northgate Learning Centre
    "CB00011": "cb-weak-vague-targets",  # Ethan Clarke, Hollyfield Academy
    "CB00013": "cb-weak-late-return",  # Finley Ndlovu, St Aidan & St Hilda C of E Primary
}
# Oliver's designated teacher at his new school (the re-made pack's cohort row).
OLIVERS_NEW_TEACHER = {"name": "Ama Mensah", "organisation": "Oakridge Special School",
                       "email": "ama.mensah@oakridge.example", "phone": "01632 960999"}  # fmt: skip
NOT_A_FORM = ("this is not a Word (.docx) or PDF file, so it is kept but not read: ask the "
              "school for the PEP form")  # fmt: skip


def pep(child_id: str) -> dict:
    return load(PEPS / f"{CHILDREN[child_id]}.json")


def cohort(rows: list[dict]) -> bytes:
    """A cohort CSV as a case-management export: the schema's prepopulated fields, dotted."""
    pointers = cohort_row_pointers()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([p[1:].replace("/", ".") for p in pointers])
    for doc in rows:
        writer.writerow(["" if get_pointer(doc, p) is None else get_pointer(doc, p)
                         for p in pointers])  # fmt: skip
    return out.getvalue().encode()


def make_pack(app, client, name: str, term: str, rows: list[dict]) -> tuple[str, dict[str, bytes]]:
    """A pack made through the page; its id and its forms by '<child id>.<docx|pdf>'."""
    token = csrf_token(client.get("/packs").text)
    answer = client.post("/packs", data={"csrf_token": token, "term": term,
                                         "formats": ["docx", "pdf"],
                                         "cohort": (io.BytesIO(cohort(rows)), name)},
                         content_type="multipart/form-data")  # fmt: skip
    pack_id = answer.headers["Location"].rsplit("/", 1)[1]

    def done():
        with session_scope(app.config["PEP_DOCS"].database_url) as db:
            pack = db.get(Pack, pack_id)
            assert pack.status != "failed", pack.error
            return pack.status == "done"

    wait_for(done, 240, f"the pack {name} to be made")
    data = client.get(f"/packs/{pack_id}/download").data
    forms = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for member in z.namelist():
            if member.endswith((".docx", ".pdf")):
                stem, kind = member.rsplit("/", 1)[1].rsplit(".", 1)
                forms[f"{stem.split(' ')[0]}.{kind}"] = z.read(member)
    return pack_id, forms


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def term(request, tmp_path_factory):
    """The service after three packs and the returns: `(app, return ids by file name, (status,
    rating) by file name, pack ids)`. On SQLite and on PostgreSQL: the identity of each return
    is read from its stored extraction by a JSON path, which is SQL of each database's own."""
    tmp = tmp_path_factory.mktemp("outstanding")
    url = (
        request.getfixturevalue("postgres").new_database() if request.param == "postgresql" else ""
    )
    app = with_officers(
        create_app({"DATA_DIR": str(tmp / "data"), "SECURE_COOKIES": True, "DATABASE_URL": url})
    )
    client = signed_in(app)
    autumn = [pep(c) for c in ("CB00003", "CB00004", "CB00005", "CB00006", "CB00007",
                               "CB00008", "CB00011")]  # fmt: skip
    first, forms = make_pack(app, client, "autumn cohort.csv", AUTUMN, autumn)
    # Made again for two children: Oliver has moved to Oakridge Special School.
    oliver = pep("CB00007")
    oliver["education_setting"]["name"] = "Oakridge Special School"
    oliver["contacts"]["designated_teacher"] = OLIVERS_NEW_TEACHER
    second, forms2 = make_pack(app, client, "autumn corrections.csv", AUTUMN,
                               [oliver, pep("CB00011")])  # fmt: skip
    finley = pep("CB00013")
    spring, forms3 = make_pack(app, client, "spring cohort.csv", SPRING,
                               [{**finley, "term": SPRING}, {**pep("CB00011"), "term": SPRING}])  # fmt: skip

    nadia = fill(forms["CB00005.docx"], pep("CB00005"))[0]
    sent = [
        ("Nadia Walsh PEP.docx", nadia),  # Word, the first pack's form
        ("Leah K.pdf", fill_as_school(forms["CB00004.pdf"], pep("CB00004"))),  # PDF
        ("Leah K.docx", fill(forms["CB00004.docx"], pep("CB00004"))[0]),  # Leah's form again
        # Oliver's school filled the first pack's form, not the re-made one: it still counts.
        ("oliver.docx", fill(forms["CB00007.docx"], oliver)[0]),
        # Harvey's form was made one at a time, not by a pack: matched by his child id.
        ("Harvey.docx", school_form(pep("CB00006"))[0]),
        # Ethan's form of the re-made autumn pack, sent after the spring pack was made.
        ("Ethan.docx", fill(forms2["CB00011.docx"], pep("CB00011"))[0]),
        # An autumn form for a child in no autumn pack.
        ("Finley autumn.docx", school_form(finley)[0]),
        ("Finley spring.docx", fill(forms3["CB00013.docx"], {**finley, "term": SPRING})[0]),
        ("scan.pdf", b"MZ\x90\x00 this is a program, not a PDF"),
    ]
    upload(client, sent)
    upload(client, [("Nadia Walsh PEP (copy).docx", nadia)])  # the same file: one return
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        ids = {r.original_name: r.id for r in db.scalars(select(Return))}
    finished(app, list(ids.values()))
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        rows = {r.original_name: (r.status, r.rating) for r in db.scalars(select(Return))}
    yield app, ids, rows, {"autumn": first, "autumn2": second, "spring": spring}
    from pep_docs.jobs import forget_dispatchers

    forget_dispatchers()


def api_get(app, path: str, who: str = "cb"):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {app.tokens[who]}"})


def test_every_form_came_back_as_the_school_sent_it(term):
    app, ids, rows, _packs = term
    assert sorted(ids) == ["Ethan.docx", "Finley autumn.docx", "Finley spring.docx",
                           "Harvey.docx", "Leah K.docx", "Leah K.pdf", "Nadia Walsh PEP.docx",
                           "oliver.docx", "scan.pdf"]  # fmt: skip
    # Each read and rated as its fixture says (Oliver's too: only his school changed).
    assert rows == {
        "Ethan.docx": ("done", "Unsatisfactory"), "Finley autumn.docx": ("done", "Satisfactory"),
        "Finley spring.docx": ("done", "Satisfactory"), "Harvey.docx": ("done", "Good"),
        "Leah K.docx": ("done", "Good"), "Leah K.pdf": ("done", "Good"),
        "Nadia Walsh PEP.docx": ("done", "Good"), "oliver.docx": ("done", "Good"),
        "scan.pdf": ("failed", None),
    }  # fmt: skip


def test_the_api_gives_each_expected_child_returned_or_not_by_school(term):
    app, ids, rows, packs = term
    answer = api_get(app, f"/api/v1/outstanding/{AUTUMN}")
    assert answer.status_code == 200
    got = answer.json
    assert (got["authority"], got["term"]) == ("central-bedfordshire", AUTUMN)
    assert [(p["id"], p["cohort"], p["children"]) for p in got["packs"]] == [
        (packs["autumn"], "autumn cohort.csv", 7), (packs["autumn2"], "autumn corrections.csv", 2)]  # fmt: skip
    assert got["counts"] == {"expected": 7, "returned": 5, "still_to_come": 2, "unmatched": 1,
                             "reading": 0}  # fmt: skip

    def returns(child):
        return [(r["file"], r["matched_by"], r["rating"], r["url"]) for r in child["returns"]]

    def url(name):
        return f"http://localhost/api/v1/returns/{ids[name]}"

    schools = [(s["school"], s["expected"], s["returned"], s["still_to_come"],
                [(c["child_id"], c["child_name"], c["returned"], returns(c))
                 for c in s["children"]]) for s in got["schools"]]  # fmt: skip
    r = {name: rating for name, (_, rating) in rows.items()}
    assert schools == [
        ("Kingsmead & Vale School", 2, 1, 1, [
            ("CB00006", "Harvey Lindqvist", True,
             [("Harvey.docx", "child id", r["Harvey.docx"], url("Harvey.docx"))]),
            ("CB00003", "Ștefan Popescu", False, []),
        ]),
        ("Northgate Learning Centre", 1, 0, 1, [("CB00008", "Tyler Hughes", False, [])]),
        ("Hollyfield Academy", 2, 2, 0, [
            ("CB00011", "Ethan Clarke", True,
             [("Ethan.docx", "form id", r["Ethan.docx"], url("Ethan.docx"))]),
            ("CB00005", "Nadia Walsh", True, [("Nadia Walsh PEP.docx", "form id",
                                               r["Nadia Walsh PEP.docx"],
                                               url("Nadia Walsh PEP.docx"))]),
        ]),
        # Oliver is shown where the re-made pack says he is now.
        ("Oakridge Special School", 2, 2, 0, [
            ("CB00004", "Leah Kowalski", True,
             [("Leah K.pdf", "form id", r["Leah K.pdf"], url("Leah K.pdf")),
              ("Leah K.docx", "form id", r["Leah K.docx"], url("Leah K.docx"))]),
            ("CB00007", "Oliver Osei", True,
             [("oliver.docx", "form id", r["oliver.docx"], url("oliver.docx"))]),
        ]),
    ]  # fmt: skip
    ethan = got["schools"][2]["children"][0]
    assert len(ethan["form_ids"]) == 2  # a form of each autumn pack would count
    assert [(u["return"]["file"], u["reason"]) for u in got["unmatched"]] == [
        ("Finley autumn.docx", "a form for 2026-autumn, but no pack of 2026-autumn has the child "
                               "CB00013")]  # fmt: skip


def test_the_next_term_counts_its_own_returns_and_notes_last_terms_form(term):
    app, ids, _rows, packs = term
    got = api_get(app, f"/api/v1/outstanding/{SPRING}").json
    assert got["counts"] == {"expected": 2, "returned": 1, "still_to_come": 1, "unmatched": 1,
                             "reading": 0}  # fmt: skip
    assert [(s["school"], [(c["child_name"], [r["file"] for r in c["returns"]],
                            [(o["return"]["file"], o["term"]) for o in c["other_terms"]])
                           for c in s["children"]]) for s in got["schools"]] == [
        ("Hollyfield Academy", [("Ethan Clarke", [], [("Ethan.docx", AUTUMN)])]),
        ("St Aidan & St Hilda C of E Primary School", [("Finley Ndlovu", ["Finley spring.docx"], [])]),
    ]  # fmt: skip
    # The file that could not be read was uploaded after the spring pack was made.
    assert [(u["return"]["file"], u["reason"]) for u in got["unmatched"]] == [
        ("scan.pdf", f"not read: {NOT_A_FORM}")]  # fmt: skip


def test_the_page_lists_the_children_still_to_come_school_by_school(term):
    app, ids, rows, packs = term
    client = signed_in(app)
    assert client.get("/outstanding").headers["Location"] == f"/outstanding/{SPRING}"
    assert client.get(f"/outstanding?term={AUTUMN}").headers["Location"] == f"/outstanding/{AUTUMN}"
    page = client.get(f"/outstanding/{AUTUMN}").text
    assert '<h1 class="heading-l">Returns still to come for 2026-autumn</h1>' in page
    assert ('<dd id="count-expected">7</dd>' in page and '<dd id="count-returned">5</dd>' in page
            and '<dd id="count-still">2</dd>' in page)  # fmt: skip
    schools = re.findall(r'<th scope="row">([^<]*)<span class="table__note">([^<]*)</span>', page)
    assert schools == [("Kingsmead &amp; Vale School", "1 of 2 still to come"),
                       ("Northgate Learning Centre", "1 of 1 still to come"),
                       ("Hollyfield Academy", "none still to come"),
                       ("Oakridge Special School", "none still to come")]  # fmt: skip
    assert "By school: 2 of 4 with forms still to come" in page
    assert '<li>Ștefan Popescu <span class="secondary">CB00003</span></li>' in page
    assert '<li>Tyler Hughes <span class="secondary">CB00008</span></li>' in page
    harvey, leah = rows["Harvey.docx"][1], rows["Leah K.pdf"][1]
    assert (f'<li>Harvey Lindqvist: <a href="/returns/{ids["Harvey.docx"]}">{harvey}'
            '<span class="visually-hidden"> (Harvey.docx)</span></a></li>') in page  # fmt: skip
    assert (f'<li>Leah Kowalski: <a href="/returns/{ids["Leah K.pdf"]}">{leah}<span '
            f'class="visually-hidden"> (Leah K.pdf)</span></a>, <a href="/returns/'
            f'{ids["Leah K.docx"]}">{leah}<span class="visually-hidden"> (Leah K.docx)</span>'
            "</a></li>") in page  # fmt: skip
    assert f'<a href="/returns/{ids["Finley autumn.docx"]}">Finley autumn.docx</a>' in page
    # Nothing of another term's list, and no file name used to match.
    assert "Finley spring.docx" not in page and "scan.pdf" not in page
    assert f'href="/outstanding/{AUTUMN}/download?format=csv"' in page
    spring = client.get(f"/outstanding/{SPRING}").text
    assert ('<li>Ethan Clarke <span class="secondary">CB00011</span><span class="table__note">'
            f'Sent instead: <a href="/returns/{ids["Ethan.docx"]}">the 2026-autumn pack&#39;s '
            "form</a>, counted for 2026-autumn</span></li>") in spring  # fmt: skip
    # Reachable from the navigation and from the term's pack page.
    assert '<a href="/outstanding" aria-current="page">Still to come</a>' in spring
    pack_page = client.get(f"/packs/{packs['autumn']}").text
    assert f'<a href="/outstanding/{AUTUMN}">Returns still to come for {AUTUMN}</a>' in pack_page


def teacher(child_id: str) -> list[str]:
    """The designated teacher's name, organisation, e-mail and phone the cohort file gave."""
    found = (
        OLIVERS_NEW_TEACHER
        if child_id == "CB00007"
        else pep(child_id)["contacts"]["designated_teacher"]
    )
    return [found["name"], found["organisation"], found["email"], found["phone"]]


def test_the_list_downloads_as_csv_and_excel_for_chase_emails(term):
    app, ids, rows, _packs = term
    client = signed_in(app)
    answer = client.get(f"/outstanding/{AUTUMN}/download?format=csv")
    assert answer.headers["Content-Disposition"] == (
        f"attachment; filename=still-to-come-central-bedfordshire-{AUTUMN}.csv")  # fmt: skip
    table = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    r = {name: rating for name, (_, rating) in rows.items()}
    forms = {row[1]: row[7] for row in table[1:]}
    assert table == [
        ["School", "Child ID", "Child", "Phase", "Returned", "Returns", "Ratings", "Form IDs",
         "Sent instead", "Designated teacher: Name", "Designated teacher: Organisation or team",
         "Designated teacher: Email", "Designated teacher: Phone"],
        ["Kingsmead & Vale School", "CB00003", "Ștefan Popescu", "school age", "No", "", "",
         forms["CB00003"], "", *teacher("CB00003")],
        ["Kingsmead & Vale School", "CB00006", "Harvey Lindqvist", "school age", "Yes",
         ids["Harvey.docx"], r["Harvey.docx"], forms["CB00006"], "", *teacher("CB00006")],
        ["Northgate Learning Centre", "CB00008", "Tyler Hughes", "school age", "No", "", "",
         forms["CB00008"], "", *teacher("CB00008")],
        ["Hollyfield Academy", "CB00011", "Ethan Clarke", "school age", "Yes", ids["Ethan.docx"],
         r["Ethan.docx"], forms["CB00011"], "", *teacher("CB00011")],
        ["Hollyfield Academy", "CB00005", "Nadia Walsh", "school age", "Yes",
         ids["Nadia Walsh PEP.docx"], r["Nadia Walsh PEP.docx"], forms["CB00005"], "", *teacher("CB00005")],
        ["Oakridge Special School", "CB00004", "Leah Kowalski", "school age", "Yes",
         f"{ids['Leah K.pdf']} {ids['Leah K.docx']}", f"{r['Leah K.pdf']}, {r['Leah K.docx']}",
         forms["CB00004"], "", *teacher("CB00004")],
        ["Oakridge Special School", "CB00007", "Oliver Osei", "school age", "Yes",
         ids["oliver.docx"], r["oliver.docx"], forms["CB00007"], "", *teacher("CB00007")],
    ]  # fmt: skip
    assert [len(forms[c].split()) for c in ("CB00003", "CB00007", "CB00011")] == [1, 2, 2]

    answer = client.get(f"/outstanding/{AUTUMN}/download?format=xlsx")
    book = load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["Still to come", "Not matched"]
    sheet = [[c if c is not None else "" for c in row] for row in book["Still to come"].values]
    assert sheet == table  # the header in the first row, for a mail merge
    (title, header, finley) = [list(row) for row in book["Not matched"].values]
    assert header == ["File", "Return ID", "Uploaded", "Child ID", "Form term", "Why it is listed"]
    assert finley[:2] + finley[3:] == ["Finley autumn.docx", ids["Finley autumn.docx"], "CB00013",
                                       AUTUMN, "a form for 2026-autumn, but no pack of "
                                       "2026-autumn has the child CB00013"]  # fmt: skip
    assert client.get(f"/outstanding/{AUTUMN}/download?format=pdf").status_code == 404
    spring = client.get(f"/outstanding/{SPRING}/download?format=csv").data.decode("utf-8-sig")
    assert [(row[2], row[4], row[8]) for row in list(csv.reader(io.StringIO(spring)))[1:]] == [
        ("Ethan Clarke", "No", f"the 2026-autumn pack's form (return {ids['Ethan.docx']})"),
        ("Finley Ndlovu", "Yes", ""),
    ]


def test_another_authority_sees_nothing_of_the_list(term):
    app, _ids, _rows, _packs = term
    other = signed_in(app, "officer@pb.example.invalid")
    for path in (f"/outstanding/{AUTUMN}", f"/outstanding/{AUTUMN}/download?format=csv",
                 f"/outstanding/{SPRING}"):  # fmt: skip
        assert other.get(path).status_code == 404
    assert "No term pack has been made yet" in other.get("/outstanding").text
    answer = api_get(app, f"/api/v1/outstanding/{AUTUMN}", "pb")
    assert answer.status_code == 404
    assert answer.json == {"error": {"status": 404, "code": "not_found",
                                     "message": "Not found: there is no such record for this account"}}  # fmt: skip
    assert api_get(app, "/api/v1/outstanding/2025-autumn").status_code == 404
    assert app.test_client().get(f"/api/v1/outstanding/{AUTUMN}").status_code == 401
    assert app.test_client().get(f"/outstanding/{AUTUMN}").status_code == 302  # to sign in


def test_each_look_at_the_list_is_audited(term):
    app, _ids, _rows, _packs = term
    settings = app.config["PEP_DOCS"]
    with session_scope(settings.database_url) as db:
        before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    client = signed_in(app)
    client.get(f"/outstanding/{AUTUMN}")
    client.get(f"/outstanding/{AUTUMN}/download?format=xlsx")
    api_get(app, f"/api/v1/outstanding/{SPRING}")
    signed_in(app, "officer@pb.example.invalid").get(f"/outstanding/{AUTUMN}")  # a 404: no event
    with session_scope(settings.database_url) as db:
        cb = db.scalar(select(AuditEvent.user_id).where(AuditEvent.action == "pack.start").limit(1))
        events = [(e.action, e.user_id, e.object_type, e.object_id, e.detail)
                  for e in db.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                               AuditEvent.action.startswith("outstanding"))
                                      .order_by(AuditEvent.id))]  # fmt: skip
    assert events == [
        ("outstanding.view", cb, "term", AUTUMN, "page: 7 expected, 2 still to come"),
        ("outstanding.download", cb, "term", AUTUMN, "xlsx: 7 expected, 2 still to come"),
        ("outstanding.view", cb, "term", SPRING, "api: 2 expected, 1 still to come"),
    ]


# -- the matching rules, on database rows made directly (no forms, no jobs) -------------------

T0 = datetime(2026, 9, 1, 9, 0)


def _at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def _pack(db, user, term, created, children, status="done"):
    plan = {"children": [{"child_id": c, "child_name": f"Child {c}", "school": school,
                          "phase": "school_age", "form_id": form,
                          "sort_key": [school.casefold(), c, "", c]}
                         for c, school, form in children]}  # fmt: skip
    db.add(Pack(authority="central-bedfordshire", term=term, requested_by=user, created=created,
                cohort_name=f"{term}.csv", cohort_stored="x.csv", status=status, plan=plan))  # fmt: skip


def _return(db, user, name, uploaded, form=None, data=None, status="done", kind="docx"):
    extraction = None if form is None else {"form": form, "data": data or {}}
    db.add(Return(id=name, authority="central-bedfordshire", uploaded_by=user, uploaded=uploaded,
                  original_name=name, stored_name=name, sha256=name, size=1, kind=kind,
                  status=status, extraction=extraction,
                  error="not a form" if status == "failed" else None))  # fmt: skip


@pytest.fixture
def rows(tmp_path):
    from pep_docs.db import User

    url = f"sqlite:///{tmp_path / 'rules.sqlite3'}"
    with session_scope(url) as db:
        db.add(User(id=1, email="o@cb.example.invalid", password_hash="x",
                    authority="central-bedfordshire"))  # fmt: skip
        db.flush()
        _pack(db, 1, AUTUMN, _at(0), [("A", "Oak School", "fA"), ("B", "Ash School", "fB")])
        _pack(db, 1, AUTUMN, _at(1), [("C", "Ash School", "fC")], status="failed")  # never sent
        _pack(db, 1, SPRING, _at(10), [("A", "Oak School", "fA2")])
        autumn = {"authority": "central-bedfordshire", "term": AUTUMN}
        _return(db, 1, "before any pack", _at(-1), status="failed")
        _return(db, 1, "A by form id", _at(2), {**autumn, "form_id": "fA", "child_id": "A"})
        _return(db, 1, "B by child id", _at(2), {}, {"term": AUTUMN, "child_id": "B"})
        _return(db, 1, "C of a failed pack", _at(3), {**autumn, "form_id": "fC", "child_id": "C"})
        _return(db, 1, "B of another authority", _at(3),
                {"authority": "peterborough", "term": AUTUMN, "child_id": "B"})  # fmt: skip
        _return(db, 1, "no term", _at(4), {"authority": "central-bedfordshire"})
        _return(db, 1, "being read", _at(4), status="running")
        _return(db, 1, "a zip", _at(4), status="done", kind="zip")
        _return(db, 1, "summer form", _at(11), {**autumn, "term": "2026-summer", "child_id": "A"})
        _return(
            db, 1, "A's autumn form late", _at(12), {**autumn, "form_id": "fA", "child_id": "A"}
        )
        _return(db, 1, "not read in spring", _at(13), status="failed")
    return url


def test_a_return_is_matched_by_form_id_else_child_id_and_each_other_is_listed_once(rows, tmp_path):
    from pep_docs.outstanding import add_contacts, outstanding, table_rows, terms_with_packs

    with session_scope(rows) as db:
        assert terms_with_packs(db, "central-bedfordshire") == [SPRING, AUTUMN]
        assert terms_with_packs(db, "peterborough") == []
        autumn = outstanding(db, "central-bedfordshire", AUTUMN)
        spring = outstanding(db, "central-bedfordshire", SPRING)
        with pytest.raises(PepDocsError) as error:
            outstanding(db, "peterborough", AUTUMN)
    assert str(error.value) == ("no term pack for 2026-autumn has been made (make the term's "
                                "pack first; the list is of the children in it)")  # fmt: skip
    assert (autumn.expected, autumn.returned, autumn.still_to_come, autumn.reading) == (2, 2, 0, 1)
    assert [(c.child_id, [(r.id, r.matched_by) for r in c.returns]) for c in autumn.children] == [
        ("A", [("A by form id", "form id"), ("A's autumn form late", "form id")]),
        ("B", [("B by child id", "child id")]),
    ]  # fmt: skip
    assert [(g.school, [c.child_id for c in g.children]) for g in autumn.schools()] == [
        ("Ash School", ["B"]), ("Oak School", ["A"])]  # fmt: skip
    assert [(u.ret.id, u.reason) for u in autumn.unmatched] == [
        ("B of another authority", "a form of another authority (peterborough)"),
        ("C of a failed pack", "a form for 2026-autumn, but no pack of 2026-autumn has the child C"),
        ("no term", "the form names no term, so it was not made by a term pack"),
    ]  # fmt: skip
    assert (spring.expected, spring.returned, spring.still_to_come, spring.reading) == (1, 0, 1, 0)
    (a,) = spring.children
    assert [(u.ret.id, u.reason, u.counted_for) for u in a.other_terms] == [
        ("A's autumn form late", "the 2026-autumn pack's form", AUTUMN)]  # fmt: skip
    assert [(u.ret.id, u.reason) for u in spring.unmatched] == [
        ("summer form", "a form for 2026-summer, a term with no pack here"),
        ("not read in spring", "not read: not a form"),
    ]  # fmt: skip
    # A file's name is kept as text in the workbook, never as a formula Excel would run.
    from openpyxl import load_workbook as load

    from pep_docs.outstanding import Unmatched
    from pep_docs.web.outstanding import workbook

    named = replace(autumn.unmatched[0].ret, file='=HYPERLINK("https://x.invalid","PEP").docx')
    autumn.unmatched.append(Unmatched(named, "a test"))
    cell = load(io.BytesIO(workbook(autumn)))["Not matched"]["A6"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("https://x.invalid","PEP").docx', "s")
    autumn.unmatched.pop()
    # A cohort file gone, or one that cannot be read: the designated teacher is left blank.
    (tmp_path / "garbled.csv").write_bytes(b"\x00\x01\x02")
    add_contacts(spring, {p.id: tmp_path / "garbled.csv" for p in spring.packs})
    add_contacts(autumn, {p.id: tmp_path / "gone.csv" for p in autumn.packs})
    assert (autumn.contacts, spring.contacts) == ({}, {})
    assert [row[-4:] for row in table_rows(autumn)] == [["", "", "", ""]] * 2


def test_the_page_reloads_itself_while_files_of_its_term_are_being_read(rows, tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": rows}, start_jobs=False)
    with session_scope(rows) as db:
        create_user(db, "officer@cb.example.invalid", PASSWORD, "central-bedfordshire")
    client = signed_in(app)
    page = client.get(f"/outstanding/{AUTUMN}").text
    assert ('<div class="inset-text" role="status" data-refresh="10">1 uploaded file is still '
            "being read: the list may change when it is.</div>") in page  # fmt: skip
    assert "data-refresh" not in client.get(f"/outstanding/{SPRING}").text
