"""Returns still to come for a term: the children of its packs whose forms have not come back,
school by school, as a page and as CSV or Excel for mail-merging chase e-mails."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from pep_docs import files
from pep_docs.db import audit
from pep_docs.errors import PepDocsError
from pep_docs.outstanding import (
    UNMATCHED_COLUMNS,
    Outstanding,
    add_contacts,
    columns,
    outstanding,
    table_rows,
    terms_with_packs,
    unmatched_rows,
)

bp = Blueprint("outstanding", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def for_term(term: str) -> Outstanding:
    """The signed-in user's authority's list for `term`; 404 when it has no finished pack for
    it, as for a record of another authority."""
    try:
        return outstanding(g.db, current_user.authority, term)
    except PepDocsError:
        abort(404)


def audited(report: Outstanding, action: str, detail: str) -> None:
    """Children's names are shown or sent: who saw which term's list, and when."""
    audit(g.db, action, user_id=current_user.id, object_type="term", object_id=report.term,
          detail=f"{detail}: {report.expected} expected, {report.still_to_come} still to come",
          remote=request.remote_addr)  # fmt: skip
    g.db.commit()


@bp.get("/outstanding")
def latest() -> Any:
    """The term asked for, else the one whose first pack is newest, else a page saying no
    pack has been made yet."""
    if request.args.get("term"):  # the term picker on the page
        return redirect(url_for("outstanding.show", term=request.args["term"]))
    terms = terms_with_packs(g.db, current_user.authority)
    if terms:
        return redirect(url_for("outstanding.show", term=terms[0]))
    return render_template("outstanding.html", report=None, terms=[])


@bp.get("/outstanding/<term>")
def show(term: str) -> Any:
    report = for_term(term)
    audited(report, "outstanding.view", "page")
    return render_template("outstanding.html", report=report,
                           terms=terms_with_packs(g.db, current_user.authority))  # fmt: skip


@bp.get("/outstanding/<term>/download")
def download(term: str) -> Any:
    """`?format=csv` (one row per expected child, with their designated teacher from the
    cohort file) or `xlsx` (that, and the returns matched to no child on a second sheet)."""
    kind = request.args.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        abort(404)
    report = for_term(term)
    settings = current_app.config["PEP_DOCS"]
    add_contacts(report, {p.id: files.path_of(settings, "uploads", p.cohort_stored)
                          for p in report.packs if p.cohort_stored})  # fmt: skip
    audited(report, "outstanding.download", kind)
    name = f"still-to-come-{report.authority}-{report.term}.{kind}"
    if kind == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(columns())
        writer.writerows(table_rows(report))
        # With a byte-order mark, Excel opens it as UTF-8 (names outside ASCII survive).
        body, mimetype = ("\ufeff" + text.getvalue()).encode(), "text/csv"
    else:
        body, mimetype = workbook(report), XLSX
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                     download_name=name)  # fmt: skip


def workbook(report: Outstanding) -> bytes:
    """The list as .xlsx, with the cohort report's table and column helpers: the children on
    the first sheet with their header in its first row, ready for a mail merge."""
    from openpyxl import Workbook

    from pep_docs.qa.report import fit_columns, table

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Still to come"
    table(sheet, None, columns(), table_rows(report))
    if report.unmatched:
        table(wb.create_sheet("Not matched"), "Returns that match no child of this term's packs",
              UNMATCHED_COLUMNS, unmatched_rows(report))  # fmt: skip
    fit_columns(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
