"""Reading a cohort file: one row per child, as a case-management system exports it.

A cohort is a CSV or an Excel workbook (.xlsx; the type is decided by the bytes, not the name)
whose first row names the columns. A column is a field of the PEP schema, named either by its
dotted path (`child.first_name`, also `/child/first_name`) or by the label the form prints
(`First name`; where a label is not unique, with its group: `Social worker: Name`). The
accepted names are derived from the schema, so a new prepopulated field is a new column.

`read_cohort()` streams the rows: each becomes a partial PEP document (only the cells that have a
value), typed as the schema says (dates, numbers, choices by label or value, Yes / No) with the
same coercions as returned forms, and checked with `validate(partial=True)`. A row with
problems carries them as `DocumentError`s saying file, row, column and what to do; the other
rows are unaffected. Problems with the file itself (unreadable, unknown or repeated column, no
child ID column, too big) raise a `DocumentError` at once.

`--authority` and `--term` (the `authority` and `term` arguments) fill in a row that leaves them
empty and must agree with a row that gives them.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import IO, Any

from pep_docs.errors import DocumentError, UnsafeInputError
from pep_docs.extractors.coerce import coerce
from pep_docs.profiles import available
from pep_docs.schema import Field, PepModel, load_model, set_pointer
from pep_docs.validate import validate

IDENTITY = ("authority", "phase", "term", "child_id")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class CohortLimits:
    """How big a cohort may be; each limit is a setting (the largest authorities look after
    about 2,000 children, and the file holds one row each)."""

    max_bytes: int = _env_int("PEP_DOCS_MAX_COHORT_BYTES", 50 * 1024 * 1024)
    max_rows: int = _env_int("PEP_DOCS_MAX_COHORT_ROWS", 20_000)


LIMITS = CohortLimits()


@dataclass(frozen=True)
class Column:
    """A column of the file and the schema field it fills (None for an empty header)."""

    index: int
    header: str
    field: Field | None

    @property
    def letter(self) -> str:
        """The spreadsheet letter of the column (A, B, ..., AA)."""
        n, letters = self.index + 1, ""
        while n:
            n, r = divmod(n - 1, 26)
            letters = chr(65 + r) + letters
        return letters

    @property
    def where(self) -> str:
        return f"column {self.letter} ({self.header})" if self.header else f"column {self.letter}"


@dataclass
class CohortRow:
    """One child's row: its number as a spreadsheet shows it (the header is row 1), the
    partial PEP it gives, and its problems (a row with problems is not to be used)."""

    number: int
    data: dict[str, Any]
    problems: list[DocumentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# -- headers -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    """A header as compared: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


@cache
def _header_names(model: PepModel) -> tuple[dict[str, Field], dict[str, list[Field]]]:
    """Every name a column may have: (exact dotted/pointer names, label names -> fields).

    Columns can fill any field outside tables (a row holds one value per field). A label name
    may fit several fields (`Name` is in every contact); it is then ambiguous.
    """
    exact: dict[str, Field] = {}
    labels: dict[str, list[Field]] = {}
    for node in model.fields():
        if "*" in node.pointer or node.pointer == "/$schema":
            continue
        exact[node.pointer[1:].replace("/", ".")] = node
        exact[node.pointer] = node
        names = {_norm(node.title)}
        trail = model.describe(node.pointer).replace("'", "")
        names.add(_norm(trail))
        parts = trail.rsplit(": ", 1)
        if len(parts) == 2:
            names.add(_norm(f"{parts[0].split(', ')[-1]}: {parts[1]}"))
        for name in names:
            if name and node not in labels.setdefault(name, []):
                labels[name].append(node)
    return exact, labels


