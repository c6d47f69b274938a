"""Service settings: one registry, documented in the README, read from file and environment."""

from __future__ import annotations

import re

import pytest

from pep_docs.errors import PepDocsError
from pep_docs.settings import SETTINGS, load_settings
from tests.conftest import ROOT


def test_every_setting_is_in_the_readme_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- settings-table -->")[1].split("<!-- /settings-table -->")[0]
    rows = re.findall(r"^\| `PEP_DOCS_(\w+)` \| (.+?) \| (.+) \|$", table, re.M)
    want = [(s.name, f"`{s.default}`" if s.default != "" else "(empty)", s.help) for s in SETTINGS]
    assert rows == want


def test_instance_file_then_environment(tmp_path):
    (tmp_path / "settings.toml").write_text('max_upload_mb = 5\nqueue = "from-file"\n')
    env = {"PEP_DOCS_DATA_DIR": str(tmp_path), "PEP_DOCS_QUEUE": "from-env",
           "PEP_DOCS_SECURE_COOKIES": "off"}  # fmt: skip
    settings = load_settings(environ=env)
    assert (settings.MAX_UPLOAD_MB, settings.QUEUE, settings.SECURE_COOKIES) == (
        5,
        "from-env",
        False,
    )
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'pep-docs.sqlite3'}"
    assert settings.embedded is True


def test_bad_settings_say_which_and_why(tmp_path):
    with pytest.raises(PepDocsError) as bad:
        load_settings(environ={"PEP_DOCS_DATA_DIR": str(tmp_path), "PEP_DOCS_RETRIES": "many"})
    assert str(bad.value) == (
        "PEP_DOCS_RETRIES: setting RETRIES = 'many' is not a valid int (Retries after a transient "
        "fault, such as a worker killed mid-job. Unreadable files are never retried. Default: 3)"
    )
    (tmp_path / "settings.toml").write_text("colour = 'blue'\n")
    with pytest.raises(PepDocsError) as unknown:
        load_settings(environ={"PEP_DOCS_DATA_DIR": str(tmp_path)})
    assert str(unknown.value) == (
        f"{tmp_path / 'settings.toml'}: unknown setting 'colour' (see the settings table in the README)"
    )


def test_the_secret_key_is_made_once_and_private(tmp_path):
    settings = load_settings(environ={"PEP_DOCS_DATA_DIR": str(tmp_path / "d")})
    key = settings.secret_key()
    assert len(key) == 64 and settings.secret_key() == key
    assert (tmp_path / "d" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o700
