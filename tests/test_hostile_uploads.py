"""The hostile-files table again, uploaded to the service: every file gets a finished job (read,
or failed with the same one-line reason the CLI gives), never a stuck one, and the original is
kept for a person to look at.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from pep_docs.db import Return, session_scope
from pep_docs.web import create_app
from pep_docs.web.auth import create_user
from tests.service import PASSWORD, csrf_token, wait_for
from tests.test_hostile_files import CASES, FORMS, JINJA, OLD_SCHEMA, Case

# Cases that change the process's limits (environment) are covered by the CLI table only. The
# service unpacks a zip of forms instead of refusing it: tests/test_service_zip.py.
ZIPS_OF_FORMS = {"zip-of-returns", "zip-of-returns-from-a-mac"}
SERVICE_CASES = [c for c in CASES if not c.env and not c.expect_authority
                 and c.id not in ZIPS_OF_FORMS]  # fmt: skip


def base_forms() -> dict[str, bytes]:
    """The forms the table's makers start from, as in tests/test_hostile_files.py."""
    from dataclasses import replace

    from pep_docs.forms import prepare
    from pep_docs.render import render
    from tests.conftest import PEPS, load

    doc = load(PEPS / "bf-school-age-ehcp.json")
    doc["child_views"]["going_well"] = JINJA
    spec = prepare(data=doc)
    old = replace(spec, identity=replace(spec.identity, schema_id=OLD_SCHEMA))
    return {"docx": render(spec, "docx"), "pdf": render(spec, "pdf"),
            "old.docx": render(old, "docx"), "old.pdf": render(old, "pdf")}  # fmt: skip


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory):
    """Every case's file uploaded in one request; the rows once every job has finished."""
    FORMS.update(base_forms())
    folder = tmp_path_factory.mktemp("hostile-uploads")
    app = create_app({"DATA_DIR": str(folder / "data")})
    settings = app.config["PEP_DOCS"]
    with session_scope(settings.database_url) as db:
        create_user(db, "officer@bf.example.invalid", PASSWORD, "bracknell-forest")
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    client.post("/sign-in", data={"email": "officer@bf.example.invalid", "password": PASSWORD,
                                  "csrf_token": token})  # fmt: skip
    made: dict[str, tuple[Case, Path, bytes]] = {}
    for case in SERVICE_CASES:
        inbox = folder / case.id
        inbox.mkdir()
        path = case.make(inbox)
        made[f"{case.id}-{path.name}"] = (case, path, path.read_bytes())
    answer = client.post(
        "/returns",
        data={"csrf_token": csrf_token(client.get("/returns").text),
              "file": [(io.BytesIO(data), name) for name, (_c, _p, data) in made.items()]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert answer.status_code == 302

    def finished():
        with session_scope(settings.database_url) as db:
            rows = db.scalars(select(Return)).all()
            return rows if all(r.status in ("done", "failed") for r in rows) else None

    rows = wait_for(finished, 600, "every hostile upload's job to finish", every=0.5)
    yield {r.original_name: r for r in rows}, made, client
    from pep_docs.jobs import forget_dispatchers

    forget_dispatchers()


@pytest.mark.parametrize("case", SERVICE_CASES, ids=lambda c: c.id)
def test_each_hostile_upload_gets_a_finished_job_with_its_answer(uploaded, case):
    rows, made, client = uploaded
    name = next(n for n, (c, _p, _d) in made.items() if c is case)
    _case, path, data = made[name]
    row = rows.get(name)
    if row is None:  # the same bytes as another case's file: one return, as for any duplicate
        assert any(d == data for n, (_c, _p, d) in made.items() if n in rows)
        return
    if case.is_read:
        assert (row.status, row.error) == ("done", None)
        warnings = [w["message"] for w in row.extraction["warnings"]]
        assert warnings == ([case.warning] if case.warning else [])
        if case.check:
            case.check(row.extraction)
    else:
        assert row.status == "failed"
        assert row.error == case.expected(path).replace(str(path), name, 1)
    original = client.get(f"/returns/{row.id}/original")
    assert original.status_code == 200 and original.data == data
