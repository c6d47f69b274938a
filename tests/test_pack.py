"""Term packs: exact contents, the same pack whichever way it is made, hostile names contained."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from pep_docs import zipwriter
from pep_docs.cohort import read_cohort
from pep_docs.errors import DocumentError
from pep_docs.extractors import extract
from pep_docs.forms import prepare
from pep_docs.pack import (
    PackPlan,
    assemble,
    build_pack,
    plan_pack,
    render_chunk,
    safe_name,
)
from pep_docs.render.docx_package import content_signature
from pep_docs.render.pdf import render_pdf, render_pdf_parts
from pep_docs.schema import iter_values
from tests.conftest import FIXTURES
from tests.test_cli_schema import run

COHORT_CSV = FIXTURES / "cohort.csv"
COHORT_XLSX = FIXTURES / "cohort.xlsx"
FIXED = {"pack_id": "0b9f3c1e-5d2a-4e8b-9c7d-123456789abc", "generated_at": "2026-09-01T09:00:00+00:00"}  # fmt: skip
CB = "central-bedfordshire"
MANIFEST_HEADER = [
    "row", "child_id", "child_name", "school", "authority", "phase", "folder", "form_id",
    "docx", "docx_sha256", "pdf", "pdf_sha256", "status", "problems",
]  # fmt: skip


def _expected_children() -> list[dict[str, str]]:
    """The fixture cohort read with the csv module alone: what every pack of it must hold."""
    with COHORT_CSV.open(encoding="utf-8", newline="") as fh:
        rows = [dict(r, row=str(i)) for i, r in enumerate(csv.DictReader(fh), start=2)]
    key = "education_setting.name", "child.last_name", "child.first_name", "child_id"
    return sorted(rows, key=lambda r: tuple(r[k].casefold() for k in key))


def _members(child: dict[str, str], formats=("docx", "pdf")) -> list[str]:
    name = f"{child['child_id']} {child['child.first_name']} {child['child.last_name']}"
    return [f"{child['education_setting.name']}/{name}.{fmt}" for fmt in formats]


def _manifest(zf: zipfile.ZipFile) -> list[dict[str, str]]:
    text = zf.read("manifest.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, Path]:
    """The fixture cohort as a pack three ways: CSV on one worker, XLSX on two, and the
    service's path (plan, chunks rendered one by one in reverse, assemble) from CSV."""
    folder = tmp_path_factory.mktemp("packs")
    out = {"csv": folder / "csv.zip", "xlsx": folder / "xlsx.zip", "service": folder / "svc.zip"}
    calls: dict[str, list[tuple[int, int]]] = {"csv": [], "xlsx": []}
    build_pack(COHORT_CSV, CB, "2026-autumn", out["csv"], workers=1,
               progress=lambda d, t: calls["csv"].append((d, t)), **FIXED)  # fmt: skip
    build_pack(COHORT_XLSX, CB, "2026-autumn", out["xlsx"], workers=2,
               progress=lambda d, t: calls["xlsx"].append((d, t)), **FIXED)  # fmt: skip
    work = folder / "service"
    work.mkdir()
    plan = plan_pack(COHORT_CSV, CB, "2026-autumn", workdir=work, **FIXED)
    # The service stores the plan as JSON and its jobs carry only ids.
    stored = json.dumps(plan.to_dict())
    paths = [work / f"chunk-{i}.zip" for i in range(len(plan.chunks))]
    for i in reversed(range(len(plan.chunks))):
        job_plan = PackPlan.from_dict(json.loads(stored))
        chunk = job_plan.chunks[i]
        render_chunk(job_plan, chunk.start, chunk.stop, paths[i])
    with out["service"].open("wb") as fh:
        assemble(PackPlan.from_dict(json.loads(stored)), paths, fh)
    return {**out, "calls": calls}  # type: ignore[dict-item]


def test_a_pack_has_a_folder_per_school_and_each_childs_forms(packs):
    expected = _expected_children()
    with zipfile.ZipFile(packs["csv"]) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
    assert sorted(names) == sorted(
        [m for child in expected for m in _members(child)] + ["manifest.csv", "manifest.json"]
    )
    assert sorted({n.split("/")[0] for n in names if "/" in n}) == [
        "Brookvale Sixth Form",
        "Hollyfield Academy",
        "Kingsmead & Vale School",
        "Little Acorns Nursery",
        "Meadowbrook Primary School",
        "Northgate Learning Centre",
        "Oakridge Special School",
        "Riverside College",
        "St Aidan & St Hilda C of E Primary School",
    ]
    assert stat.S_IMODE(packs["csv"].stat().st_mode) == 0o600


