"""A built wheel is the whole product: installed outside the checkout, it finds its schemas,
authority profiles, QA page templates and Word template, and every command works.

The wheel is built from a copy of the sources (so the checkout gets no build/ litter), installed
into a fresh venv that borrows the already-installed dependencies through a `.pth` line, and run
with no PYTHONPATH from a directory outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from pep_docs.schema import iter_values
from tests.conftest import PEPS, ROOT, expected, load
from tests.test_service_migrations import NEWEST

# What a build reads: the package, the schemas it ships, and the build's own files.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "pep_docs", "schemas")
FIXTURE = PEPS / "cb-weak-late-return.json"
DATA_FILES = {
    "pep_docs/_schemas/pep.schema.json": "schemas/pep.schema.json",
    "pep_docs/_schemas/authority-profile.schema.json": "schemas/authority-profile.schema.json",
    "pep_docs/templates/pep_form.docx": "pep_docs/templates/pep_form.docx",
    "pep_docs/qa/templates/base.css.j2": "pep_docs/qa/templates/base.css.j2",
    "pep_docs/qa/templates/check.html.j2": "pep_docs/qa/templates/check.html.j2",
    "pep_docs/qa/templates/report.html.j2": "pep_docs/qa/templates/report.html.j2",
    "pep_docs/migrations/script.py.mako": "pep_docs/migrations/script.py.mako",
    **{
        f"pep_docs/authorities/{slug}/profile.json": f"pep_docs/authorities/{slug}/profile.json"
        for slug in ("bracknell-forest", "central-bedfordshire", "peterborough", "stockton-on-tees")
    },
}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(dist)],
        cwd=dist,
        env=dict(os.environ),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (whl,) = dist.glob("pep_docs-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(the venv's bin folder, an environment without the checkout, a folder to work in)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        cwd=venv,
        env=env,
    ).stdout.strip()
    # The dependencies this interpreter already has, without reinstalling them.
    (Path(site) / "_pep_docs_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        cwd=venv,
        env=env,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    return venv / "bin", env, tmp_path_factory.mktemp("elsewhere")


def test_the_wheel_carries_every_module_schema_profile_and_template(wheel):
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        assert set(DATA_FILES) - names == set()
        for packaged, source in DATA_FILES.items():
            assert whl.read(packaged) == (ROOT / source).read_bytes(), packaged
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pep_docs").rglob("*.py")}
    assert modules - names == set()


def test_the_installed_package_reads_its_own_schemas_not_the_checkouts(installed):
    bin_dir, env, elsewhere = installed
    shown = _run(
        [str(bin_dir / "python"), "-c",
         "import pep_docs.schema as s; print(s.__file__); print(s.SCHEMA_DIR)"],
        cwd=elsewhere,
        env=env,
    )  # fmt: skip
    module, schema_dir = shown.stdout.splitlines()
    site = Path(module).parent.parent
    assert Path(module) == site / "pep_docs" / "schema.py"
    assert Path(schema_dir) == site / "pep_docs" / "_schemas"
    assert ROOT not in Path(module).parents


def test_installed_cli_validates_a_fixture_from_outside_the_checkout(installed):
    bin_dir, env, elsewhere = installed
    result = _run([str(bin_dir / "pep-docs"), "schema", "validate", str(FIXTURE)], elsewhere, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{FIXTURE}: valid\n", "")


def test_installed_cli_lists_profiles_and_checks_against_them(installed):
    bin_dir, env, elsewhere = installed
    listed = _run([str(bin_dir / "pep-docs"), "authorities"], elsewhere, env)
    slugs = [line.split()[0] for line in listed.stdout.splitlines() if not line.startswith(" ")]
    assert slugs == ["bracknell-forest", "central-bedfordshire", "peterborough", "stockton-on-tees"]

    checked = _run(
        [str(bin_dir / "pep-docs"), "check", str(FIXTURE), "--format", "json"], elsewhere, env
    )
    assert checked.returncode == 0, checked.stderr
    result, want = json.loads(checked.stdout), expected(FIXTURE)["qa"]
    assert (result["rating"], result["not_met"]) == (want["rating"], want["not_met"])

    page = elsewhere / "check.html"
    html = _run(
        [str(bin_dir / "pep-docs"), "check", str(FIXTURE), "--format", "html", "-o", str(page)],
        elsewhere,
        env,
    )
    assert html.returncode == 0, html.stderr
    assert f'<span class="rating">{want["rating"]}</span>' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_installed_cli_renders_a_form_that_reads_back_exactly(installed, fmt):
    bin_dir, env, elsewhere = installed
    form = elsewhere / f"form.{fmt}"
    rendered = _run(
        [str(bin_dir / "pep-docs"), "render", "--data", str(FIXTURE), "-o", str(form)],
        elsewhere,
        env,
    )
    assert rendered.returncode == 0, rendered.stderr
    read = _run([str(bin_dir / "pep-docs"), "extract", str(form)], elsewhere, env)
    assert read.returncode == 0, read.stderr
    assert dict(iter_values(json.loads(read.stdout)["data"])) == dict(iter_values(load(FIXTURE)))


def test_installed_service_makes_its_database_from_the_migrations_it_carries(installed):
    """The migrations are found in the installed package, without an alembic.ini: `python -m
    pep_docs.migrations upgrade` makes a new SQLite database at the newest revision."""
    bin_dir, env, elsewhere = installed
    env = {**env, "PEP_DOCS_DATA_DIR": str(elsewhere / "data")}
    said = [_run([str(bin_dir / "python"), "-m", "pep_docs.migrations", command], elsewhere, env)
            for command in ("upgrade", "current")]  # fmt: skip
    assert [(s.returncode, s.stdout) for s in said] == [
        (0, f"upgraded from nothing to {NEWEST}, the newest\n"),
        (0, f"{NEWEST} (the newest)\n"),
    ]
    assert (elsewhere / "data" / "pep-docs.sqlite3").stat().st_size > 0
