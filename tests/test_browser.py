"""A Virtual School officer's afternoon, in Debian's Chromium driven by Playwright, against a real
`pep-docs serve` (waitress, embedded jobs): sign in, upload a filled .docx and a filled .pdf, wait
for them to be read, see the rating and a criterion's evidence, make a term pack for a small cohort
and download it. Every page is checked against WCAG 2.2 A and AA by axe-core as it is shot.

Screenshots of each page are written to $PEP_DOCS_SCREENSHOTS when it is set (the README's pictures
are made this way: `PEP_DOCS_SCREENSHOTS=docs/images .venv/bin/pytest tests/test_browser.py`).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from pep_docs.forms import prepare
from pep_docs.render import render
from tests.conftest import FIXTURES, PEPS, expected, load
from tests.service import PASSWORD, add_user, free_port, process, service_env, wait_for

FIXTURE = PEPS / "cb-weak-vague-targets.json"
AUTHORITY = "central-bedfordshire"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # the tests run as root in CI containers
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-sync", "--no-first-run", "--disable-features=Translate,MediaRouter",
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    env = service_env(folder / "data")
    add_user(env, "officer@cb.example.invalid", AUTHORITY, token=False)
    port = free_port()
    with process(["serve", "--port", str(port)], env, folder / "serve.log"):
        base = f"http://localhost:{port}"

        def up() -> bool:
            import urllib.request

            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(up, 60, "pep-docs serve to start")
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Chromium is installed by scripts/install-system-packages.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_problems(page) -> list[str]:
    """axe-core's WCAG 2.2 A and AA violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