def test_the_manifest_lists_every_child_by_school_then_name_with_exact_rows(packs):
    expected = _expected_children()
    with zipfile.ZipFile(packs["csv"]) as zf:
        rows = _manifest(zf)
        assert zf.read("manifest.csv").decode("utf-8-sig").splitlines()[0].split(",") == (
            MANIFEST_HEADER
        )
        for row in rows:
            for fmt in ("docx", "pdf"):
                assert hashlib.sha256(zf.read(row[fmt])).hexdigest() == row[f"{fmt}_sha256"]
        manifest_json = json.loads(zf.read("manifest.json"))
    assert [
        {k: v for k, v in r.items() if k not in ("form_id", "docx_sha256", "pdf_sha256")}
        for r in rows
    ] == [
        {
            "row": child["row"],
            "child_id": child["child_id"],
            "child_name": f"{child['child.first_name']} {child['child.last_name']}",
            "school": child["education_setting.name"],
            "authority": CB,
            "phase": child["phase"],
            "folder": child["education_setting.name"],
            "docx": _members(child)[0],
            "pdf": _members(child)[1],
            "status": "made",
            "problems": "",
        }
        for child in expected
    ]
    assert len({r["form_id"] for r in rows}) == 40
    assert manifest_json["pack"] == {
        "pack_id": FIXED["pack_id"],
        "authority": CB,
        "term": "2026-autumn",
        "formats": ["docx", "pdf"],
        "source": "cohort.csv",
        "generated_at": FIXED["generated_at"],
        "schema_id": "https://pep-docs.invalid/schemas/pep/1.0.0/pep.schema.json",
        "children": 40,
        "made": 40,
        "not_made": 0,
        "files": 80,
        "folders": 9,
    }
    assert [c["child_id"] for c in manifest_json["children"]] == [r["child_id"] for r in rows]
    assert manifest_json["children"][0]["files"]["pdf"] == {
        "path": rows[0]["pdf"],
        "sha256": rows[0]["pdf_sha256"],
    }


def test_every_form_opens_and_carries_its_childs_values_and_identity(packs):
    cohort = {r.data["child_id"]: r.data for r in read_cohort(COHORT_CSV)}
    read_back: set[str] = set()
    with zipfile.ZipFile(packs["csv"]) as zf:
        for row in _manifest(zf):
            docx, pdf = zf.read(row["docx"]), zf.read(row["pdf"])
            assert Document(io.BytesIO(docx)).core_properties.identifier == row["form_id"]
            identity = json.loads(PdfReader(io.BytesIO(pdf)).metadata["/PepDocsIdentity"])
            assert (identity["form_id"], identity["child_id"]) == (row["form_id"], row["child_id"])
            if row["folder"] in read_back:
                continue
            # One child per school read back in full by the product's own reader (slow-ish).
            read_back.add(row["folder"])
            wanted = dict(iter_values(cohort[row["child_id"]]))
            for content, name in ((docx, row["docx"]), (pdf, row["pdf"])):
                read = extract(content, where=name)
                assert read.form["form_id"] == row["form_id"]
                assert read.form["child_id"] == row["child_id"]
                assert read.form["term"] == "2026-autumn"
                assert read.form["generated_at"] == FIXED["generated_at"]
                assert read.form["matches_data"] is True, name
                got = dict(iter_values(read.data))
                assert {p: got.get(p) for p in wanted} == wanted, name
    assert len(read_back) == 9


def test_one_worker_or_two_csv_or_xlsx_and_the_service_path_make_the_same_pack(packs):
    # Byte for byte: every form, every zip entry's date, the manifests and the zip itself; the
    # XLSX pack's manifest.json names its own source file.
    assert packs["csv"].read_bytes() == packs["service"].read_bytes()
    with zipfile.ZipFile(packs["csv"]) as a, zipfile.ZipFile(packs["xlsx"]) as b:
        assert a.namelist() == b.namelist()
        differ = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert differ == ["manifest.json"]
        assert json.loads(b.read(differ[0]))["pack"]["source"] == "cohort.xlsx"
    with zipfile.ZipFile(packs["csv"]) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 9, 1, 9, 0, 0)}
        docx = next(n for n in zf.namelist() if n.endswith(".docx"))
        with zipfile.ZipFile(io.BytesIO(zf.read(docx))) as form:
            assert {i.date_time for i in form.infolist()} == {(2026, 9, 1, 9, 0, 0)}


