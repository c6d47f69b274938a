"""The web service: upload pages and a JSON API around the engine.

`create_app()` builds the Flask app from `pep_docs.settings`. Views stay thin: they store what was
uploaded, write the record and hand an id to a job (`pep_docs.jobs`); the engine never sees HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException

from pep_docs import jobs
from pep_docs.db import engine_for
from pep_docs.settings import Settings, ensure_data_dir, load_settings

csrf = CSRFProtect()

# Content-Security-Policy: nothing from other sites, no inline script, no framing.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
# The cohort report page (shared with `pep-docs report`) carries its styles inline; it is shown
# only framed by our own /report page, and runs no script at all.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'"
)


def create_app(overrides: dict[str, Any] | None = None, *, start_jobs: bool = True) -> Flask:
    settings = load_settings(overrides)
    return app_for(settings, start_jobs=start_jobs)


def app_for(settings: Settings, *, start_jobs: bool = True) -> Flask:
    ensure_data_dir(settings)
    jobs.configure(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key(),
        MAX_CONTENT_LENGTH=settings.MAX_UPLOAD_MB * 1024 * 1024,
        # Werkzeug spools big form parts to disk; keep the in-memory part bounded too.
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        MAX_FORM_PARTS=settings.MAX_FILES_PER_UPLOAD + 20,
        SESSION_COOKIE_NAME="pep_docs_session",
        SESSION_COOKIE_SECURE=settings.SECURE_COOKIES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.SECURE_COOKIES,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=settings.SESSION_HOURS * 3600,
        WTF_CSRF_SSL_STRICT=False,  # SameSite cookies and the token protect; see README
        PEP_DOCS=settings,
    )
    make_session = sessionmaker(engine_for(settings.database_url), expire_on_commit=False)

    @app.before_request
    def _open_session() -> None:
        g.db = make_session()

    @app.teardown_request
    def _close_session(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    csrf.init_app(app)

    from pep_docs.web import api, auth, outstanding, packs, returns

    auth.init_app(app)
    app.register_blueprint(returns.bp)
    app.register_blueprint(packs.bp)
    app.register_blueprint(outstanding.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API takes bearer tokens, never cookies, so CSRF cannot reach it

    @app.get("/health")
    def health() -> Any:
        return {"status": "ok", "jobs": "embedded" if settings.embedded else "rq"}

    @app.after_request
    def _headers(response: Any) -> Any:
        framed = response.headers.pop("X-Pep-Docs-Frame", None) == "report"
        response.headers["Content-Security-Policy"] = REPORT_CSP if framed else CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if settings.SECURE_COOKIES:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            # Pages hold children's data: no shared or browser cache keeps a copy.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return _error(400, "The form had expired or was sent from another site. Go back, "
                      "reload the page and try again.")  # fmt: skip

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        messages = {
            404: "Page not found. Check the address, or go back to the list of returns.",
            413: f"The upload is larger than {settings.MAX_UPLOAD_MB} MB. Upload fewer files "
                 "at a time.",
        }  # fmt: skip
        return _error(exc.code or 500, messages.get(exc.code or 500, exc.description or ""))

    if start_jobs and settings.embedded:
        # Jobs that were queued or running when the process last stopped are lost with it.
        jobs.maintain(settings, older_than=0)
    return app


def _error(status: int, message: str) -> Any:
    if request.path.startswith("/api/"):
        from pep_docs.web.api import error_response

        if status == 404:
            message = "Not found: there is no such record for this account"
        return error_response(status, message)
    return render_template("error.html", status=status, message=message), status


__all__ = ["create_app", "app_for", "jsonify"]
