"""Settings of the service (`pep-docs serve`, `pep-docs worker`, `pep-docs users`).

Every setting has a name, a default and a help text here, and nowhere else: the README's settings
table is checked against this registry by a test. Values come, lowest first, from the defaults,
then the instance file (TOML, `PEP_DOCS_INSTANCE_FILE`, by default `<data dir>/settings.toml`),
then `PEP_DOCS_*` environment variables.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pep_docs.errors import PepDocsError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def kind(self) -> type:
        return type(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATA_DIR",
        "var",
        "Folder for the database, uploaded files and packs. Never served "
        "as static files; created with mode 0700.",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "SQLAlchemy URL. Empty: SQLite at `<DATA_DIR>/pep-docs.sqlite3`. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`, after `pip install "
        "'pep-docs[postgres]'`; the tables are made, and upgraded to this version's schema, "
        "when a process first opens it (see Database upgrades).",
    ),
    Setting(
        "REDIS_URL",
        "",
        "Empty: jobs run inside `pep-docs serve` (embedded). Set, e.g. "
        "`redis://localhost:6379/0`: jobs go through RQ to `pep-docs worker` processes.",
    ),
    Setting("QUEUE", "pep-docs", "Name of the RQ queue."),
    Setting(
        "SECRET_KEY",
        "",
        "Signs session cookies and CSRF tokens. Empty: a random key is made "
        "once and kept in `<DATA_DIR>/secret_key` (mode 0600).",
    ),
    Setting(
        "MAX_UPLOAD_MB", 50, "Largest upload request; bigger requests get 413 before any parsing."
    ),
    Setting("MAX_FILES_PER_UPLOAD", 200, "Most files in one upload."),
    Setting("SESSION_HOURS", 8, "A sign-in lasts this long."),
    Setting(
        "SECURE_COOKIES",
        True,
        "Send cookies only over HTTPS (browsers treat "
        "`http://localhost` as secure too). Turn off only behind a TLS-terminating proxy "
        "that does not pass the scheme.",
    ),
    Setting(
        "EMBEDDED_WORKERS",
        2,
        "Threads running jobs inside `pep-docs serve` when no Redis is configured.",
    ),
    Setting("RETURN_TIMEOUT", 120, "Seconds a job reading one returned form may run."),
    Setting("PACK_CHUNK_TIMEOUT", 600, "Seconds a job rendering one chunk of a pack may run."),
    Setting("PACK_CHUNK_SIZE", 50, "Children per pack chunk; chunks are shared among workers."),
    Setting(
        "RETRIES",
        3,
        "Retries after a transient fault, such as a worker killed mid-job. "
        "Unreadable files are never retried.",
    ),
    Setting(
        "RETRY_SECONDS",
        10,
        "Wait before the first retry; each next wait is 6 times longer (10 s, 60 s, 360 s).",
    ),
    Setting(
        "MAINTENANCE_SECONDS",
        30,
        "How often a worker puts back jobs that were lost "
        "(Redis restarted without them, a worker killed) and fails abandoned ones.",
    ),
    Setting("THREADS", 4, "Threads of the WSGI server (waitress) in `pep-docs serve`."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_ZERO_ALLOWED = {"RETRIES"}


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    if setting.kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
    elif setting.kind is int:
        try:
            number = int(str(value).strip())
        except ValueError:
            pass
        else:
            if number > 0 or (number == 0 and setting.name in _ZERO_ALLOWED):
                return number
    else:
        return str(value)
    raise PepDocsError(
        f"setting {setting.name} = {value!r} is not a valid {setting.kind.__name__}",
        where=source,
        hint=f"{setting.help} Default: {setting.default!r}",
    )


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name.upper()]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_dir(self) -> Path:
        return Path(self.values["DATA_DIR"]).resolve()

    @property
    def database_url(self) -> str:
        return self.values["DATABASE_URL"] or f"sqlite:///{self.data_dir / 'pep-docs.sqlite3'}"

    @property
    def embedded(self) -> bool:
        return not self.values["REDIS_URL"]

    def secret_key(self) -> str:
        """The configured key, else one kept in the data folder (made once, mode 0600)."""
        if self.values["SECRET_KEY"]:
            return self.values["SECRET_KEY"]
        path = self.data_dir / "secret_key"
        if not path.exists():
            ensure_data_dir(self)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the instance file, then `PEP_DOCS_*` variables, then `overrides`."""
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    data_dir = environ.get("PEP_DOCS_DATA_DIR") or (overrides or {}).get("DATA_DIR") or "var"
    instance = Path(environ.get("PEP_DOCS_INSTANCE_FILE") or Path(data_dir) / "settings.toml")
    if instance.is_file():
        try:
            table = tomllib.loads(instance.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PepDocsError(
                f"the instance file is not valid TOML: {exc}", where=str(instance)
            ) from exc
        for key, value in table.items():
            setting = _BY_NAME.get(key.upper())
            if setting is None:
                raise PepDocsError(f"unknown setting {key!r}", where=str(instance),
                                   hint="see the settings table in the README")  # fmt: skip
            values[setting.name] = _coerce(setting, value, str(instance))
    for setting in SETTINGS:
        raw = environ.get(f"PEP_DOCS_{setting.name}")
        if raw is not None:
            values[setting.name] = _coerce(setting, raw, f"PEP_DOCS_{setting.name}")
    for key, value in (overrides or {}).items():
        values[_BY_NAME[key.upper()].name] = value
    return Settings(values)


def ensure_data_dir(settings: Settings) -> Path:
    """The data folder and its sub-folders, private to this user."""
    root = settings.data_dir
    for sub in ("", "uploads", "packs", "tmp"):
        path = root / sub
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root