def test_progress_is_reported_in_children_with_exact_totals(packs):
    # One worker renders the biggest (authority, phase) group first: 30 school-age children,
    # then 5 early years, then 5 post-16.
    assert packs["calls"]["csv"] == [(0, 40), (30, 40), (35, 40), (40, 40)]
    two = packs["calls"]["xlsx"]
    assert two[0] == (0, 40) and two[-1] == (40, 40)
    assert sorted(b[0] - a[0] for a, b in zip(two, two[1:], strict=False)) == [5, 5, 30]
    assert all(t == 40 for _, t in two)


def test_a_plan_is_plain_json_and_holds_no_childs_data(tmp_path):
    plan = plan_pack(COHORT_CSV, CB, "2026-autumn", ["pdf"], workdir=tmp_path, chunk_size=12,
                     **FIXED)  # fmt: skip
    text = json.dumps(plan.to_dict())
    assert PackPlan.from_dict(json.loads(text)) == plan
    assert "2011-04-10" not in text  # a date of birth stays in the data file
    assert stat.S_IMODE(Path(plan.data_path).stat().st_mode) == 0o600
    assert [(c.start, c.stop, c.phase) for c in plan.chunks] == [
        (0, 5, "early_years"), (5, 10, "post_16"), (10, 20, "school_age"),
        (20, 30, "school_age"), (30, 40, "school_age"),
    ]  # fmt: skip
    assert plan.render_order() == [2, 3, 4, 0, 1]


def test_rendering_a_chunk_again_gives_the_same_bytes_whatever_the_clock(tmp_path, monkeypatch):
    # A retried chunk job must give the very same file: nothing in it may come from the clock.
    plan = plan_pack(COHORT_CSV, CB, "2026-autumn", workdir=tmp_path, **FIXED)
    chunk = plan.chunks[1]
    first = render_chunk(plan, chunk.start, chunk.stop, tmp_path / "a.zip")
    before = (tmp_path / "a.zip").read_bytes()
    later = time.time() + 3 * 86400 + 3723
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "time_ns", lambda: int(later * 1e9))
    again = render_chunk(plan, chunk.start, chunk.stop, tmp_path / "a.zip")
    assert first == again
    assert (tmp_path / "a.zip").read_bytes() == before
    assert [r["status"] for r in first] == ["made"] * 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "children.jsonl"]


def test_assemble_refuses_a_chunk_of_another_pack(tmp_path):
    plan = plan_pack(COHORT_CSV, CB, "2026-autumn", ["pdf"], workdir=tmp_path, **FIXED)
    other = plan_pack(COHORT_CSV, CB, "2026-autumn", ["pdf"], workdir=tmp_path)
    paths = []
    for i, chunk in enumerate(plan.chunks):
        paths.append(tmp_path / f"{i}.zip")
        render_chunk(other if i == 1 else plan, chunk.start, chunk.stop, paths[-1])
    with pytest.raises(DocumentError) as err:
        assemble(plan, paths, io.BytesIO())
    assert str(err.value) == (
        f"{paths[1]}: the chunk file is not children [5, 10) of pack {FIXED['pack_id']} "
        "(render the chunk again)"
    )


def _cohort(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "cohort.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["authority", "phase", "child_id", "child.first_name", "child.last_name",
                         "education_setting.name", "meeting.date"])  # fmt: skip
        writer.writerows(rows)
    return path


