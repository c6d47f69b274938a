"""The JSON API (`/api/v1`), for other systems. Bearer tokens from `pep-docs users add --api-token`.

Every error has one shape: `{"error": {"status": 404, "code": "not_found", "message": "..."}}`.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, send_file, url_for
from flask_login import current_user

from pep_docs import files, intake
from pep_docs.db import DONE, Pack, Return, audit
from pep_docs.errors import PepDocsError
from pep_docs.web import qa_record
from pep_docs.web.auth import user_from_token
from pep_docs.web.listing import ReturnFilter, returns_page
from pep_docs.web.outstanding import audited, for_term
from pep_docs.web.packs import get_pack, start_pack
from pep_docs.web.returns import (
    can_read_again,
    can_record_qa,
    get_return,
    qa_view,
    receive,
    save_qa,
    too_many,
    zip_links,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CODES = {
    400: "bad_request", 401: "unauthorised", 404: "not_found", 405: "method_not_allowed",
    413: "too_large", 422: "unprocessable", 500: "server_error",
}  # fmt: skip


def error_response(status: int, message: str) -> Any:
    body = {"error": {"status": status, "code": CODES.get(status, "error"), "message": message}}
    return jsonify(body), status


def token_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = user_from_token()
        if user is None:
            return error_response(401, "Send a valid API token: Authorization: Bearer <token>")
        # Signed in for this request only: Flask-Login reads the user from here, and no
        # session (so no cookie) is ever made for an API call.
        g._login_user = user
        return view(*args, **kwargs)

    return wrapper


def return_view(record: Return) -> dict[str, Any]:
    done = record.status == DONE
    members, zips = zip_links(g.db, record.id)
    return {
        "id": record.id,
        "url": url_for("api.get_return_", return_id=record.id, _external=True),
        "status": record.status,
        "error": record.error,
        "file": {
            "name": record.original_name,
            "size": record.size,
            "type": record.kind,
            "sha256": record.sha256,
        },  # fmt: skip
        "extraction": record.extraction if done else None,
        "check": record.check if done else None,
        # A zip of forms: the returns made from its files; a file from a zip: the zips.
        "zip_members": [_linked(r, link.name) for link, r in members],
        "from_zips": [_linked(z, link.name) for link, z in zips],
        "qa_record": qa_view(g.db, record.id),
    }


def _linked(record: Return, name: str) -> dict[str, Any]:
    """Another return as a link: a file in a zip by its name in that zip."""
    return {"id": record.id, "url": url_for("api.get_return_", return_id=record.id,
                                            _external=True), "name": name}  # fmt: skip


@bp.post("/returns")
@token_required
def post_returns() -> Any:
    uploads = [f for f in request.files.getlist("file") if f.filename or f.content_length]
    if not uploads:
        return error_response(400, "Send one or more files as multipart fields named 'file'")
    if too_many(uploads):
        return error_response(413, too_many(uploads))
    received = receive(uploads)
    return jsonify({
        "returns": [
            {"id": r.record.id, "url": url_for("api.get_return_", return_id=r.record.id,
                                               _external=True),
             "status": r.record.status, "duplicate": r.duplicate, "note": r.note}
            for r in received
        ]
    }), 202  # fmt: skip


@bp.get("/returns")
@token_required
def list_returns() -> Any:
    """A page of the authority's returns, newest first, narrowed as the list page narrows them
    (`pep_docs.web.listing`): without the extractions, which `url` gives one at a time."""
    try:
        wanted = ReturnFilter.from_args(request.args)
    except PepDocsError as exc:
        return error_response(400, str(exc))
    page = returns_page(g.db, current_user.authority, wanted)
    more = wanted.page < page.pages
    return jsonify({
        "returns": [
            {"id": r.id, "url": url_for("api.get_return_", return_id=r.id, _external=True),
             "status": r.status, "error": r.error,
             "file": {"name": r.original_name, "size": r.size, "type": r.kind},
             "uploaded": r.uploaded.isoformat(timespec="seconds") + "Z",
             "child_name": r.child_name, "rating": r.rating,
             "warnings": warnings if r.status == DONE and r.kind != "zip" else None,
             "unmapped": unmapped if r.status == DONE and r.kind != "zip" else None,
             "qa_answers": qa}
            for r, warnings, unmapped, qa in page.rows
        ],
        "total": page.total, "page": wanted.page, "pages": page.pages, "counts": page.counts,
        "next": url_for("api.list_returns", **wanted.args(page=wanted.page + 1), _external=True)
        if more else None,
    })  # fmt: skip


@bp.get("/returns/<return_id>")
@token_required
def get_return_(return_id: str) -> Any:
    record = get_return(return_id)
    audit(g.db, "return.view", user_id=current_user.id,
          object_type="return", object_id=record.id, detail="api", remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    return jsonify(return_view(record))


@bp.post("/returns/<return_id>/again")
@token_required
def read_again(return_id: str) -> Any:
    """Read a return that could not be read once more (the page's "Read it again")."""
    record = get_return(return_id)
    if not can_read_again(record):
        return error_response(422, "Only a form that could not be read can be read again")
    item = intake.read_again(g.db, current_app.config["PEP_DOCS"], record,
                             user_id=current_user.id, remote=request.remote_addr)  # fmt: skip
    return jsonify({"id": record.id, "url": url_for("api.get_return_", return_id=record.id,
                                                    _external=True),
                    "status": record.status, "note": item.note}), 202  # fmt: skip


@bp.put("/returns/<return_id>/qa")
@token_required
def put_qa(return_id: str) -> Any:
    """Record the Virtual School's QA of a return: `{"answers": {name: value}}`, each value as
    the schema types it or as a person would type it; the same questions and checks as the page."""
    record = get_return(return_id)
    if not can_record_qa(record):
        return error_response(422, "Only a form that was read can be quality-assured")
    body = request.get_json(silent=True)
    given = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(given, dict):
        return error_response(400, 'Send JSON: {"answers": {"rating": "...", ...}}')
    asked = qa_record.questions(record.authority, record.extraction["data"].get("phase"))
    known = {q.name for q in asked}
    unknown = sorted(set(given) - known)
    if unknown:
        return error_response(422, f"not a question of the QA record: {', '.join(unknown)} "
                                   f"(the questions: {', '.join(sorted(known))})")  # fmt: skip
    typed = {name: qa_record.as_typed(value) for name, value in given.items()}
    answers, problems = qa_record.read_answers(asked, typed)
    if problems:
        return error_response(422, "; ".join(problems[q.name] for q in asked if q.name in problems))
    save_qa(g.db, record, answers, asked, current_user.id, request.remote_addr, detail="api")
    return jsonify(qa_view(g.db, record.id))


@bp.post("/packs")
@token_required
def post_packs() -> Any:
    upload = request.files.get("cohort")
    if upload is None:
        return error_response(400, "Send the cohort file as a multipart field named 'cohort'")
    authority = request.form.get("authority") or current_user.authority
    if authority != current_user.authority:
        return error_response(404, f"No authority {authority!r} for this account")
    try:
        pack = start_pack(upload, authority, request.form.get("term", ""),
                          (request.form.get("formats") or "docx,pdf").split(","))  # fmt: skip
    except PepDocsError as exc:
        return error_response(422, str(exc))
    return jsonify(pack_view(pack)), 202


def pack_view(pack: Pack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "url": url_for("api.get_pack_", pack_id=pack.id, _external=True),
        "status": pack.status,
        "error": pack.error,
        "authority": pack.authority,
        "term": pack.term,
        "formats": pack.formats.split(","),
        "progress": {"done": pack.done, "total": pack.total},
        "problems": pack.problems,
        "download": url_for("api.download_pack", pack_id=pack.id, _external=True)
        if pack.status == DONE
        else None,
    }


@bp.get("/packs/<pack_id>")
@token_required
def get_pack_(pack_id: str) -> Any:
    return jsonify(pack_view(get_pack(pack_id)))


@bp.get("/packs/<pack_id>/download")
@token_required
def download_pack(pack_id: str) -> Any:
    pack = get_pack(pack_id)
    if pack.status != DONE or not pack.result_stored:
        return error_response(404, "The pack is not ready yet; poll its url until status is done")
    audit(g.db, "pack.download", user_id=current_user.id, object_type="pack", object_id=pack.id,
          detail="api", remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    path = files.path_of(current_app.config["PEP_DOCS"], "packs", pack.result_stored)
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"pep-pack-{pack.authority}-{pack.term}.zip")  # fmt: skip


@bp.get("/outstanding/<term>")
@token_required
def get_outstanding(term: str) -> Any:
    """The term's expected children by school, each returned (with its returns) or not, and
    the returns that match none of them: `pep_docs.outstanding.Outstanding.to_dict`."""
    report = for_term(term)
    audited(report, "outstanding.view", "api")
    body = report.to_dict(lambda i: url_for("api.get_return_", return_id=i, _external=True))
    return jsonify(body)