def shoot(page, name: str, tmp_path: Path) -> None:
    assert accessibility_problems(page) == [], name
    folder = Path(os.environ.get("PEP_DOCS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"web-{name}.png"), full_page=False)


def cohort_file(tmp_path: Path, name: str, count: int, phase: str | None = None,
                **changed: str) -> Path:  # fmt: skip
    """The first `count` children of the fixture cohort who belong to the authority (of `phase`
    only, when given), each with the `changed` columns, as a cohort file named `name`."""
    with open(FIXTURES / "cohort.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [{**r, **changed} for r in reader
                if r["authority"] == AUTHORITY and phase in (None, r["phase"])][:count]  # fmt: skip
        fields = reader.fieldnames
    out = tmp_path / name
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_an_officer_uploads_returns_sees_the_rating_and_downloads_a_pack(server, browser, tmp_path):
    spec = prepare(data=load(FIXTURE))
    docx, pdf = tmp_path / "Return from school.docx", tmp_path / "Return from school.pdf"
    docx.write_bytes(render(spec, "docx"))
    pdf.write_bytes(render(spec, "pdf"))
    want = expected(FIXTURE)["qa"]

    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server + "/returns")
    assert page.url.startswith(server + "/sign-in?next=")
    shoot(page, "sign-in", tmp_path)
    page.get_by_label("E-mail address").fill("officer@cb.example.invalid")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == server + "/returns"

    page.get_by_label("Upload returned forms").set_input_files([str(docx), str(pdf)])
    page.get_by_role("button", name="Upload and read").click()
    page.get_by_text("2 files received").wait_for()
    # The list reloads itself while returns are being read; "Read" is the green tag.
    expect(page.locator("tbody .tag--green")).to_have_count(2, timeout=120_000)
    assert page.locator("tbody tr").count() == 2
    assert page.locator("tbody tr").first.locator("td").nth(4).inner_text() == want["rating"]
    shoot(page, "returns", tmp_path)

    page.get_by_role("link", name="Return from school.docx").click()
    page.get_by_role("heading", name=f"Quality rating: {want['rating']}").wait_for()
    missed = want["not_met"][0]
    row = page.locator("tbody tr").filter(has_text=missed).first
    assert "Not met" in row.inner_text()
    evidence = row.locator("td").nth(2).inner_text()
    assert evidence.strip() != ""
    shoot(page, "return", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("link", name="The data as read and checked (JSON)").click()
    assert download.value.suggested_filename.endswith(".json")

    # The Virtual School's QA record: suggested, changed, saved.
    qa = page.locator("#qa")
    assert qa.get_by_label("Reviewer").input_value() == "officer@cb.example.invalid"
    assert qa.get_by_label(want["rating"], exact=True).is_checked()
    qa.get_by_label("Reviewer").fill("A. Officer")
    qa.get_by_role("group", name="Amendments required").get_by_label("Yes").check()
    feedback = qa.get_by_label("Feedback")
    feedback.fill(feedback.input_value() + "\nPlease send it again by Friday.")
    qa.scroll_into_view_if_needed()
    shoot(page, "return-qa", tmp_path)
    qa.get_by_role("button", name="Save the QA record").click()
    page.get_by_text("The QA record is saved").wait_for()
    assert page.locator("#qa").get_by_label("Reviewer").input_value() == "A. Officer"
    assert page.get_by_text("Recorded by officer@cb.example.invalid on").is_visible()

    page.get_by_role("link", name="Term packs").click()
    page.get_by_label("Term").select_option("2026-autumn")
    page.get_by_label("Cohort file").set_input_files(
        str(cohort_file(tmp_path, "autumn cohort.csv", 3))
    )
    page.get_by_role("button", name="Make the pack").click()
    page.get_by_role("heading", name="Term pack for 2026-autumn").wait_for()
    shoot(page, "pack-progress", tmp_path)
    link = page.get_by_role("link", name="Download the pack (.zip)")
    link.wait_for(timeout=180_000)
    assert page.locator("#progress-text").inner_text() == "3 of 3 children"
    shoot(page, "pack", tmp_path)
    with page.expect_download() as download:
        link.click()
    data = Path(download.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    assert sum(n.endswith(".docx") for n in names) == 3
    assert sum(n.endswith(".pdf") for n in names) == 3
    assert any(n.endswith("manifest.csv") for n in names)

    page.get_by_role("link", name="Cohort report").click()
    page.get_by_text("2 PEPs read for").wait_for()
    report = page.frame_locator("iframe.report-frame")
    report.get_by_role("heading", name="Ratings by school or setting").wait_for()
    shoot(page, "report", tmp_path)
    context.close()


def test_an_officer_uploads_a_zip_of_forms_and_sees_each_read_as_its_own_return(
    server, browser, tmp_path
):
    from tests.school_fill import school_form

    finley, leah = load(PEPS / "cb-weak-late-return.json"), load(PEPS / "cb-school-age-ehcp.json")
    term = tmp_path / "term-forms.zip"
    with zipfile.ZipFile(term, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Oak Primary/Finley Ndlovu.docx", school_form(finley)[0])
        z.writestr("Oak Primary/Leah Kowalski.pdf", render(prepare(data=leah), "pdf"))
        z.writestr("__MACOSX/Oak Primary/._Finley Ndlovu.docx", b"\0\5\26\7")

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(server + "/returns")
    page.get_by_label("E-mail address").fill("officer@cb.example.invalid")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Upload returned forms").set_input_files(str(term))
    page.get_by_role("button", name="Upload and read").click()
    page.get_by_text("1 file received").wait_for()
    page.get_by_role("link", name="term-forms.zip", exact=True).click()
    page.get_by_role("heading", name="Zip of returned forms").wait_for()
    # The page reloads itself until the zip and each form in it have been read.
    expect(page.locator("tbody .tag--green")).to_have_count(2, timeout=120_000)
    assert page.locator("dl .tag").inner_text() == "Unpacked"
    page.get_by_text("a zip of 2 forms: each is read as its own return (listed below)").wait_for()
    rows = [r.inner_text().split("\t")[:2] for r in page.locator("tbody tr").all()]
    assert rows == [["Finley Ndlovu.docx", "Finley Ndlovu"], ["Leah Kowalski.pdf", "Leah Kowalski"]]
    shoot(page, "zip", tmp_path)

    page.get_by_role("link", name="Leah Kowalski.pdf").click()
    page.get_by_role("heading", name="Leah Kowalski").wait_for()
    page.get_by_role("link", name="term-forms.zip").wait_for()
    shoot(page, "zip-member", tmp_path)
    page.get_by_role("link", name="Back to returns").click()
    zip_link = page.get_by_role("link", name="term-forms.zip", exact=True)
    zip_row = page.locator("tbody tr").filter(has=zip_link)
    assert zip_row.locator(".tag").inner_text() == "Unpacked"
    shoot(page, "returns-with-zip", tmp_path)

    # Hundreds of returns a term: the list narrows to a child by name, in any case.
    page.get_by_label("Child or file name").fill("leah")
    page.get_by_role("button", name="Show returns").click()
    names = [r.locator("td").first.inner_text() for r in page.locator("tbody tr").all()]
    assert names == ["term-forms.zip › Leah Kowalski.pdf"]
    assert page.get_by_label("Child or file name").input_value() == "leah"
    shoot(page, "returns-search", tmp_path)
    page.get_by_role("link", name="Show all returns").click()
    expect(page.locator("tbody tr")).to_have_count(5)
    context.close()


def test_an_officer_sees_which_returns_are_still_to_come_school_by_school(
    server, browser, tmp_path
):
    """A spring pack of eight children, four forms back as the schools sent them (two Word,
    two PDF, renamed), and one spring form of a child in no spring pack."""
    cohort = cohort_file(tmp_path, "spring cohort.csv", 8, "school_age", term="2027-spring")
    stray = tmp_path / "PEP spring.docx"
    stray.write_bytes(render(prepare(data={**load(FIXTURE), "term": "2027-spring"}), "docx"))

    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server + "/packs")
    page.get_by_label("E-mail address").fill("officer@cb.example.invalid")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Term").select_option("2027-spring")
    page.get_by_label("Cohort file").set_input_files(str(cohort))
    page.get_by_role("button", name="Make the pack").click()
    link = page.get_by_role("link", name="Download the pack (.zip)")
    link.wait_for(timeout=180_000)
    with page.expect_download() as download:
        link.click()
    sent = []
    with zipfile.ZipFile(download.value.path()) as z:
        for member in sorted(z.namelist()):
            child_id = member.rsplit("/", 1)[-1].split(" ")[0]
            kind = {"CB00101": "docx", "CB00102": "pdf", "CB00104": "docx", "CB00105": "pdf"}
            if member.endswith(f".{kind.get(child_id)}"):
                path = tmp_path / f"PEP {child_id[-3:]} from school.{kind[child_id]}"
                path.write_bytes(z.read(member))
                sent.append(str(path))
    assert len(sent) == 4

    page.get_by_role("link", name="Returns still to come for 2027-spring").click()
    page.get_by_role("heading", name="Returns still to come for 2027-spring").wait_for()
    assert page.locator("#count-returned").inner_text() == "0"
    page.get_by_role("link", name="Returns", exact=True).click()
    page.get_by_label("Upload returned forms").set_input_files([*sent, str(stray)])
    page.get_by_role("button", name="Upload and read").click()
    page.get_by_text("5 files received").wait_for()
    # The list reloads itself until nothing is waiting or being read.
    expect(page.locator("tbody .tag--grey, tbody .tag--blue")).to_have_count(0, timeout=120_000)

    page.get_by_role("link", name="Still to come").click()
    page.get_by_role("heading", name="Returns still to come for 2027-spring").wait_for()
    counts = [page.locator(f"#count-{n}").inner_text() for n in ("expected", "returned", "still")]
    assert counts == ["8", "4", "4"]
    schools = [t.splitlines() for t in page.locator("#schools tbody th").all_inner_texts()]
    assert schools == [["Hollyfield Academy", "1 of 1 still to come"],
                       ["Kingsmead & Vale School", "1 of 1 still to come"],
                       ["Northgate Learning Centre", "1 of 2 still to come"],
                       ["St Aidan & St Hilda C of E Primary School", "1 of 1 still to come"],
                       ["Meadowbrook Primary School", "none still to come"],
                       ["Oakridge Special School", "none still to come"]]  # fmt: skip
    waiting = page.locator("#schools tbody td:nth-child(2) li").all_inner_texts()
    assert waiting == ["Jayden Begum CB00108", "Łukasz Wiśniewski CB00100", "Ruby Okafor CB00103",
                       "Skye Walsh CB00109"]  # fmt: skip
    returned = page.locator("#schools tbody td:nth-child(3) li").all_inner_texts()
    assert [r.split(":")[0] for r in returned] == ["Maya Ahmed", "Jayden Baptiste",
                                                   "Finley Walsh", "Reuben Walsh"]  # fmt: skip
    unmatched = page.locator("#unmatched tbody tr td").all_inner_texts()
    assert unmatched[0] == "PEP spring.docx"
    assert unmatched[2:] == ["CB00011",
                             "a form for 2027-spring, but no pack of 2027-spring has the child CB00011"]  # fmt: skip
    shoot(page, "outstanding", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename == "still-to-come-central-bedfordshire-2027-spring.csv"
    context.close()
