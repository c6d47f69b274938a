"""The whole service as it is deployed: a real `pep-docs serve` (waitress), and either its embedded
job threads or a real redis-server with real `pep-docs worker` processes, started and stopped here.

Faults are real too: Redis stopped while a file is uploaded, Redis restarted between enqueue and
work, and a worker killed with SIGKILL in the middle of a job.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pep_docs.forms import prepare
from pep_docs.render import render
from tests.conftest import PEPS, expected, load
from tests.service import (
    RedisServer,
    add_user,
    api,
    free_port,
    process,
    service_env,
    upload,
    wait_for,
)
from tests.test_service_zip import MAC, zipped

FIXTURE = PEPS / "cb-school-age-hard-name.json"


@pytest.fixture(scope="module")
def forms() -> dict[str, bytes]:
    spec = prepare(data=load(FIXTURE))
    return {"docx": render(spec, "docx"), "pdf": render(spec, "pdf")}


@dataclass
class Stack:
    """One running service: its URL, an API token, and handles to stop and start its parts."""

    folder: Path
    env: dict[str, str]
    base: str = ""
    token: str = ""
    redis: RedisServer | None = None
    stack: ExitStack = field(default_factory=ExitStack)
    workers: list = field(default_factory=list)

    def serve(self, wrapper: tuple[str, ...] = ()) -> None:
        port = free_port()
        self.stack.enter_context(process(["serve", "--port", str(port)], self.env,
                                         self.folder / "serve.log", wrapper))  # fmt: skip
        self.base = f"http://127.0.0.1:{port}"
        wait_for(self._healthy, 60, "pep-docs serve to answer /health")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def start_worker(self):
        n = len(self.workers)
        proc = self.stack.enter_context(process(["worker"], self.env,
                                                self.folder / f"worker-{n}.log"))  # fmt: skip
        self.workers.append(proc)
        return proc

    def status(self, path: str) -> dict:
        code, body = api(self.base, self.token, "GET", path)
        assert code == 200, body
        return body

    def until(self, path: str, statuses: tuple[str, ...], timeout: float = 180) -> dict:
        return wait_for(lambda: (s := self.status(path))["status"] in statuses and s,
                        timeout, f"{path} to be {' or '.join(statuses)}", every=0.5)  # fmt: skip

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.folder.glob("*.log")
        )


def make_stack(
    tmp_path: Path, mode: str, workers: int = 2, wrapper: tuple[str, ...] = (), **settings
) -> Stack:
    redis = None
    if mode == "rq":
        redis = RedisServer(tmp_path / "redis")
        redis.start()
        settings["REDIS_URL"] = redis.url
    env = service_env(tmp_path / "data", MAINTENANCE_SECONDS=2, RETRY_SECONDS=1, **settings)
    stack = Stack(tmp_path, env, redis=redis)
    stack.token = add_user(env, "officer@cb.example.invalid", "central-bedfordshire")
    if redis is not None:
        stack.stack.callback(redis.stop)
    stack.serve(wrapper)
    for _ in range(workers if mode == "rq" else 0):
        stack.start_worker()
    return stack


@pytest.fixture
def service(request, tmp_path) -> Iterator[Stack]:
    stack = make_stack(tmp_path, request.param)
    with stack.stack:
        yield stack


def rating() -> str:
    return expected(FIXTURE)["qa"]["rating"]


@pytest.mark.parametrize("service", ["embedded", "rq"], indirect=True)
def test_returns_uploaded_through_the_api_are_read_and_checked(service, forms):
    items = upload(service.base, service.token, [("pep.docx", forms["docx"]),
                                                 ("pep.pdf", forms["pdf"])])  # fmt: skip
    assert [i["status"] for i in items] == ["queued", "queued"]
    for item in items:
        got = service.until(f"/api/v1/returns/{item['id']}", ("done", "failed"))
        assert (got["status"], got["error"]) == ("done", None), service.logs()
        assert got["extraction"]["data"] == load(FIXTURE)
        assert got["check"]["rating"] == rating()
    again = upload(service.base, service.token, [("again.pdf", forms["pdf"])])
    assert (again[0]["id"], again[0]["duplicate"]) == (items[1]["id"], True)


@pytest.mark.parametrize("service", ["rq"], indirect=True)
def test_a_zip_of_forms_is_unpacked_by_a_worker_and_each_form_read(service, forms):
    data = zipped({"Oak Primary/": b"", "Oak Primary/pep.docx": forms["docx"],
                   "Oak Primary/pep.pdf": forms["pdf"], **MAC})  # fmt: skip
    (item,) = upload(service.base, service.token, [("term-forms.zip", data)])
    got = service.until(f"/api/v1/returns/{item['id']}", ("done", "failed"))
    message = "a zip of 2 forms: each is read as its own return (listed below)"
    assert (got["status"], got["error"], got["from_zips"]) == ("done", message, []), service.logs()
    assert got["file"]["type"] == "zip"
    assert [m["name"] for m in got["zip_members"]] == ["pep.docx", "pep.pdf"]
    for m in got["zip_members"]:
        member = service.until(f"/api/v1/returns/{m['id']}", ("done", "failed"))
        assert (member["status"], member["error"]) == ("done", None), service.logs()
        assert member["file"]["name"] == f"term-forms.zip › {m['name']}"
        assert member["extraction"]["data"] == load(FIXTURE)
        assert member["from_zips"] == [{"id": item["id"], "url": item["url"], "name": m["name"]}]
    (again,) = upload(service.base, service.token, [("term-forms (1).zip", data)])
    assert (again["id"], again["duplicate"]) == (item["id"], True)


def test_redis_restarted_between_enqueue_and_work_loses_nothing(tmp_path, forms):
    stack = make_stack(tmp_path, "rq", workers=0)
    with stack.stack:
        items = upload(stack.base, stack.token, [("pep.docx", forms["docx"])])
        stack.redis.stop()  # append-only file on: the queued job is written to disk
        stack.redis.start()
        stack.start_worker()
        got = stack.until(f"/api/v1/returns/{items[0]['id']}", ("done", "failed"))
        assert (got["status"], got["check"]["rating"]) == ("done", rating()), stack.logs()


def test_redis_down_at_upload_keeps_the_file_and_reads_it_when_redis_is_back(tmp_path, forms):
    stack = make_stack(tmp_path, "rq", workers=0)
    with stack.stack:
        stack.redis.stop()
        (item,) = upload(stack.base, stack.token, [("pep.pdf", forms["pdf"])])
        assert item["status"] == "queued"
        assert item["note"] == ("the queue is not reachable just now; the file is kept and will "
                                "be read when it is back")  # fmt: skip
        assert stack.status(f"/api/v1/returns/{item['id']}")["status"] == "queued"
        stack.redis.start()  # empty of this job: it never reached Redis
        stack.start_worker()  # its maintenance finds the record and queues it
        got = stack.until(f"/api/v1/returns/{item['id']}", ("done", "failed"))
        assert (got["status"], got["error"], got["check"]["rating"]) == ("done", None, rating())


def test_users_add_asks_for_the_password_twice_and_prints_a_working_token(tmp_path):
    from tests.service import pep_docs

    env = service_env(tmp_path / "data")
    mismatch = pep_docs("users", "add", "a@example.invalid", "--authority", "peterborough",
                        env=env, input="one long password\nanother password\n")  # fmt: skip
    assert mismatch.returncode == 2
    assert mismatch.stderr == ("error: standard input: the two passwords are not the same "
                               "(give the same password on two lines)\n")  # fmt: skip
    short = pep_docs("users", "add", "a@example.invalid", "--authority", "peterborough",
                     env=env, input="short\nshort\n")  # fmt: skip
    assert short.returncode == 2 and "shorter than 12 characters" in short.stderr
    token = add_user(env, "a@example.invalid", "peterborough")
    assert len(token) == 43
    again = pep_docs("users", "add", "A@example.invalid", "--authority", "peterborough",
                     env=env, input="one long password\none long password\n")  # fmt: skip
    assert again.stderr == "error: a@example.invalid already has an account\n"
    db = json.dumps(sorted(p.name for p in (tmp_path / "data").iterdir()))
    assert "pep-docs.sqlite3" in db


def cohort_csv(authority: str, copies: int = 1) -> bytes:
    """The fixture cohort's children of one authority (repeated with new ids for bulk)."""
    import csv
    import io

    from tests.conftest import FIXTURES

    with open(FIXTURES / "cohort.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["authority"] == authority]
        fields = reader.fieldnames
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for n in range(copies):
        for row in rows:
            writer.writerow({**row, "child_id": f"{row['child_id']}-{n}" if n else row["child_id"]})
    return out.getvalue().encode()


def start_pack(stack: Stack, cohort: bytes, term: str = "2026-autumn") -> dict:
    from tests.service import multipart

    body, kind = multipart({"term": term, "formats": "docx,pdf"},
                           [("cohort", "cohort.csv", cohort)])  # fmt: skip
    code, answer = api(stack.base, stack.token, "POST", "/api/v1/packs", data=body,
                       headers={"Content-Type": kind})  # fmt: skip
    assert code == 202, answer
    return answer


@pytest.mark.parametrize("service", ["embedded", "rq"], indirect=True)
def test_a_pack_is_made_in_chunks_and_downloaded(service):
    import io
    import zipfile

    cohort = cohort_csv("central-bedfordshire")
    pack = start_pack(service, cohort)
    assert (pack["status"], pack["term"], pack["formats"]) == ("queued", "2026-autumn",
                                                               ["docx", "pdf"])  # fmt: skip
    got = service.until(f"/api/v1/packs/{pack['id']}", ("done", "failed"), timeout=300)
    children = cohort.count(b"\n") - 1
    assert (got["status"], got["error"], got["problems"]) == ("done", None, []), service.logs()
    assert got["progress"] == {"done": children, "total": children}
    code, data = api(service.base, service.token, "GET", f"/api/v1/packs/{pack['id']}/download")
    assert code == 200
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        manifest = z.read("manifest.csv").decode("utf-8-sig").splitlines()
    assert sum(n.endswith(".docx") for n in names) == children
    assert sum(n.endswith(".pdf") for n in names) == children
    assert len(manifest) == children + 1


def test_a_worker_killed_mid_job_leaves_nothing_running_for_ever(tmp_path):
    """SIGKILL a worker and its work-horse while they render a pack chunk; a second worker's
    maintenance finds the abandoned job, retries it, and the pack completes."""
    import os
    import signal

    from pep_docs.db import Pack, PackChunk, session_scope
    from pep_docs.settings import load_settings

    stack = make_stack(tmp_path, "rq", workers=0, PACK_CHUNK_SIZE=500, PACK_CHUNK_TIMEOUT=30)
    with stack.stack:
        first = stack.start_worker()
        pack = start_pack(stack, cohort_csv("central-bedfordshire", copies=3))
        url = load_settings(environ=stack.env).database_url

        def chunk_started():
            with session_scope(url) as s:
                chunk = s.get(PackChunk, (pack["id"], 0))
                return chunk.status if chunk is not None and chunk.status != "queued" else None

        # Generous: the worker first warms its readers, and a loaded CI machine is slow.
        status = wait_for(chunk_started, 300, "the worker to start rendering the chunk", every=0.05)
        assert status == "running", (status, stack.logs())  # not finished before it was killed
        # The worker and its work-horse (RQ starts the horse in its own session), as when a
        # machine is lost.
        horses = [int(p) for p in Path(f"/proc/{first.pid}/task/{first.pid}/children")
                  .read_text().split()]  # fmt: skip
        assert horses, "the worker has a work-horse while it runs a job"
        for pid in [first.pid, *horses]:
            os.kill(pid, signal.SIGKILL)
        first.wait()
        with session_scope(url) as s:
            assert s.get(Pack, pack["id"]).status == "running"
        stack.start_worker()
        got = stack.until(f"/api/v1/packs/{pack['id']}", ("done", "failed"), timeout=400)
        assert (got["status"], got["error"]) == ("done", None), stack.logs()
        with session_scope(url) as s:
            assert s.get(PackChunk, (pack["id"], 0)).attempts == 2
        assert (
            f"job render_pack_chunk-{pack['id']}-0: the worker stopped while doing this (it "
            "was killed or its machine restarted); trying again"
        ) in stack.logs()


def test_a_job_over_its_time_limit_fails_with_the_limit_as_its_reason(tmp_path):
    """RQ stops a chunk job at PACK_CHUNK_TIMEOUT; with no retries the pack fails for good,
    saying why, and its part-made chunk is not kept."""
    stack = make_stack(tmp_path, "rq", workers=1, PACK_CHUNK_SIZE=5000, PACK_CHUNK_TIMEOUT=1,
                       RETRIES=0)  # fmt: skip
    with stack.stack:
        pack = start_pack(stack, cohort_csv("central-bedfordshire", copies=40))
        got = stack.until(f"/api/v1/packs/{pack['id']}", ("done", "failed"), timeout=300)
        assert (got["status"], got["download"]) == ("failed", None), stack.logs()
        assert got["error"] == (
            "this took longer than the 1 s allowed: try again when the service is less busy, "
            "or ask whoever runs it to raise PEP_DOCS_PACK_CHUNK_TIMEOUT"
        )
        assert list((tmp_path / "data" / "packs").iterdir()) == []


def test_a_full_disk_while_writing_a_pack_fails_it_with_its_reason_and_leaves_no_part(tmp_path):
    """The service runs with a 3 MB file size limit (as a nearly full disk): the pack's chunk
    cannot be written, so the pack fails with a reason a person can act on, and nothing
    half-written is left in the data folder."""
    stack = make_stack(tmp_path, "embedded", wrapper=("prlimit", "--fsize=3000000"), RETRIES=0)
    with stack.stack:
        pack = start_pack(stack, cohort_csv("central-bedfordshire"))
        got = stack.until(f"/api/v1/packs/{pack['id']}", ("done", "failed"), timeout=300)
        assert (got["status"], got["download"]) == ("failed", None)
        assert got["error"] == (
            "the server ran out of disk space while writing this (or reached its file size "
            "limit); nothing half-written was kept: free some space, then start it again"
        )
        data = tmp_path / "data"
        assert list((data / "packs").iterdir()) == []
        assert list((data / "tmp").iterdir()) == []  # no part, and no child's data kept
