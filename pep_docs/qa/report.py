"""The cohort report: what a Virtual School analyses across all its checked PEPs.

Ratings by school, phase and year group; the criteria most often not met; timeliness;
attendance, SDQ and reading-age summaries; PP+ requested and linked to targets. One row per PEP
(`PepRow`) is built from a `CheckResult`; `Cohort` sums them; the writers turn a cohort into
.xlsx, .csv or .html.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pep_docs.errors import PepDocsError
from pep_docs.qa.charts import bars, level_colour, stacked_bars
from pep_docs.qa.check import CheckResult
from pep_docs.qa.fields import load_qa_fields
from pep_docs.qa.pages import render_page
from pep_docs.qa.rules import MET, NOT_APPLICABLE, NOT_MET, RULES, Context
from pep_docs.schema import Field, get_pointer, load_model

SDQ_CONCERN = 17  # a total difficulties score over 17 is a concern
PERSISTENT_ABSENCE = 90.0  # attendance below 90% is persistent absence in England
FORMATS = (".xlsx", ".csv", ".html")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _months_between(born: date, on: date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)


def _label(pointer: str, value: Any) -> str:
    node = load_model().node(pointer)
    if value in (None, ""):
        return "Not recorded"
    return node.label_for(value) if isinstance(node, Field) else str(value)


@dataclass(frozen=True)
class Deadline:
    id: str
    text: str
    days: int | None
    met: bool


@dataclass(frozen=True)
class PepRow:
    """What the cohort report needs from one checked PEP."""

    file: str
    authority: str
    child_id: str
    term: str
    school: str
    phase: str
    year_group: str
    rating: str
    levels: tuple[str, ...]
    not_met: tuple[str, ...]
    applicable: tuple[str, ...]
    criteria_text: Mapping[str, str]
    deadlines: tuple[Deadline, ...]
    attendance: float | None
    sdq: float | None
    reading_gap_months: int | None
    ppp_requested: float | None
    ppp_linked_amount: float
    ppp_linked: bool
    schema_problems: int

    @classmethod
    def from_result(cls, result: CheckResult) -> PepRow:
        doc, fields = result.document, load_qa_fields()
        get = lambda role: get_pointer(doc, fields.pointer(role))  # noqa: E731
        ctx = Context(doc, result.profile)
        deadlines = tuple(
            Deadline(c.id, c.text, c.outcome.value, c.result == MET)
            for c, crit in zip(result.criteria, result.profile.qa["criteria"], strict=True)
            if crit["rule"]["kind"] == "within_days" and c.result != NOT_APPLICABLE
        )
        gap = None
        years, months = _number(get("reading_age.years")), _number(get("reading_age.months"))
        born = ctx.date(fields.pointer("date_of_birth"))
        tested = _date(get("reading_age.test_date")) or ctx.date(fields.pointer("meeting.date"))
        if years is not None and born and tested:
            gap = int(years * 12 + (months or 0)) - _months_between(born, tested)
        pp = RULES["ppp_linked"].function(ctx)
        amount = fields.column("target.ppp_amount")
        linked_amount = sum(
            _number(t.get(amount)) or 0.0
            for t in ctx.items(fields.pointer("targets"))
            if isinstance(t, Mapping)
        )
        return cls(
            file=result.file or "",
            authority=result.profile.name,
            child_id=str(get("child_id") or ""),
            term=str(get("term") or ""),
            school=str(get("school") or "Not recorded"),
            phase=_label(fields.pointer("phase"), get("phase")),
            year_group=_label(fields.pointer("year_group"), get("year_group")),
            rating=result.rating,
            levels=tuple(result.profile.levels),
            not_met=tuple(result.not_met),
            applicable=tuple(c.id for c in result.criteria if c.result != NOT_APPLICABLE),
            criteria_text={c.id: c.text for c in result.criteria},
            deadlines=deadlines,
            attendance=_number(get("attendance.term_percent")),
            sdq=_number(get("sdq.score")),
            reading_gap_months=gap,
            ppp_requested=_number(get("ppp.request_amount")),
            ppp_linked_amount=linked_amount,
            ppp_linked=pp.result == MET,
            schema_problems=len(result.schema_problems),
        )


def _summary(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "mean": None, "median": None, "min": None, "max": None}
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 1),
        "median": round(statistics.median(values), 1),
        "min": min(values),
        "max": max(values),
    }


@dataclass
class Cohort:
    """The cohort picture, summed from one row per PEP."""

    rows: list[PepRow]
    unread: list[tuple[str, str]] = field(default_factory=list)

    @property
    def levels(self) -> list[str]:
        """Every rating level in the cohort, best first within each authority's scheme."""
        ranks = self.level_ranks
        return sorted(ranks, key=lambda level: ranks[level])

    @property
    def level_ranks(self) -> dict[str, int]:
        """Each level's place in its own authority's scheme (0 = best), for colours and order."""
        ranks: dict[str, int] = {}
        for row in self.rows:
            for i, level in enumerate(row.levels):
                ranks.setdefault(level, i)
        return ranks

    def colour(self, level: str) -> str:
        return level_colour(self.level_ranks.get(level, len(self.level_ranks)))

    def ratings_by(self, attribute: str) -> list[tuple[str, dict[str, int]]]:
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        for row in self.rows:
            groups[getattr(row, attribute)][row.rating] += 1
        order = self._order(attribute)
        return [(g, dict(groups[g])) for g in sorted(groups, key=order)]

    def _order(self, attribute: str):
        if attribute in ("phase", "year_group"):
            node = load_qa_fields().node(attribute)
            labels = [label for _, label in node.choices] if isinstance(node, Field) else []
            return lambda g: (labels.index(g) if g in labels else len(labels), g)
        return lambda g: (g == "Not recorded", g.lower())

    def rating_totals(self) -> dict[str, int]:
        return dict(Counter(row.rating for row in self.rows))

    def most_missed(self) -> list[dict[str, Any]]:
        missed: Counter[tuple[str, str]] = Counter()
        applicable: Counter[tuple[str, str]] = Counter()
        texts: dict[tuple[str, str], str] = {}
        for row in self.rows:
            for cid in row.applicable:
                key = (row.authority, cid)
                applicable[key] += 1
                texts[key] = row.criteria_text[cid]
            for cid in row.not_met:
                missed[(row.authority, cid)] += 1
        out = [
            {
                "authority": a,
                "id": cid,
                "text": texts[(a, cid)],
                "not_met": n,
                "applicable": applicable[(a, cid)],
                "percent": round(100 * n / applicable[(a, cid)], 1),
            }
            for (a, cid), n in missed.items()
        ]
        return sorted(out, key=lambda m: (-m["not_met"], -m["percent"], m["id"]))

    def timeliness(self) -> list[dict[str, Any]]:
        by_id: dict[str, list[Deadline]] = defaultdict(list)
        for row in self.rows:
            for d in row.deadlines:
                by_id[d.id].append(d)
        out = []
        for cid, items in sorted(by_id.items()):
            days = [d.days for d in items if d.days is not None]
            out.append(
                {
                    "id": cid,
                    "text": items[0].text,
                    "n": len(items),
                    "on_time": sum(d.met for d in items),
                    "late_or_missing": sum(not d.met for d in items),
                    "days": _summary(days),
                }
            )
        return out

    def attendance(self) -> dict[str, Any]:
        values = [r.attendance for r in self.rows if r.attendance is not None]
        summary = _summary(values)
        summary["below_90"] = sum(v < PERSISTENT_ABSENCE for v in values)
        return summary

    def sdq(self) -> dict[str, Any]:
        values = [r.sdq for r in self.rows if r.sdq is not None]
        summary = _summary(values)
        summary["concern"] = sum(v > SDQ_CONCERN for v in values)
        summary["not_recorded"] = len(self.rows) - len(values)
        return summary

    def reading(self) -> dict[str, Any]:
        gaps = [r.reading_gap_months for r in self.rows if r.reading_gap_months is not None]
        summary = _summary(gaps)
        summary["below_age"] = sum(g < 0 for g in gaps)
        summary["twelve_months_behind"] = sum(g <= -12 for g in gaps)
        return summary

    def pupil_premium(self) -> dict[str, Any]:
        requested = [r.ppp_requested for r in self.rows if r.ppp_requested]
        return {
            "peps_requesting": len(requested),
            "total_requested": sum(requested),
            "peps_linked": sum(r.ppp_linked for r in self.rows),
            "total_linked_to_targets": sum(r.ppp_linked_amount for r in self.rows),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "peps": len(self.rows),
            "unread": len(self.unread),
            "with_form_problems": sum(r.schema_problems > 0 for r in self.rows),
            "ratings": self.rating_totals(),
            "attendance": self.attendance(),
            "sdq": self.sdq(),
            "reading_age_gap_months": self.reading(),
            "pupil_premium": self.pupil_premium(),
        }