def test_hostile_school_and_child_names_stay_inside_their_folder(tmp_path):
    cohort = _cohort(
        tmp_path,
        [
            [CB, "school_age", "H1", "Amelia", "Okafor", "../../x", ""],
            [CB, "school_age", "H2", "Ben\u202egpj.exe", "Hale", "..\\..\\windows\\system32", ""],
            [CB, "school_age", "H3", "Cara", "Osei", "Evil\x1b[2J\x07School\u200b", ""],
            [CB, "school_age", "H4", "Dev", "Patel", "CON", ""],
            [CB, "school_age", "H5", "Eve", "Walsh", "manifest.csv", ""],
            [CB, "school_age", "H6", "Finn", "Hughes", "A/B", ""],
            [CB, "school_age", "H7", "Gus", "Clarke", "A:B", ""],
            [CB, "school_age", "H8", "Hana", "Begum", "  ", ""],
            [CB, "school_age", "H9", "Ian", "Murphy", "a/b", ""],
            [CB, "school_age", "H10", "Jo", "Ahmed", "/etc/passwd", ""],
        ],
    )
    out = tmp_path / "pack.zip"
    result = build_pack(cohort, None, "2026-autumn", out, formats=["pdf"], workers=1)
    assert result.problems == []
    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        zf.extractall(tmp_path / "unpacked")
    assert names == [
        "A B (2)/H7 Gus Clarke.pdf",
        "A B/H6 Finn Hughes.pdf",
        "A B/H9 Ian Murphy.pdf",
        "CON_/H4 Dev Patel.pdf",
        "Evil [2J School/H3 Cara Osei.pdf",
        "No setting recorded/H8 Hana Begum.pdf",
        "etc passwd/H10 Jo Ahmed.pdf",
        "manifest.csv",
        "manifest.csv (2)/H5 Eve Walsh.pdf",
        "manifest.json",
        "windows system32/H2 Ben gpj.exe Hale.pdf",
        "x/H1 Amelia Okafor.pdf",
    ]
    root = (tmp_path / "unpacked").resolve()
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root)
    assert len(list(root.rglob("*.pdf"))) == 10


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("../../x", "x"),
        (".hidden", "hidden"),
        ("a\x00b\nc\td", "a b c d"),
        ("nul.txt", "nul.txt_"),
        ("LPT1", "LPT1_"),
        ("Zoë's  School", "Zoë's School"),
        ("x" * 100, "x" * 80),
        ("\u202e", "fallback"),
    ],
)
def test_safe_name(text, safe):
    assert safe_name(text, "fallback") == safe


