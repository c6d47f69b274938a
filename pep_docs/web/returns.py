"""Returned forms: upload, list, one return's page, downloads, and the cohort report."""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer
from werkzeug.datastructures import FileStorage

from pep_docs import files, intake
from pep_docs.db import DONE, FAILED, QUEUED, RUNNING, QaRecord, Return, User, ZipMember, audit
from pep_docs.errors import PepDocsError
from pep_docs.qa.check import check_or_reason
from pep_docs.schema import load_model
from pep_docs.web import qa_record
from pep_docs.web.auth import require_same_authority
from pep_docs.web.listing import SHOWS, TO_CHECK, ReturnFilter, place_in_list, returns_page

bp = Blueprint("returns", __name__)

KINDS = {"docx": "Word (.docx)", "pdf": "PDF", "zip": "Zip of forms"}


def receive(uploads: list[FileStorage]) -> list[intake.Received]:
    """Store each uploaded file and queue it to be read; the same file twice is one return."""
    settings = current_app.config["PEP_DOCS"]
    received = []
    for upload in uploads:
        item = intake.keep(g.db, settings, upload.read(), upload.filename,
                           authority=current_user.authority, user_id=current_user.id,
                           remote=request.remote_addr)  # fmt: skip
        intake.queue(g.db, settings, item)
        received.append(item)
    return received


def too_many(uploads: list[FileStorage]) -> str | None:
    limit = current_app.config["PEP_DOCS"].MAX_FILES_PER_UPLOAD
    if len(uploads) > limit:
        return f"{len(uploads)} files is more than {limit} at once: upload them in smaller groups"
    return None


def get_return(return_id: str) -> Return:
    record = g.db.get(Return, return_id) if return_id.isalnum() else None
    if record is None:
        abort(404)
    require_same_authority(record.authority)
    return record


@bp.get("/")
def home() -> Any:
    return redirect(url_for("returns.index"))


@bp.get("/returns")
def index() -> Any:
    try:
        wanted = ReturnFilter.from_args(request.args)
    except PepDocsError as exc:  # a link typed or cut short: the whole list, and why
        flash(str(exc), "error")
        return redirect(url_for("returns.index"))
    page = returns_page(g.db, current_user.authority, wanted)
    busy = page.counts["waiting"] > 0
    return render_template("returns.html", page=page, shows=SHOWS, to_check=TO_CHECK, busy=busy,
                           decision=qa_record.decision,
                           kinds=KINDS, DONE=DONE,
                           max_mb=current_app.config["PEP_DOCS"].MAX_UPLOAD_MB)  # fmt: skip


@bp.post("/returns")
def upload() -> Any:
    uploads = [f for f in request.files.getlist("file") if f.filename or f.content_length]
    if not uploads:
        flash("Select one or more returned PEP forms to upload", "error")
        return redirect(url_for("returns.index"))
    if too_many(uploads):
        flash(too_many(uploads), "error")
        return redirect(url_for("returns.index"))
    received = receive(uploads)
    new = sum(not r.duplicate for r in received)
    again = len(received) - new
    message = f"{new} file{'s' if new != 1 else ''} received"
    if again:
        message += (
            f"; {again} had been uploaded before and {'is' if again == 1 else 'are'} not read twice"
        )
    flash(message, "success")
    for item in received:
        if item.note:
            flash(f"{item.record.original_name}: {item.note}", "error")
    return redirect(url_for("returns.index"))