def build_cohort(results: Iterable[CheckResult], unread: Sequence[tuple[str, str]] = ()) -> Cohort:
    return Cohort([PepRow.from_result(r) for r in results], list(unread))


# -- writers ------------------------------------------------------------------------------------

PEP_COLUMNS = (
    ("file", "File"), ("authority", "Authority"), ("child_id", "Child ID"), ("term", "Term"),
    ("school", "School or setting"), ("phase", "Phase"), ("year_group", "Year group"),
    ("rating", "Rating"), ("not_met", "Criteria not met"), ("deadlines", "Days (deadline)"),
    ("attendance", "Attendance this term (%)"), ("sdq", "SDQ score"),
    ("reading_gap_months", "Reading age minus age (months)"), ("ppp_requested", "PP+ requested (£)"),
    ("ppp_linked_amount", "PP+ on targets (£)"), ("ppp_linked", "PP+ linked"),
    ("schema_problems", "Form problems"),
)  # fmt: skip


def _cell(row: PepRow, name: str) -> Any:
    value = getattr(row, name)
    if name == "not_met":
        return ", ".join(value)
    if name == "deadlines":
        return "; ".join(f"{d.id}: {d.days if d.days is not None else 'no date'}" for d in value)
    if name == "ppp_linked":
        return "Yes" if value else "No"
    return "" if value is None else value