def test_the_command_reports_bad_rows_and_makes_the_rest(tmp_path):
    cohort = _cohort(
        tmp_path,
        [
            [CB, "school_age", "G1", "Amelia", "Okafor", "Hollyfield Academy", "10/11/2026"],
            [CB, "school_age", "B1", "Ben", "Hale", "Hollyfield Academy", "31/11/2026"],
            ["nowhere", "school_age", "B2", "Cara", "Osei", "Hollyfield Academy", ""],
            [CB, "school_age", "", "Dev", "Patel", "Hollyfield Academy", ""],
        ],
    )
    out = tmp_path / "pack.zip"
    result = run("pack", str(cohort), "--term", "2026-autumn", "-o", str(out),
                 "--formats", "pdf", "--workers", "2")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "  - cohort.csv, row 3, column G (meeting.date): 'Date of meeting': '31/11/2026' is not "
        "a date this form can read (write the date as dd/mm/yyyy)",
        "  - cohort.csv, row 4, column A (authority): unknown authority 'nowhere' (known "
        "authorities: bracknell-forest, central-bedfordshire, peterborough, stockton-on-tees)",
        "  - cohort.csv, row 5, column C (child_id): the child's ID is empty (give every child "
        "the authority's ID for them)",
    ]
    assert result.stdout == (
        f"{out}: 1 children, 1 forms (pdf) in 1 school folders; 3 not made (listed above)\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as zf:
        rows = _manifest(zf)
        assert sorted(zf.namelist()) == [
            "Hollyfield Academy/G1 Amelia Okafor.pdf",
            "manifest.csv",
            "manifest.json",
        ]
    assert [(r["row"], r["child_id"], r["status"], r["pdf"]) for r in rows] == [
        ("2", "G1", "made", "Hollyfield Academy/G1 Amelia Okafor.pdf"),
        ("3", "B1", "not made", ""),
        ("4", "B2", "not made", ""),
        ("5", "", "not made", ""),
    ]
    assert rows[1]["problems"] == result.stderr.splitlines()[0][4:]


def test_the_command_writes_nothing_and_fails_when_no_child_can_be_made(tmp_path):
    cohort = _cohort(tmp_path, [["nowhere", "school_age", "B2", "Cara", "Osei", "X", ""]])
    out = tmp_path / "pack.zip"
    result = run("pack", str(cohort), "--term", "2026-autumn", "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: {cohort}: no child could be made: 1 row(s) with problems, listed above "
        "(correct the rows and run the pack again)"
    )
    assert not out.exists()
    assert os.listdir(tmp_path) == ["cohort.csv"]


def test_manifest_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    cohort = _cohort(tmp_path, [[CB, "school_age", "F1", "=HYPERLINK(1)", "Okafor", "@SUM(1)", ""]])
    out = tmp_path / "pack.zip"
    build_pack(cohort, None, "2026-autumn", out, formats=["pdf"], workers=1)
    with zipfile.ZipFile(out) as zf:
        (row,) = _manifest(zf)
    assert (row["child_name"], row["school"]) == ("'=HYPERLINK(1) Okafor", "'@SUM(1)")


def test_the_short_benchmark_prints_the_whole_table(capsys):
    # The figures of a 16-child run mean nothing; every row of the table must be there.
    from benchmarks import bench_pack

    bench_pack.main(["--short"])
    lines = capsys.readouterr().out.splitlines()
    number = r"\s+\d+\.\d"
    assert re.fullmatch(
        r"Term pack: synthetic cohort of 16 children \(central-bedfordshire, 3 phases\), \d+ "
        r"CPUs; naive loops on the first 2, LibreOffice on 1 \(short run: the figures mean "
        r"nothing\)",
        lines[0],
    )
    labels = [
        "pep-docs pack, one process (whole command)",
        "naive (a): new DocxTemplate per child (.docx only)",
        "naive (b): fresh reportlab canvas per child (.pdf only)",
        "naive (a) + (b): both forms",
        "(c) soffice --convert-to pdf alone, per .docx",
        "LibreOffice route: (a) + (c)",
    ]
    assert [line.strip()[: len(label)] for line, label in zip(lines[2:8], labels, strict=True)] == labels  # fmt: skip
    assert re.fullmatch(
        rf"\s+pep-docs pack, one process \(whole command\){number}  \(CPU \d+\.\d ms/child\)",
        lines[2],
    )
    for line in lines[3:8]:
        assert re.fullmatch(rf".*?{number}{number}x", line), line
    assert re.fullmatch(r"  16 children, both formats, \d+ processes: \d+\.\d s wall \(\d+\.\d ms/child; CPU \d+\.\d s\)", lines[8])  # fmt: skip
    assert re.fullmatch(r"  extraction, one process, forms as made \(first 2 of the pack\): \.docx \d+\.\d ms/form, \.pdf \d+\.\d ms/form; 1000 \.docx at that rate on \d+ processes: about \d+ s \(projected\)", lines[9])  # fmt: skip
    assert re.fullmatch(r"  load average before the run \d+\.\d\d, after \d+\.\d\d \(other work on the machine slows the wall times; CPU times move less\)", lines[10])  # fmt: skip
    assert re.fullmatch(r"  peak memory, one process: 8 children \d+ MB, 24 children \d+ MB, ratio \d\.\d\dx; 16 children on \d+ processes: largest \d+ MB", lines[11])  # fmt: skip
    assert len(lines) == 12


# -- the zip writer under the pack ---------------------------------------------------------

WHEN = (2026, 9, 1, 9, 0, 0)


def _zip(monkeypatch=None, **limits) -> bytes:
    if monkeypatch is not None:
        for name, value in limits.items():
            monkeypatch.setattr(zipwriter, name, value)
    out = io.BytesIO()
    with zipwriter.ZipWriter(out) as zw:
        zw.write("a/stored.docx", b"PK stored as it is", level=None, date_time=WHEN)
        zw.write("a/Łukasz Wiśniewski.pdf", b"%PDF " * 1000, level=1, date_time=WHEN, mode=0o640)
        zw.stream("manifest.csv", (b"row,%d\r\n" % i for i in range(500)), date_time=WHEN)
    return out.getvalue()


@pytest.mark.parametrize("zip64", [False, True], ids=["classic", "zip64"])
def test_the_zip_writer_writes_what_zipfile_and_unzip_read_back(tmp_path, monkeypatch, zip64):
    data = _zip(monkeypatch, ZIP64_LIMIT=40, MAX_ENTRIES=2) if zip64 else _zip()
    assert data == (_zip(monkeypatch, ZIP64_LIMIT=40, MAX_ENTRIES=2) if zip64 else _zip())
    assert (b"PK\x06\x06" in data) is zip64  # the Zip64 end record
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert [(i.filename, i.date_time, i.external_attr >> 16, i.compress_type) for i in zf.infolist()] == [
            ("a/stored.docx", WHEN, 0o100600, zipfile.ZIP_STORED),
            ("a/Łukasz Wiśniewski.pdf", WHEN, 0o100640, zipfile.ZIP_DEFLATED),
            ("manifest.csv", WHEN, 0o100600, zipfile.ZIP_DEFLATED),
        ]  # fmt: skip
        assert zf.read("a/Łukasz Wiśniewski.pdf") == b"%PDF " * 1000
        assert zf.read("manifest.csv") == b"".join(b"row,%d\r\n" % i for i in range(500))
    path = tmp_path / "t.zip"
    path.write_bytes(data)
    checked = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_member_is_copied_compressed_in_blocks_not_inflated(tmp_path):
    big = os.urandom(3 << 20)  # random: deflate cannot shrink it, so 3 MiB to copy
    src = tmp_path / "src.zip"
    with src.open("wb") as fh, zipwriter.ZipWriter(fh) as zw:
        zw.write("x/form.pdf", big, level=1, date_time=WHEN)

    class Sink(io.RawIOBase):
        """A pipe: no seek, no tell; remembers the largest single write."""

        largest = 0
        total = 0

        def writable(self):
            return True

        def write(self, b):
            self.largest, self.total = max(self.largest, len(b)), self.total + len(b)
            return len(b)

    sink = Sink()
    with src.open("rb") as fh, zipfile.ZipFile(fh) as zf, zipwriter.ZipWriter(sink) as out:
        entry = zipwriter.copy_member(out, zf, fh, "x/form.pdf")
        assert (entry.crc, entry.file_size) == (zf.getinfo("x/form.pdf").CRC, len(big))
    assert sink.largest == 1 << 20
    assert sink.total == src.stat().st_size


def test_assembling_a_pack_holds_no_form_in_memory(tmp_path):
    # Streaming, checked by what is allocated rather than by time: the pack is about 9 MB, its
    # largest form about 200 kB compressed; assembling never holds more than a block or two.
    plan = plan_pack(COHORT_CSV, CB, "2026-autumn", workdir=tmp_path, **FIXED)
    paths = [tmp_path / f"{i}.zip" for i in range(len(plan.chunks))]
    for chunk, path in zip(plan.chunks, paths, strict=True):
        render_chunk(plan, chunk.start, chunk.stop, path)
    with (tmp_path / "pack.zip").open("wb") as out:
        tracemalloc.start()
        try:
            assemble(plan, paths, out)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    size = (tmp_path / "pack.zip").stat().st_size
    assert size > 8_000_000
    assert peak < 1_500_000, peak


def test_members_sharing_a_prefix_read_back_whole_and_the_same_every_time():
    prefix = b"%PDF-1.7 layout shared by every child " * 2000
    out = io.BytesIO()
    with zipwriter.ZipWriter(out) as zw:
        shared = zipwriter.SharedPrefix(prefix, 1)
        for name, rest in (("a.pdf", b"child a"), ("b.pdf", b""), ("c.pdf", b"child c" * 999)):
            shared.write(zw, name, rest, date_time=WHEN)
        again = zipwriter.SharedPrefix(prefix, 1).write(zw, "d.pdf", b"child a", date_time=WHEN)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.read("a.pdf") == prefix + b"child a"
        assert zf.read("b.pdf") == prefix
        assert zf.read("c.pdf") == prefix + b"child c" * 999
        assert zf.getinfo("a.pdf").CRC == again.crc == zlib.crc32(prefix + b"child a")
    data = out.getvalue()
    first, second = (data.index(b"a.pdf"), data.index(b"d.pdf"))
    size = zf.getinfo("a.pdf").compress_size
    assert data[first + 5 : first + 5 + size] == data[second + 5 : second + 5 + size]


def test_a_pdf_in_two_parts_is_the_pdf():
    spec = prepare(data=json.loads((FIXTURES / "peps" / "cb-school-age-ehcp.json").read_text()),
                   form_id="00000000-0000-4000-8000-000000000001", generated_at=FIXED["generated_at"])  # fmt: skip
    shared, rest = render_pdf_parts(spec)
    assert shared + rest == render_pdf(spec)
    assert render_pdf_parts(spec)[0] is shared  # the layout's bytes, made once


def test_a_packs_docx_says_what_the_render_command_s_says_in_the_same_part_order():
    from pep_docs.render.docx import render_docx, renderer_for

    spec = prepare(data=json.loads((FIXTURES / "peps" / "cb-school-age-ehcp.json").read_text()),
                   form_id="00000000-0000-4000-8000-000000000001", generated_at=FIXED["generated_at"])  # fmt: skip
    fast = renderer_for(spec.profile, spec.phase).render(spec, level=1)
    usual = render_docx(spec)
    assert content_signature(fast) == content_signature(usual)
    with zipfile.ZipFile(io.BytesIO(fast)) as a, zipfile.ZipFile(io.BytesIO(usual)) as b:
        assert a.namelist() == b.namelist()
        assert a.testzip() is None
        assert {i.date_time for i in a.infolist()} == {(2026, 9, 1, 9, 0, 0)}


def test_chunks_rendered_in_threads_are_the_chunks_rendered_one_by_one(tmp_path):
    # The service's embedded jobs render chunks in threads sharing the renderers' caches.
    from concurrent.futures import ThreadPoolExecutor

    plan = plan_pack(COHORT_CSV, CB, "2026-autumn", workdir=tmp_path, chunk_size=4, **FIXED)
    chunks = plan.chunks
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: render_chunk(plan, chunks[i].start, chunks[i].stop, tmp_path / f"t{i}.zip"), range(len(chunks))))  # fmt: skip
    for i, chunk in enumerate(chunks):
        render_chunk(plan, chunk.start, chunk.stop, tmp_path / f"s{i}.zip")
        assert (tmp_path / f"t{i}.zip").read_bytes() == (tmp_path / f"s{i}.zip").read_bytes()


