"""`pep-docs serve`, `pep-docs worker` and `pep-docs users`: running the service."""

from __future__ import annotations

import csv
import logging
import sys
from datetime import datetime

import click

from pep_docs.errors import PepDocsError
from pep_docs.settings import load_settings


def _password_from_stdin() -> str:
    """The password, typed twice: hidden at a terminal, two lines when piped in."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    first, second = sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
    if first != second:
        raise PepDocsError("the two passwords are not the same", where="standard input",
                           hint="give the same password on two lines")  # fmt: skip
    return first


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 for every interface (behind a TLS proxy).")  # fmt: skip
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(host: str, port: int) -> None:
    """Run the web pages and JSON API (waitress, a production WSGI server)."""
    from waitress import serve

    from pep_docs.web import app_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    app = app_for(settings)
    mode = "jobs run in this process" if settings.embedded else f"jobs go to {settings.REDIS_URL}"
    click.echo(f"pep-docs: open http://{host}:{port}/ ({mode}; data in {settings.data_dir})",
               err=True)  # fmt: skip
    serve(app, host=host, port=port, threads=settings.THREADS, ident="pep-docs",
          max_request_body_size=settings.MAX_UPLOAD_MB * 1024 * 1024 + 65536)  # fmt: skip


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts and tests).")
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with the retry scheduler) for PEP_DOCS_REDIS_URL."""
    settings = load_settings()
    if settings.embedded:
        raise PepDocsError("PEP_DOCS_REDIS_URL is not set, so there is no queue to work on",
                           hint="set PEP_DOCS_REDIS_URL, or run only `pep-docs serve`")  # fmt: skip
    from pep_docs.worker import run_worker

    run_worker(settings, burst=burst)


@click.group("users")
def users_group() -> None:
    """Accounts of the service."""


@users_group.command("add")
@click.argument("email")
@click.option("--authority", required=True, help="The authority (profile slug) whose returns "
              "and packs this user works with.")  # fmt: skip
@click.option("--api-token", is_flag=True, help="Also make an API token and print it (once).")
def users_add(email: str, authority: str, api_token: bool) -> None:
    """Add a user; the password is asked twice on standard input."""
    from pep_docs.db import session_scope
    from pep_docs.settings import ensure_data_dir
    from pep_docs.web.auth import create_user

    settings = load_settings()
    ensure_data_dir(settings)
    password = _password_from_stdin()
    with session_scope(settings.database_url) as session:
        token = create_user(session, email, password, authority, api_token=api_token)
    click.echo(f"added {email.strip().lower()} ({authority})", err=True)
    if token:
        click.echo(token)


@click.command("audit")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Only events on or after this day."
)
@click.option("--user", "email", help="Only this user's events (e-mail).")
@click.option("--object", "object_id", help="Only events about this return or pack (its id).")
def audit_command(since: datetime | None, email: str | None, object_id: str | None) -> None:
    """Print the audit log (who signed in, uploaded, viewed and downloaded what) as CSV."""
    from sqlalchemy import select

    from pep_docs.db import AuditEvent, User, session_scope

    settings = load_settings()
    query = (
        select(AuditEvent, User.email)
        .outerjoin(User, AuditEvent.user_id == User.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    if since:
        query = query.where(AuditEvent.at >= since)
    if email:
        query = query.where(User.email == email.strip().lower())
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["at", "user", "action", "object_type", "object_id", "detail", "remote"])
    with session_scope(settings.database_url) as session:
        for event, user in session.execute(query):
            out.writerow([event.at.isoformat(timespec="seconds"), user or "", event.action,
                          event.object_type or "", event.object_id or "", event.detail or "",
                          event.remote or ""])  # fmt: skip


COMMANDS = [serve_command, worker_command, users_group, audit_command]
