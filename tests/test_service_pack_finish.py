"""The last step of a term pack, joining its chunks into one zip, run twice at once.

Two workers that finish a pack's last two chunks at the same moment each queue that step, so it
can run twice, side by side. Only one run may mark the pack done; the other's zip, a copy of
every child's forms, must not be left on disk with nothing pointing to it. A pack failed while
the step ran stays failed. The pack is made by the web service in one process (embedded jobs),
as in tests/test_service_zip.py, with its last step held back so that the test runs it.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from pep_docs import jobs
from pep_docs import pack as packs
from pep_docs.db import Pack, PackChunk, session_scope
from tests.service import csrf_token, wait_for
from tests.test_service_jobs import cohort_csv
from tests.test_service_web import signed_in
from tests.test_service_zip import service


@pytest.fixture
def made(tmp_path, monkeypatch):
    """A pack of the fixture cohort's Central Bedfordshire children (Word forms, 20 a chunk: 4 chunks, one phase each),
    every chunk made, its last step not yet run: (app, pack id)."""
    held = replace(jobs.KINDS["finish_pack"], function=lambda pack_id: "held back")
    monkeypatch.setitem(jobs.KINDS, "finish_pack", held)
    app = service(tmp_path, PACK_CHUNK_SIZE=20)
    client = signed_in(app)
    token = csrf_token(client.get("/packs").text)
    cohort = (io.BytesIO(cohort_csv("central-bedfordshire")), "cohort.csv")
    answer = client.post("/packs", data={"csrf_token": token, "term": "2026-autumn",
                                         "formats": ["docx"], "cohort": cohort},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302, answer.text
    pack_id = answer.headers["Location"].rsplit("/", 1)[1]

    def chunks_made():
        with session_scope(app.config["PEP_DOCS"].database_url) as db:
            row = db.get(Pack, pack_id)
            chunks = db.query(PackChunk).filter_by(pack_id=pack_id).all()
            return row if row.plan and all(c.status == "done" for c in chunks) else None

    row = wait_for(chunks_made, 300, "the pack's chunks to be made")
    assert (row.status, row.error, row.chunks) == ("running", None, 4)
    yield app, pack_id
    jobs.forget_dispatchers()


def _pack(app, pack_id: str) -> Pack:
    with session_scope(app.config["PEP_DOCS"].database_url) as db:
        return db.get(Pack, pack_id)


def _zips(app) -> list[str]:
    return sorted(p.name for p in (app.config["PEP_DOCS"].data_dir / "packs").iterdir())


def _while_assembling(monkeypatch, step) -> list[str]:
    """Run `step` once, as the next `assemble` ends: after this run read the pack and its
    chunks, before it marks the pack done. What `step` returns is put in the list returned."""
    assemble, said = packs.assemble, []

    def assemble_while(plan, parts, out):
        assemble(plan, parts, out)
        if not said:
            said.append("running")
            said[0] = step()

    monkeypatch.setattr(packs, "assemble", assemble_while)
    return said


def test_the_last_step_run_twice_at_once_makes_one_zip(made, monkeypatch):
    app, pack_id = made
    said = _while_assembling(monkeypatch, lambda: jobs.finish_pack(pack_id))
    assert jobs.finish_pack(pack_id) == "done"
    assert said == ["done"]  # the second run, finished while the first was assembling
    row = _pack(app, pack_id)
    assert (row.status, row.done, row.total) == ("done", 40, 40)
    assert _zips(app) == [row.result_stored]  # the first run's zip was deleted, not left
    assert list((app.config["PEP_DOCS"].data_dir / "tmp").iterdir()) == []
    assert jobs.finish_pack(pack_id) == "done"  # once more, later: nothing new
    assert _zips(app) == [row.result_stored]


def test_a_pack_failed_while_its_zip_is_made_stays_failed_and_keeps_no_zip(made, monkeypatch):
    app, pack_id = made
    url = app.config["PEP_DOCS"].database_url
    _while_assembling(monkeypatch, lambda: jobs._fail_pack(url, pack_id, "stopped by a test"))
    assert jobs.finish_pack(pack_id) == "failed"
    row = _pack(app, pack_id)
    assert (row.status, row.error, row.result_stored) == ("failed", "stopped by a test", None)
    assert _zips(app) == []