def test_the_embedded_font_is_the_same_bytes_whenever_it_is_subset(monkeypatch):
    # fontTools stamps the time into a font it saves unless told not to: forms made by two
    # workers a second apart would then differ.
    from pep_docs.profiles import load_profile
    from pep_docs.render.pdf_fonts import _load_font, font_file

    path = font_file(load_profile(CB).font, bold=False)
    first = _load_font.__wrapped__(path).program
    later = time.time() + 86400 * 400
    monkeypatch.setattr(time, "time", lambda: later)
    assert _load_font.__wrapped__(path).program == first


def test_the_command_uses_every_cpu_unless_told_and_reports_progress_per_chunk(
    tmp_path, monkeypatch
):
    from concurrent.futures import ThreadPoolExecutor

    from click.testing import CliRunner

    import pep_docs.pack as pack_module
    from pep_docs.commands import pack as command

    pools: list[int] = []

    class Pool(ThreadPoolExecutor):  # the same calls as the process pool, in threads
        def __init__(self, max_workers, initializer, initargs):
            pools.append(max_workers)
            super().__init__(max_workers, initializer=initializer, initargs=initargs)

    monkeypatch.setattr(pack_module, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    shown: list[tuple[int, int]] = []
    monkeypatch.setattr(command._Bar, "__call__", lambda self, d, t: shown.append((d, t)))
    args = [str(COHORT_CSV), "--term", "2026-autumn", "--formats", "pdf", "--chunk-size", "10"]
    result = CliRunner().invoke(command.pack_command, [*args, "-o", str(tmp_path / "a.zip")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        command.pack_command, [*args, "-o", str(tmp_path / "b.zip"), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert pools == [3, 2]
    # Per run: 0 first, then one call per chunk (30 school-age children in 3, 5 early years, 5
    # post-16), in the order the chunks finish.
    for run_ in (shown[:6], shown[6:]):
        assert run_[0] == (0, 40) and run_[-1] == (40, 40) and len(run_) == 6
        assert sorted(b[0] - a[0] for a, b in zip(run_, run_[1:], strict=False)) == [
            5,
            5,
            10,
            10,
            10,
        ]
