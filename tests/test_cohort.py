"""Reading cohort files (CSV and XLSX) into partial PEPs, and saying exactly what is wrong."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from pep_docs.cohort import CohortLimits, headers_for, read_cohort
from pep_docs.errors import DocumentError, UnsafeInputError
from pep_docs.synthetic import cohort_row_pointers
from tests.conftest import FIXTURES

COHORT_CSV = FIXTURES / "cohort.csv"
COHORT_XLSX = FIXTURES / "cohort.xlsx"

FIRST_ROW = {
    "authority": "central-bedfordshire",
    "phase": "school_age",
    "term": "2026-autumn",
    "child_id": "CB00100",
    "meeting": {"type": "review", "date": "2026-11-10", "time": "10:00", "venue": "Online (Teams)"},
    "child": {
        "first_name": "Łukasz",
        "last_name": "Wiśniewski",
        "date_of_birth": "2011-04-10",
        "gender": "female",
        "ethnicity": "White Other",
        "first_language": "English",
        "upn": "K382871090187",
        "nc_year": "year_11",
    },
    "social_care": {
        "legal_status": "care_order",
        "date_entered_care": "2021-12-06",
        "placement_type": "kinship",
        "placement_start_date": "2025-12-18",
        "placements_count": 1,
    },
    "contacts": {
        "social_worker": {
            "name": "Priya Walsh",
            "organisation": "Central Bedfordshire Children's Services",
            "email": "priya.walsh@central.example",
            "phone": "01632 960283",
        },
        "designated_teacher": {
            "name": "Lee Okafor",
            "organisation": "Kingsmead & Vale School",
            "email": "lee.okafor@kingsmead.example",
            "phone": "01632 960540",
        },
        "carer": {
            "name": "Priya Hughes",
            "organisation": "Foster carer",
            "email": "priya.hughes@foster.example",
            "phone": "01632 960656",
        },
        "virtual_school_adviser": {
            "name": "Mark Baptiste",
            "organisation": "Central Bedfordshire Virtual School",
            "email": "mark.baptiste@central.example",
            "phone": "01632 960870",
        },
        "iro": {
            "name": "Sarah Ferreira",
            "organisation": "Central Bedfordshire IRO Service",
            "email": "sarah.ferreira@central.example",
            "phone": "01632 960748",
        },
    },
    "education_setting": {
        "name": "Kingsmead & Vale School",
        "urn": "954031",
        "setting_type": "mainstream",
        "start_date": "2026-09-03",
        "out_of_authority": False,
    },
    "attendance": {
        "term_percent": 93.8,
        "year_percent": 94.7,
        "sessions_missed": 4,
        "unauthorised_sessions": 0,
        "suspensions": 0,
        "suspension_days": 0,
        "permanent_exclusion": False,
    },
    "send": {"status": "sen_support"},
    "wellbeing": {"sdq_score": 19, "sdq_date": "2026-10-05", "sdq_informant": "carer"},
}


def _csv(rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


def _problems(source, **kw) -> list[str]:
    return [str(p) for row in read_cohort(source, **kw) for p in row.problems]


def test_the_fixture_cohort_reads_the_same_from_csv_and_xlsx():
    from_csv = list(read_cohort(COHORT_CSV))
    from_xlsx = list(read_cohort(COHORT_XLSX))
    assert [r.number for r in from_csv] == list(range(2, 42))
    assert all(r.ok for r in from_csv + from_xlsx)
    assert [r.data for r in from_csv] == [r.data for r in from_xlsx]
    assert from_csv[0].data == FIRST_ROW
    assert [r.data["child_id"] for r in from_csv] == [f"CB{i:05d}" for i in range(100, 140)]


def test_the_file_type_is_decided_by_content_not_name(tmp_path):
    disguised = tmp_path / "cohort.csv"
    disguised.write_bytes(COHORT_XLSX.read_bytes())
    assert [r.data for r in read_cohort(disguised)] == [r.data for r in read_cohort(COHORT_CSV)]


def test_every_column_a_cohort_may_have_comes_from_the_schema():
    dotted = [p[1:].replace("/", ".") for p in cohort_row_pointers()]
    assert set(dotted) <= set(headers_for())
    assert "targets.target" not in headers_for()  # tables cannot be a column


def test_columns_may_be_named_by_the_labels_the_form_prints():
    source = _csv(
        [
            ["Child's local authority ID", "Phase", "First name", "Date of birth",
             "Social worker: Name", "Type of setting", "Outside the authority's area",
             "Attendance this term"],
            ["X1", "Statutory school age", "Amelia", "3rd March 2015", "Sarah Okafor",
             "Mainstream school", "Yes", "92%"],
        ]
    )  # fmt: skip
    (row,) = read_cohort(source, authority="bracknell-forest", term="2026-spring")
    assert row.problems == []
    assert row.data == {
        "child_id": "X1",
        "phase": "school_age",
        "child": {"first_name": "Amelia", "date_of_birth": "2015-03-03"},
        "contacts": {"social_worker": {"name": "Sarah Okafor"}},
        "education_setting": {"setting_type": "mainstream", "out_of_authority": True},
        "attendance": {"term_percent": 92},
        "authority": "bracknell-forest",
        "term": "2026-spring",
    }


def test_a_header_that_fits_no_field_or_several_stops_the_file_and_says_which():
    source = _csv([["child_id", "phase", "child.frist_name", "Name", "child_id"], ["X1"]])
    source.name = "export.csv"
    with pytest.raises(DocumentError) as err:
        list(read_cohort(source))
    assert str(err.value) == (
        "export.csv, row 1: the header row has problems: column C (child.frist_name) is not a "
        "field of the PEP (did you mean child.first_name?); column D (Name) could be any of "
        "several fields (Key contacts, Social worker: Name = contacts.social_worker.name; "
        "Key contacts, Designated teacher: Name = contacts.designated_teacher.name; "
        "Key contacts, Carer: Name = contacts.carer.name; Key contacts, Virtual School adviser: "
        "Name = contacts.virtual_school_adviser.name); name it by its dotted path; column E "
        "(child_id) repeats column A (child_id) (columns are the dotted paths or labels of "
        "`pep-docs schema`; rename or remove the columns named)"
    )


def test_a_cohort_without_a_child_id_or_phase_column_is_refused():
    with pytest.raises(DocumentError, match=r"no column gives the child's ID \(child_id\); no "):
        list(read_cohort(_csv([["child.first_name"], ["Amelia"]])))


def test_bad_rows_say_row_and_column_and_the_others_are_read():
    source = _csv(
        [
            ["authority", "phase", "term", "child_id", "meeting.date", "child.gender"],
            ["peterborough", "school_age", "", "P1", "31/02/2026", "female"],
            ["nowhere", "school_age", "", "P2", "", ""],
            ["peterborough", "school_age", "", "", "", ""],
            ["peterborough", "school_age", "2025-spring", "P3", "", ""],
            ["", "", "", "", "", ""],
            ["peterborough", "post_16", "", "P4", "01/12/2026", "Female"],
            ["peterborough", "school_age", "", "p4", "", "unknown"],
            ["peterborough", "teenage", "", "P5 X", "", ""],
        ]
    )
    source.name = "cohort.csv"
    rows = list(read_cohort(source, term="2026-autumn"))
    assert [r.number for r in rows] == [2, 3, 4, 5, 7, 8, 9]
    assert [r.ok for r in rows] == [False, False, False, False, True, False, False]
    assert rows[4].data == {
        "authority": "peterborough",
        "phase": "post_16",
        "term": "2026-autumn",
        "child_id": "P4",
        "meeting": {"date": "2026-12-01"},
        "child": {"gender": "female"},
    }
    assert [str(p) for r in rows for p in r.problems] == [
        "cohort.csv, row 2, column E (meeting.date): 'Date of meeting': '31/02/2026' is not a "
        "date this form can read (write the date as dd/mm/yyyy)",
        "cohort.csv, row 3, column A (authority): unknown authority 'nowhere' (known "
        "authorities: bracknell-forest, central-bedfordshire, peterborough, stockton-on-tees)",
        "cohort.csv, row 4, column D (child_id): the child's ID is empty (give every child the "
        "authority's ID for them)",
        "cohort.csv, row 5, column C (term): the row's term '2025-spring' is not '2026-autumn', "
        "the pack's term (correct the row, or make a pack for 2025-spring)",
        "cohort.csv, row 8, column F (child.gender): 'Gender': 'unknown' is not one of the "
        "choices (use one of: Female, Male, Other, Not stated)",
        "cohort.csv, row 8, column D (child_id): child ID 'p4' is also on row 7 (give each "
        "child one row)",
        "cohort.csv, row 9, column B (phase): 'Phase': 'teenage' is not one of the choices "
        "(use one of: Early years, Statutory school age, Post-16)",
        "cohort.csv, row 9, column D (child_id): 'Child's local authority ID' is not in the "
        "expected form: 'P5 X' (The identifier of the child in the authority's case-management "
        "system.) (correct the cell)",
    ]


def test_the_command_line_authority_fills_in_and_must_agree():
    source = _csv([["authority", "phase", "child_id"], ["", "early_years", "A1"],
                   ["stockton-on-tees", "early_years", "A2"]])  # fmt: skip
    rows = list(read_cohort(source, authority="peterborough", term="2026-summer"))
    assert rows[0].data["authority"] == "peterborough" and rows[0].ok
    assert [p.message for p in rows[1].problems] == [
        "the row's authority 'stockton-on-tees' is not 'peterborough', the pack's authority"
    ]
    source.seek(0)
    assert _problems(source) == [
        "cohort, row 2, column A (authority): no authority for this row (fill the authority "
        "column or give --authority)",
        "cohort, row 2: no term for this row (fill the term column or give --term)",
        "cohort, row 3: no term for this row (fill the term column or give --term)",
    ]


def test_an_unknown_command_line_authority_is_refused_before_reading():
    with pytest.raises(DocumentError, match="unknown authority 'nowhere'"):
        list(read_cohort(COHORT_CSV, authority="nowhere"))


def test_typed_spreadsheet_cells_are_read_as_the_schema_types_them(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["child_id", "phase", "child.date_of_birth", "meeting.time", "education_setting.urn",
               "attendance.sessions_missed", "education_setting.out_of_authority", "meeting.date"])  # fmt: skip
    ws.append([12345, "school_age", datetime(2015, 3, 3), time(14, 30), 912345, 3.0, True,
               date(2026, 11, 10)])  # fmt: skip
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    (row,) = read_cohort(path, authority="peterborough", term="2026-autumn")
    assert row.problems == []
    assert row.data == {
        "child_id": "12345",
        "phase": "school_age",
        "child": {"date_of_birth": "2015-03-03"},
        "meeting": {"time": "14:30", "date": "2026-11-10"},
        "education_setting": {"urn": "912345", "out_of_authority": True},
        "attendance": {"sessions_missed": 3},
        "authority": "peterborough",
        "term": "2026-autumn",
    }


def test_a_windows_1252_csv_from_excel_is_read():
    text = "child_id,phase,child.first_name\r\nX1,school_age,Zoë\r\n"
    (row,) = read_cohort(io.BytesIO(text.encode("cp1252")), authority="peterborough",
                         term="2026-autumn")  # fmt: skip
    assert row.data["child"] == {"first_name": "Zoë"}


def test_semicolon_separated_and_bom_csv_is_read():
    text = "\ufeffchild_id;phase;child.first_name\nX1;school_age;Amelia\n"
    (row,) = read_cohort(io.BytesIO(text.encode("utf-8")), authority="peterborough",
                         term="2026-autumn")  # fmt: skip
    assert row.ok and row.data["child"] == {"first_name": "Amelia"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "x: the file is an old Excel "
         "workbook (.xls) (save it as .xlsx or .csv and try again)"),
        (b"%PDF-1.7\n", "x: the file is a PDF, not a cohort (give a .csv or .xlsx cohort)"),
        (b"ab\x00cd", "x: the file is neither a CSV nor an Excel workbook (it holds binary "
         "data) (export the cohort as .csv or .xlsx)"),
        (b"", "x: the cohort file is empty"),
    ],
)  # fmt: skip
def test_files_that_are_not_cohorts_are_refused_with_a_reason(content, message):
    source = io.BytesIO(content)
    source.name = "x"
    with pytest.raises(DocumentError) as err:
        list(read_cohort(source))
    assert str(err.value) == message


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    out.seek(0)
    with pytest.raises(DocumentError, match="the file is a zip but not an Excel workbook"):
        list(read_cohort(out))


def test_a_workbook_with_a_doctype_is_refused(tmp_path):
    path = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(COHORT_XLSX) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + data  # entity expansion
            dst.writestr(info, data)
    with pytest.raises(UnsafeInputError) as err:
        list(read_cohort(path))
    assert str(err.value) == (
        "evil.xlsx: the part xl/worksheets/sheet1.xml has an XML document type declaration, "
        "which Excel never writes: refused (save the workbook again from Excel)"
    )


def test_limits_on_size_and_rows():
    with pytest.raises(UnsafeInputError) as err:
        list(read_cohort(COHORT_CSV, limits=CohortLimits(max_bytes=1000)))
    assert str(err.value) == (
        "cohort.csv: the cohort is 0 MB, more than the 0 MB allowed (split it, or raise "
        "PEP_DOCS_MAX_COHORT_BYTES)"
    )
    with pytest.raises(UnsafeInputError) as err:
        list(read_cohort(COHORT_CSV, limits=CohortLimits(max_rows=10)))
    assert str(err.value) == (
        "cohort.csv, row 12: the cohort has more than 10 children (split it, or raise "
        "PEP_DOCS_MAX_COHORT_ROWS)"
    )