@bp.get("/returns/<return_id>")
def show(return_id: str) -> Any:
    record = get_return(return_id)
    audit(g.db, "return.view", user_id=current_user.id, object_type="return",
          object_id=record.id, remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    return _page(record)


def _page(record: Return, qa_values: dict[str, str] | None = None,
          qa_problems: dict[str, str] | None = None) -> Any:  # fmt: skip
    """A return's page; with what was typed into its QA record and why it was not saved."""
    sections = _sections(record.extraction["data"]) if record.extraction else []
    members, zips = zip_links(g.db, record.id)
    busy = record.status not in (DONE, FAILED) or any(
        m.status in (QUEUED, RUNNING) for _, m in members
    )
    try:  # the list it was opened from, to go on to the next return in it
        wanted = ReturnFilter.from_args(request.args)
    except PepDocsError:
        wanted = ReturnFilter()
    place = place_in_list(g.db, current_user.authority, wanted, record.id)
    qa = _qa(record, qa_values, qa_problems or {}) if can_record_qa(record) else None
    return render_template("return.html", r=record, sections=sections, kinds=KINDS,
                           members=members, zips=zips, refresh=busy, place=place,
                           shows=SHOWS, qa=qa, listed=wanted.args(page=1),
                           again=can_read_again(record)), 400 if qa_problems else 200  # fmt: skip


def can_read_again(record: Return) -> bool:
    """A file that could not be read, of a kind that is read (not one kept as not a form)."""
    return record.status == FAILED and record.kind in (*intake.READ_KINDS, "zip")


@bp.post("/returns/<return_id>/again")
def read_again(return_id: str) -> Any:
    record = get_return(return_id)
    if not can_read_again(record):
        flash("Only a form that could not be read can be read again", "error")
    else:
        item = intake.read_again(g.db, current_app.config["PEP_DOCS"], record,
                                 user_id=current_user.id, remote=request.remote_addr)  # fmt: skip
        flash(item.note or "It will be read again: this page shows the result", "success")
    return redirect(url_for("returns.show", return_id=record.id, **request.args))


def can_record_qa(record: Return) -> bool:
    """A form read (not a zip, not a file that could not be read) can be quality-assured."""
    return record.status == DONE and record.kind != "zip" and record.extraction is not None


def _qa(record: Return, values: dict[str, str] | None, problems: dict[str, str]) -> dict[str, Any]:
    asked = qa_record.questions(record.authority, record.extraction["data"].get("phase"))
    saved = g.db.get(QaRecord, record.id)
    if values is None:
        values = (qa_record.shown_answers(asked, saved.answers) if saved
                  else qa_record.suggested(asked, record, current_user.email))  # fmt: skip
    return {"asked": asked, "values": values, "saved": saved, "by": _recorder(g.db, saved),
            "problems": problems}  # fmt: skip


@bp.post("/returns/<return_id>/qa")
def record_qa(return_id: str) -> Any:
    """Save the Virtual School's QA record of a return (its page again, with why, if not)."""
    record = get_return(return_id)
    if not can_record_qa(record):
        flash("Only a form that was read can be quality-assured", "error")
        return redirect(url_for("returns.show", return_id=record.id))
    asked = qa_record.questions(record.authority, record.extraction["data"].get("phase"))
    answers, problems = qa_record.read_answers(asked, request.form)
    if problems:
        typed = {q.name: request.form.get(q.name, "") for q in asked}
        return _page(record, typed, problems)
    save_qa(g.db, record, answers, asked, current_user.id, request.remote_addr)
    flash("The QA record is saved", "success")
    return redirect(url_for("returns.show", return_id=record.id, **request.args) + "#qa")


def qa_view(db: Any, return_id: str) -> dict[str, Any] | None:
    """A return's QA record as the JSON download and the API give it (None when none)."""
    saved = db.get(QaRecord, return_id)
    return qa_record.record_view(saved, _recorder(db, saved))


def _recorder(db: Any, saved: QaRecord | None) -> str | None:
    """The e-mail of who recorded a QA record."""
    return db.get(User, saved.recorded_by).email if saved else None


def save_qa(db: Any, record: Return, answers: dict[str, Any], asked: list[Any], user_id: int,
            remote: str | None, detail: str = "") -> QaRecord:  # fmt: skip
    """Keep (or replace) a return's QA record, audited with what it says."""
    saved = db.get(QaRecord, record.id)
    if saved is None:
        saved = QaRecord(return_id=record.id, answers=answers, recorded_by=user_id)
        db.add(saved)
    saved.answers, saved.recorded_by = answers, user_id
    # The criteria again, on the PEP with the Virtual School's answers (a date received, say).
    record.check, record.error = check_or_reason(_assured_data(record, answers),
                                                 file=record.original_name)  # fmt: skip
    record.rating = (record.check or {}).get("rating")
    said = qa_record.summary(asked, answers) + (f" ({detail})" if detail else "")
    audit(db, "return.qa", user_id=user_id, object_type="return", object_id=record.id,
          detail=said, remote=remote)  # fmt: skip
    db.commit()
    return saved


def zip_links(db: Any, return_id: str) -> tuple[list[Any], list[Any]]:
    """The returns made from a zip's files, `(link, return)` in the zip's order; and the zips a
    return's file was found in, `(link, zip)` (the same form may be in two zips)."""

    def linked(on: Any, where: Any) -> list[Any]:
        query = (select(ZipMember, Return).join(Return, Return.id == on).where(where)
                 .options(defer(Return.extraction), defer(Return.check))
                 .order_by(ZipMember.zip_id, ZipMember.position))  # fmt: skip
        return list(db.execute(query).all())

    return (
        linked(ZipMember.return_id, ZipMember.zip_id == return_id),
        linked(ZipMember.zip_id, ZipMember.return_id == return_id),
    )


@bp.get("/returns/<return_id>/status.json")
def status(return_id: str) -> Any:
    record = get_return(return_id)
    return {"status": record.status}


@bp.get("/returns/<return_id>/data.json")
def download_json(return_id: str) -> Any:
    record = get_return(return_id)
    if record.extraction is None:
        abort(404)
    audit(g.db, "return.download", user_id=current_user.id, object_type="return",
          object_id=record.id, detail="json", remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    body = json.dumps({"extraction": record.extraction, "check": record.check,
                       "qa_record": qa_view(g.db, record.id)}, ensure_ascii=False, indent=2)  # fmt: skip
    return send_file(io.BytesIO(body.encode()), mimetype="application/json", as_attachment=True,
                     download_name=f"return-{record.id}.json")  # fmt: skip


@bp.get("/returns/<return_id>/original")
def download_original(return_id: str) -> Any:
    record = get_return(return_id)
    audit(g.db, "return.download", user_id=current_user.id, object_type="return",
          object_id=record.id, detail="original", remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    path = files.path_of(current_app.config["PEP_DOCS"], "uploads", record.stored_name)
    suffix = {"docx": ".docx", "pdf": ".pdf", "zip": ".zip"}.get(record.kind, ".bin")
    # Always a download with a neutral type: an uploaded file is never shown inline here.
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=f"return-{record.id}{suffix}")  # fmt: skip


def _term_results(term: str | None) -> tuple[list[str], str | None, list[Any]]:
    """Every term with a read PEP (newest first), the term asked for, and its check results."""
    from pep_docs.qa.check import check_document

    done = g.db.scalars(
        select(Return).where(Return.authority == current_user.authority, Return.status == DONE)
    ).all()
    terms = sorted({str(r.extraction["data"].get("term")) for r in done
                    if r.extraction and r.extraction["data"].get("term")}, reverse=True)  # fmt: skip
    term = term or (terms[0] if terms else None)
    chosen = [r for r in done
              if r.extraction and r.check is not None and r.extraction["data"].get("term") == term]  # fmt: skip
    assured = {q.return_id: q.answers for q in g.db.scalars(
        select(QaRecord).where(QaRecord.return_id.in_([r.id for r in chosen])))}  # fmt: skip
    results = [check_document(_assured_data(r, assured.get(r.id)), file=r.original_name)
               for r in chosen]  # fmt: skip
    return terms, term, results


def _assured_data(record: Return, answers: dict[str, Any] | None) -> dict[str, Any]:
    """A return's PEP as the criteria see it: with its QA record's answers, once there is one."""
    data = record.extraction["data"]
    if answers is None:
        return data
    asked = qa_record.questions(record.authority, data.get("phase"))
    return qa_record.assured(data, asked, answers)


@bp.get("/report")
def report() -> Any:
    """The cohort report for every return read this term (the latest term by default)."""
    from pep_docs.qa.report import build_cohort, write_xlsx

    terms, term, results = _term_results(request.args.get("term"))
    download = request.args.get("download") == "1" and bool(results)
    audit(g.db, "report.download" if download else "report.view", user_id=current_user.id,
          object_type="report", object_id=term or "", detail=f"{len(results)} PEPs",
          remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    if download:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cohort.xlsx"
            write_xlsx(build_cohort(results), path)
            data = path.read_bytes()
        return send_file(io.BytesIO(data), as_attachment=True, download_name=f"cohort-{term}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    return render_template("report.html", terms=terms, term=term, count=len(results))


@bp.get("/report/page")
def report_page() -> Any:
    """The report itself, framed by /report: its own page, with styles inline and no script."""
    from pep_docs.qa.report import build_cohort, write_html

    _terms, _term, results = _term_results(request.args.get("term"))
    if not results:
        abort(404)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.html"
        write_html(build_cohort(results), path)
        html = path.read_text(encoding="utf-8")
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["X-Pep-Docs-Frame"] = "report"  # the header hook relaxes CSP for this only
    return response


def _sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The extracted PEP as the form shows it: section by section, each answer with its label."""
    from pep_docs.forms import display_value
    from pep_docs.profiles import load_profile
    from pep_docs.schema import iter_values, pattern_pointer

    model = load_model()
    try:
        titles = load_profile(str(data.get("authority"))).section_titles
    except Exception:  # an unknown authority still shows, with the schema's own titles
        titles = {}
    values = dict(iter_values(data))
    out = []
    for section in model.sections:
        title = titles.get(section.pointer[1:], section.title)
        rows = [
            (
                _label(model.describe(pointer, titles), title),
                display_value(model.node(pattern_pointer(pointer)), value),
            )
            for pointer, value in values.items()
            if pointer.startswith(section.pointer + "/")
        ]
        if rows:
            out.append({"title": title, "rows": rows})
    return out


def _label(described: str, section_title: str) -> str:
    """ "SMART targets, target 2: 'By when'" shown under its section as "target 2: By when"."""
    if described.startswith(section_title):
        described = described[len(section_title) :].lstrip(":, ")
    return re.sub(r"(^|: )'(.*)'$", r"\1\2", described)
