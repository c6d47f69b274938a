"""Accounts: password sign-in for pages, bearer tokens for the API, and `users add`."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from pep_docs.db import User, audit
from pep_docs.errors import PepDocsError
from pep_docs.profiles import load_profile

MIN_PASSWORD = 12
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the e-mail is unknown takes as long as a real check, so the time
# a sign-in takes does not tell whether an account exists.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.session_protection = "strong"


class SignedIn(UserMixin):
    """The signed-in user as Flask-Login sees it (no ORM object outlives its request)."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.email = user.email
        self.authority = user.authority

    def get_id(self) -> str:
        return str(self.id)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; only the digest is stored.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, email: str, password: str, authority: str, *, api_token: bool = False
) -> str | None:
    """Add an account; return its new API token if one was asked for (shown once, never stored)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise PepDocsError(f"{email!r} is not an e-mail address", hint="give the user's e-mail")
    if len(password) < MIN_PASSWORD:
        raise PepDocsError(f"the password is shorter than {MIN_PASSWORD} characters",
                           hint="choose a longer password, such as three random words")  # fmt: skip
    load_profile(authority)  # the authority must exist
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise PepDocsError(f"{email} already has an account")
    token = secrets.token_urlsafe(32) if api_token else None
    user = User(email=email, password_hash=hash_password(password), authority=authority,
                api_token_hash=token_digest(token) if token else None)  # fmt: skip
    session.add(user)
    session.flush()
    audit(session, "user.add", user_id=user.id, object_type="user", object_id=str(user.id))
    return token


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    user = g.db.get(User, int(user_id)) if user_id.isdigit() else None
    return SignedIn(user) if user else None


def user_from_token() -> SignedIn | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = g.db.scalar(select(User).where(User.api_token_hash == token_digest(token.strip())))
    return SignedIn(user) if user else None


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("returns.index")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    error = None
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        password = request.form.get("password") or ""
        user = g.db.scalar(select(User).where(User.email == email)) if email else None
        ok = check_password(user.password_hash if user else _DUMMY_HASH, password)
        if user and ok:
            login_user(SignedIn(user))
            audit(g.db, "sign-in", user_id=user.id, remote=request.remote_addr)
            g.db.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit(g.db, "sign-in.failed", user_id=user.id if user else None,
              detail="wrong password" if user else "unknown e-mail", remote=request.remote_addr)  # fmt: skip
        g.db.commit()
        error = "Enter a correct e-mail address and password"
    return render_template("sign_in.html", error=error, email=email), 401 if error else 200


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    if current_user.is_authenticated:
        audit(g.db, "sign-out", user_id=current_user.id, remote=request.remote_addr)
        g.db.commit()
    logout_user()
    return redirect(url_for("auth.sign_in"))


def require_same_authority(authority: str) -> None:
    """A user sees only their own authority's records; others look as if they do not exist."""
    if authority != current_user.authority:
        abort(404)


def init_app(app: Any) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def _require_sign_in() -> Any:
        endpoint = request.endpoint or ""
        if endpoint in ("auth.sign_in", "static", "health") or endpoint.startswith("api."):
            return None  # the API answers 401 itself, as JSON
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return None