def write_csv(cohort: Cohort, path: Path) -> None:
    """One row per PEP: the data behind every summary (the summaries are in .xlsx and .html)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([title for _, title in PEP_COLUMNS])
        for row in cohort.rows:
            writer.writerow([_cell(row, name) for name, _ in PEP_COLUMNS])


def table(
    sheet: Any, title: str | None, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A table with a bold header, below what the sheet already holds (a blank row between),
    under a title unless `title` is None (a mail merge wants the header in the first row);
    shared by every workbook pep-docs writes."""
    from openpyxl.styles import Font

    # Only max_row: reading a cell of an empty sheet makes it, and the next append would then
    # leave the first row blank.
    if sheet.max_row > 1:
        sheet.append([])
    if title is not None:
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
    sheet.append(list(header))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append(list(r))
        for cell in sheet[sheet.max_row]:
            # openpyxl takes text starting with "=" for a formula; a file's name a school chose
            # ("=HYPERLINK(...).docx") must stay text that Excel shows, not runs.
            if cell.data_type == "f":
                cell.data_type = "s"


def fit_columns(wb: Any) -> None:
    """Each column as wide as its longest value, between 10 and 60 characters."""
    for sheet in wb.worksheets:
        for column in sheet.columns:
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)


def write_xlsx(cohort: Cohort, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"

    s = cohort.summary()
    table(ws, "Cohort", ["Measure", "Value"], [
        ("PEPs checked", s["peps"]), ("Files not read", s["unread"]),
        ("PEPs with form problems", s["with_form_problems"]),
        *[(f"Rated {level}", s["ratings"].get(level, 0)) for level in cohort.levels],
        ("Attendance: PEPs with a figure", s["attendance"]["n"]),
        ("Attendance: mean %", s["attendance"]["mean"]),
        ("Attendance: median %", s["attendance"]["median"]),
        ("Attendance: below 90% (persistent absence)", s["attendance"]["below_90"]),
        ("SDQ: recorded", s["sdq"]["n"]), ("SDQ: not recorded", s["sdq"]["not_recorded"]),
        ("SDQ: mean score", s["sdq"]["mean"]),
        (f"SDQ: over {SDQ_CONCERN} (a concern)", s["sdq"]["concern"]),
        ("Reading age: recorded", s["reading_age_gap_months"]["n"]),
        ("Reading age: mean gap to age (months)", s["reading_age_gap_months"]["mean"]),
        ("Reading age: below age", s["reading_age_gap_months"]["below_age"]),
        ("Reading age: 12+ months behind", s["reading_age_gap_months"]["twelve_months_behind"]),
        ("PP+: PEPs requesting", s["pupil_premium"]["peps_requesting"]),
        ("PP+: total requested (£)", s["pupil_premium"]["total_requested"]),
        ("PP+: PEPs with the request linked to targets", s["pupil_premium"]["peps_linked"]),
        ("PP+: total on targets (£)", s["pupil_premium"]["total_linked_to_targets"]),
    ])  # fmt: skip
    ratings = wb.create_sheet("Ratings")
    levels = cohort.levels
    for attribute, title in (("school", "School or setting"), ("phase", "Phase"),
                             ("year_group", "Year group")):  # fmt: skip
        table(ratings, f"Ratings by {title.lower()}", [title, *levels, "Total"], [
            (group, *[counts.get(level, 0) for level in levels], sum(counts.values()))
            for group, counts in cohort.ratings_by(attribute)
        ])  # fmt: skip
    for row in ratings.iter_rows():
        for cell in row:
            if cell.value in levels and cell.font.bold:
                colour = cohort.colour(cell.value).lstrip("#")
                cell.fill = PatternFill("solid", fgColor=colour)
                cell.font = Font(bold=True, color="FFFFFF")
    crit = wb.create_sheet("Criteria")
    table(crit, "Criteria most often not met", ["Authority", "Criterion", "Wording", "Not met",
          "Applied to", "% not met"], [
        (m["authority"], m["id"], m["text"], m["not_met"], m["applicable"], m["percent"])
        for m in cohort.most_missed()
    ])  # fmt: skip
    timely = wb.create_sheet("Timeliness")
    table(timely, "Deadlines", ["Criterion", "Wording", "PEPs", "Within the limit",
          "Late or no date", "Median days", "Most days"], [
        (t["id"], t["text"], t["n"], t["on_time"], t["late_or_missing"], t["days"]["median"],
         t["days"]["max"])
        for t in cohort.timeliness()
    ])  # fmt: skip
    peps = wb.create_sheet("PEPs")
    table(peps, "One row per PEP", [title for _, title in PEP_COLUMNS],
          [[_cell(r, name) for name, _ in PEP_COLUMNS] for r in cohort.rows])  # fmt: skip
    if cohort.unread:
        unread = wb.create_sheet("Not read")
        table(unread, "Files not read", ["File", "Reason"], cohort.unread)
    fit_columns(wb)
    wb.save(path)


def write_html(cohort: Cohort, path: Path) -> None:
    levels = cohort.levels
    charts = {
        attribute: stacked_bars(
            cohort.ratings_by(attribute), levels, f"Ratings by {title}", cohort.colour
        )
        for attribute, title in (("school", "school"), ("phase", "phase"),
                                 ("year_group", "year group"))
    }  # fmt: skip
    missed = cohort.most_missed()[:12]
    charts["missed"] = bars(
        [(f"{m['id']} ({m['authority']})", m["percent"]) for m in missed],
        "Criteria most often not met",
        unit="%",
    )
    sdq = [r.sdq for r in cohort.rows if r.sdq is not None]
    sdq_bands = [
        ("0 to 13", 0, 13),
        ("14 to 17", 14, SDQ_CONCERN),
        ("18 to 40 (a concern)", 18, 40),
    ]
    charts["sdq"] = bars(
        [(label, sum(lo <= v <= hi for v in sdq)) for label, lo, hi in sdq_bands],
        "SDQ scores",
        highlight=[False, False, True],
    )
    attendance = [r.attendance for r in cohort.rows if r.attendance is not None]
    attendance_bands = [
        ("Below 80%", 0, 80), ("80% to 90%", 80, PERSISTENT_ABSENCE), ("90% to 95%", 90, 95),
        ("95% and over", 95, 100.01),
    ]  # fmt: skip
    charts["attendance"] = bars(
        [(label, sum(lo <= v < hi for v in attendance)) for label, lo, hi in attendance_bands],
        "Attendance this term",
        highlight=[True, True, False, False],
    )
    colours = {"primary": "#1f3a5f", "secondary": "#e8eef5", "accent": "#c65d00"}
    path.write_text(
        render_page(
            "report.html.j2",
            cohort=cohort,
            summary=cohort.summary(),
            levels=levels,
            charts=charts,
            missed=missed,
            timeliness=cohort.timeliness(),
            colours=colours,
            sdq_concern=SDQ_CONCERN,
            level_colour=cohort.colour,
        ),
        encoding="utf-8",
    )


def write_report(cohort: Cohort, path: Path) -> None:
    """Write the cohort report in the format the file name asks for."""
    suffix = path.suffix.lower()
    writers = {".xlsx": write_xlsx, ".csv": write_csv, ".html": write_html}
    if suffix not in writers:
        raise PepDocsError(
            f"cannot write a {suffix or 'extensionless'} report",
            where=str(path),
            hint=f"name the output {', '.join('cohort' + s for s in FORMATS)}",
        )
    writers[suffix](cohort, path)


__all__ = ["Cohort", "PepRow", "build_cohort", "write_report", "MET", "NOT_MET"]