def map_headers(headers: list[str], where: str, model: PepModel | None = None) -> list[Column]:
    """The schema field of each header, or a `DocumentError` naming every header that fits none."""
    model = model or load_model()
    exact, labels = _header_names(model)
    columns: list[Column] = []
    problems: list[str] = []
    seen: dict[str, Column] = {}
    for index, raw in enumerate(headers):
        header = raw.strip()
        column = Column(index, header, None)
        if not header:
            columns.append(column)
            continue
        f = exact.get(header)
        if f is None:
            fits = labels.get(_norm(header), [])
            if len(fits) == 1:
                f = fits[0]
            elif len(fits) > 1:
                options = "; ".join(
                    f"{model.describe(x.pointer).replace(chr(39), '')} = "
                    f"{x.pointer[1:].replace('/', '.')}"
                    for x in fits[:4]
                )
                problems.append(
                    f"{column.where} could be any of several fields ({options}); "
                    "name it by its dotted path"
                )
                columns.append(column)
                continue
        if f is None:
            guess = difflib.get_close_matches(header, [k for k in exact if "." in k], n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            problems.append(f"{column.where} is not a field of the PEP{hint}")
            columns.append(column)
            continue
        column = Column(index, header, f)
        if f.pointer in seen:
            problems.append(f"{column.where} repeats {seen[f.pointer].where}")
        seen[f.pointer] = column
        columns.append(column)
    if "/child_id" not in seen:
        problems.append("no column gives the child's ID (child_id)")
    if "/phase" not in seen:
        problems.append("no column gives the phase (phase: early_years, school_age or post_16)")
    if problems:
        raise DocumentError(
            "the header row has problems: " + "; ".join(problems),
            where=f"{where}, row 1",
            hint="columns are the dotted paths or labels of `pep-docs schema`; "
            "rename or remove the columns named",
        )
    return columns


# -- cells ---------------------------------------------------------------------------------


def _cell_value(f: Field, cell: Any) -> tuple[Any, str | None]:
    """A cell as the schema types it, and a problem when it cannot be typed."""
    if isinstance(cell, bool):
        if f.type == "boolean":
            return cell, None
        cell = "Yes" if cell else "No"
    elif isinstance(cell, datetime):
        if f.widget == "date":
            return cell.date().isoformat(), None
        if f.widget == "time":
            return cell.strftime("%H:%M"), None
        cell = cell.date().isoformat() if cell.time() == time() else cell.isoformat(" ")
    elif isinstance(cell, date):
        if f.widget == "date":
            return cell.isoformat(), None
        cell = cell.isoformat()
    elif isinstance(cell, time):
        if f.widget == "time":
            return cell.strftime("%H:%M"), None
        cell = cell.strftime("%H:%M")
    elif isinstance(cell, int | float):
        if f.type in ("number", "integer"):
            if f.type == "integer" and float(cell).is_integer():
                return int(cell), None
            return cell, None
        # A spreadsheet stores 954031 or 1.0 as a number; the schema wants its text.
        cell = str(int(cell)) if float(cell).is_integer() else str(cell)
    text = str(cell)
    if f.widget in ("line", "paragraph") and f.type == "string":
        return (text.strip() if f.widget == "line" else text.strip("\r\n ")), None
    coerced = coerce(f, text)
    return coerced.value, coerced.warning


def _is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# -- files ---------------------------------------------------------------------------------


def _open(source: Path | str | IO[bytes]) -> tuple[IO[bytes], str, bool]:
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            return path.open("rb"), path.name, True
        except OSError as exc:
            raise DocumentError(f"cannot open the cohort: {exc.strerror}", where=str(path)) from exc
    return source, getattr(source, "name", None) or "cohort", False


def _size(fh: IO[bytes]) -> int:
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    return size


def _xlsx_rows(fh: IO[bytes], where: str) -> Generator[list[Any], None, None]:
    """Rows of the first visible worksheet, streamed (openpyxl read-only), once the zip's
    directory passed the safety limits and no part declares a DOCTYPE."""
    from openpyxl import load_workbook

    from pep_docs.extractors.safety import Limits, SafeZip

    safe = SafeZip(fh, where, Limits(max_file_bytes=LIMITS.max_bytes))
    if "xl/workbook.xml" not in safe.names:
        raise DocumentError(
            "the file is a zip but not an Excel workbook",
            where=where,
            hint="send the cohort as .xlsx or .csv",
        )
    for name in sorted(safe.names):
        if name.endswith((".xml", ".rels")) and _has_doctype(safe.zip, name):
            raise UnsafeInputError(
                f"the part {name} has an XML document type declaration, which Excel never "
                "writes: refused",
                where=where,
                hint="save the workbook again from Excel",
            )
    del safe
    fh.seek(0)
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(
            f"the workbook cannot be read ({exc})", where=where, hint="save it again from Excel"
        ) from exc
    try:
        sheet = next((ws for ws in wb.worksheets if ws.sheet_state == "visible"), None)
        if sheet is None:
            raise DocumentError("the workbook has no visible worksheet", where=where)
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        wb.close()


def _has_doctype(zf: zipfile.ZipFile, name: str) -> bool:
    tail = b""
    with zf.open(name) as part:
        while block := part.read(1 << 16):
            window = (tail + block).lower()
            if b"<!doctype" in window or b"<!entity" in window:
                return True
            tail = block[-16:]
    return False


def _encoding(fh: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when every byte is; otherwise Windows-1252, which is what
    Excel's 'CSV (Comma delimited)' writes on an English Windows machine."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := fh.read(1 << 20):
            decoder.decode(block)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    fh.seek(0)
    return encoding


def _csv_rows(fh: IO[bytes], where: str) -> Generator[list[Any], None, None]:
    head = fh.read(4096)
    fh.seek(0)
    if b"\x00" in head:
        raise DocumentError(
            "the file is neither a CSV nor an Excel workbook (it holds binary data)",
            where=where,
            hint="export the cohort as .csv or .xlsx",
        )
    # cp1252 leaves five bytes undefined; they become U+FFFD rather than stop the file.
    text = io.TextIOWrapper(fh, encoding=_encoding(fh), newline="", errors="replace")
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise DocumentError(
            f"the CSV is damaged at row {reader.line_num}: {exc}",
            where=where,
            hint="open it in a spreadsheet and save it again as CSV",
        ) from exc
    finally:
        text.detach()


def _rows(fh: IO[bytes], where: str) -> Generator[list[Any], None, None]:
    magic = fh.read(8)
    fh.seek(0)
    if magic.startswith(_XLSX_MAGIC):
        return _xlsx_rows(fh, where)
    if magic.startswith(_OLE2_MAGIC):
        raise DocumentError(
            "the file is an old Excel workbook (.xls)",
            where=where,
            hint="save it as .xlsx or .csv and try again",
        )
    if magic.startswith(b"%PDF"):
        raise DocumentError(
            "the file is a PDF, not a cohort", where=where, hint="give a .csv or .xlsx cohort"
        )
    return _csv_rows(fh, where)


# -- rows ----------------------------------------------------------------------------------


def read_cohort(
    source: Path | str | IO[bytes],
    *,
    authority: str | None = None,
    term: str | None = None,
    limits: CohortLimits = LIMITS,
) -> Iterator[CohortRow]:
    """Every child's row of a cohort file, in file order; rows with problems carry them.

    Blank rows are skipped. A file-level problem raises `DocumentError` before any row.
    """
    if authority is not None and authority not in available():
        raise DocumentError(
            f"unknown authority {authority!r}",
            hint=f"known authorities: {', '.join(available())}",
        )
    fh, where, opened = _open(source)
    try:
        size = _size(fh)
        if size > limits.max_bytes:
            raise UnsafeInputError(
                f"the cohort is {size // (1024 * 1024)} MB, more than the "
                f"{limits.max_bytes // (1024 * 1024)} MB allowed",
                where=where,
                hint="split it, or raise PEP_DOCS_MAX_COHORT_BYTES",
            )
        if size == 0:
            raise DocumentError("the cohort file is empty", where=where)
        rows = _rows(fh, where)
        try:
            header = next(rows, None)
            if header is None:
                raise DocumentError("the cohort file is empty", where=where)
            columns = map_headers(["" if h is None else str(h) for h in header], where)
            yield from _read_rows(rows, columns, where, authority, term, limits)
        finally:
            rows.close()  # the reader lets go of the file before it is closed
    finally:
        if opened:
            fh.close()


def _read_rows(
    rows: Iterable[list[Any]],
    columns: list[Column],
    where: str,
    authority: str | None,
    term: str | None,
    limits: CohortLimits,
) -> Iterator[CohortRow]:
    by_pointer = {c.field.pointer: c for c in columns if c.field is not None}
    known = set(available())
    seen_ids: dict[str, int] = {}
    count = 0
    for number, cells in enumerate(rows, start=2):
        if all(_is_empty(c) for c in cells):
            continue
        count += 1
        if count > limits.max_rows:
            raise UnsafeInputError(
                f"the cohort has more than {limits.max_rows} children",
                where=f"{where}, row {number}",
                hint="split it, or raise PEP_DOCS_MAX_COHORT_ROWS",
            )
        row = _Row(number, where)
        for column, cell in zip(columns, cells, strict=False):
            if _is_empty(cell):
                continue
            f = column.field
            if f is None:
                row.problem(
                    column,
                    "this cell has a value but its column has no header",
                    "give the column a header or remove it",
                )
                continue
            value, warning = _cell_value(f, cell)
            if warning:
                message = f"'{f.title}': {warning.replace('; kept as typed', '')}"
                row.problem(column, message, _fix_hint(f), f.pointer)
                continue
            set_pointer(row.data, f.pointer, value)
        _identity(row, by_pointer, authority, term, known)
        child_id = row.data.get("child_id")
        id_column = by_pointer["/child_id"]
        if not child_id:
            hint = "give every child the authority's ID for them"
            row.problem(id_column, "the child's ID is empty", hint, "/child_id")
        elif str(child_id).casefold() in seen_ids:
            first = seen_ids[str(child_id).casefold()]
            message = f"child ID {child_id!r} is also on row {first}"
            row.problem(id_column, message, "give each child one row", "/child_id")
        else:
            seen_ids[str(child_id).casefold()] = number
        reported = {p.pointer for p in row.problems}
        for p in validate(row.data, partial=True):
            if p.pointer not in reported:
                row.problem(by_pointer.get(p.pointer), p.message, "correct the cell", p.pointer)
        yield row


class _Row(CohortRow):
    def __init__(self, number: int, where: str) -> None:
        super().__init__(number, {})
        self._where = where

    def problem(
        self, column: Column | None, message: str, hint: str, pointer: str | None = None
    ) -> None:
        place = f"{self._where}, row {self.number}" + (f", {column.where}" if column else "")
        self.problems.append(DocumentError(message, where=place, pointer=pointer, hint=hint))


def _identity(
    row: _Row,
    by_pointer: Mapping[str, Column],
    authority: str | None,
    term: str | None,
    known: set[str],
) -> None:
    """Authority and term: from the row, filled in from the command line, or both agreeing."""
    for name, given in (("authority", authority), ("term", term)):
        column = by_pointer.get(f"/{name}")
        value = row.data.get(name)
        if name == "authority" and value and value not in known:
            hint = f"known authorities: {', '.join(sorted(known))}"
            row.problem(column, f"unknown authority {value!r}", hint, "/authority")
        elif given and value and value != given:
            message = f"the row's {name} {value!r} is not {given!r}, the pack's {name}"
            row.problem(column, message, f"correct the row, or make a pack for {value}", f"/{name}")
        elif given and not value:
            row.data[name] = given
        elif not value:
            hint = f"fill the {name} column or give --{name}"
            row.problem(column, f"no {name} for this row", hint, f"/{name}")


def _fix_hint(f: Field) -> str:
    if f.widget == "date":
        return "write the date as dd/mm/yyyy"
    if f.widget == "time":
        return "write the time as hh:mm"
    if f.choices:
        labels = ", ".join(label for _, label in f.choices[:8])
        more = ", ..." if len(f.choices) > 8 else ""
        return f"use one of: {labels}{more}"
    if f.type == "boolean":
        return "write Yes or No"
    return "write a number"


def problems_of(rows: Iterable[CohortRow]) -> list[DocumentError]:
    """Every problem of the rows given, in row order."""
    return [p for row in rows for p in row.problems]


def headers_for(model: PepModel | None = None) -> Mapping[str, Field]:
    """The dotted column name of every field a cohort may give (for documentation and tests)."""
    exact, _ = _header_names(model or load_model())
    return {k: v for k, v in exact.items() if not k.startswith("/")}
