"""Term packs: upload a cohort file, pick the term, watch the progress, download the zip."""

from __future__ import annotations

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
from werkzeug.datastructures import FileStorage

from pep_docs import files
from pep_docs.db import DONE, FAILED, Pack, audit
from pep_docs.errors import PepDocsError
from pep_docs.jobs import QueueUnavailable, dispatcher_for
from pep_docs.profiles import load_profile
from pep_docs.render import FORMATS
from pep_docs.web.auth import require_same_authority

bp = Blueprint("packs", __name__)


def cohort_kind(data: bytes) -> str | None:
    """`xlsx` or `csv` by content: an XLSX is a zip; a CSV is text with a header line."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data[:4096]
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return "csv" if b"," in head.split(b"\n", 1)[0] else None


def start_pack(upload: FileStorage, authority: str, term: str, formats: list[str]) -> Pack:
    """Store the cohort file, write the pack's record and queue its planning job."""
    settings = current_app.config["PEP_DOCS"]
    profile = load_profile(authority)
    if term not in {t.term for t in profile.terms()}:
        raise PepDocsError(f"{term!r} is not one of {profile.name}'s terms",
                           hint="choose a term from the list")  # fmt: skip
    if not formats or any(f not in FORMATS for f in formats):
        raise PepDocsError("choose Word, PDF or both", hint="tick at least one format")
    data = upload.read()
    kind = cohort_kind(data)
    if kind is None:
        raise PepDocsError("the cohort file is not a CSV or an Excel (.xlsx) file",
                           where=files.display_name(upload.filename),
                           hint="export the list of children as CSV or .xlsx")  # fmt: skip
    pack = Pack(
        authority=authority,
        term=term,
        formats=",".join(f for f in FORMATS if f in formats),
        requested_by=current_user.id,
        cohort_name=files.display_name(upload.filename),
        cohort_stored=files.store(settings, "uploads", data, suffix=f".{kind}"),
    )
    g.db.add(pack)
    g.db.flush()
    audit(g.db, "pack.start", user_id=current_user.id, object_type="pack", object_id=pack.id,
          detail=f"{term} {pack.formats}", remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    try:
        dispatcher_for(settings).submit("plan_pack", pack.id)
    except QueueUnavailable:
        pack.error = "the queue is not reachable just now; the pack will start when it is back"
        g.db.commit()
    return pack


def get_pack(pack_id: str) -> Pack:
    pack = g.db.get(Pack, pack_id) if pack_id.isalnum() else None
    if pack is None:
        abort(404)
    require_same_authority(pack.authority)
    return pack


@bp.get("/packs")
def index() -> Any:
    profile = load_profile(current_user.authority)
    records = g.db.scalars(
        select(Pack).where(Pack.authority == current_user.authority)
        .order_by(Pack.created.desc()).limit(200)
    ).all()  # fmt: skip
    return render_template("packs.html", packs=records, profile=profile,
                           terms=[t.term for t in profile.terms()])  # fmt: skip


@bp.post("/packs")
def create() -> Any:
    upload = request.files.get("cohort")
    if upload is None or not upload.filename:
        flash("Select the cohort file (CSV or Excel)", "error")
        return redirect(url_for("packs.index"))
    try:
        pack = start_pack(upload, current_user.authority, request.form.get("term", ""),
                          request.form.getlist("formats"))  # fmt: skip
    except PepDocsError as exc:
        flash(str(exc), "error")
        return redirect(url_for("packs.index"))
    return redirect(url_for("packs.show", pack_id=pack.id))


@bp.get("/packs/<pack_id>")
def show(pack_id: str) -> Any:
    pack = get_pack(pack_id)
    return render_template("pack.html", p=pack, refresh=pack.status not in (DONE, FAILED))


@bp.get("/packs/<pack_id>/status.json")
def status(pack_id: str) -> Any:
    return pack_status(get_pack(pack_id))


def pack_status(pack: Pack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "status": pack.status,
        "error": pack.error if pack.status == FAILED else None,
        "progress": {"done": pack.done, "total": pack.total},
        "problems": pack.problems,
        "download": url_for("packs.download", pack_id=pack.id) if pack.status == DONE else None,
    }


@bp.get("/packs/<pack_id>/download")
def download(pack_id: str) -> Any:
    pack = get_pack(pack_id)
    if pack.status != DONE or not pack.result_stored:
        abort(404)
    audit(g.db, "pack.download", user_id=current_user.id, object_type="pack",
          object_id=pack.id, remote=request.remote_addr)  # fmt: skip
    g.db.commit()
    path = files.path_of(current_app.config["PEP_DOCS"], "packs", pack.result_stored)
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"pep-pack-{pack.authority}-{pack.term}.zip")  # fmt: skip
