"""The service's jobs, and the two ways they run.

Job functions take ids only (the queue never carries file bytes or personal data) and are
idempotent: running one twice gives one result. The same functions run either inside
`pep-docs serve` on a thread pool (embedded, no Redis) or in `pep-docs worker` processes
through RQ. The database is the record of truth; `maintain()` puts back any job Redis lost and
fails jobs that can no longer run, so no return stays "running" for ever.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select, update

from pep_docs import files
from pep_docs.db import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Pack,
    PackChunk,
    Return,
    fit,
    now,
    session_scope,
)
from pep_docs.errors import FormReadError, PepDocsError
from pep_docs.forms import child_name_of
from pep_docs.settings import Settings, load_settings

log = logging.getLogger("pep_docs.jobs")

_SETTINGS: Settings | None = None


def configure(settings: Settings) -> None:
    """Set the settings jobs run with (the serve or worker process calls this once)."""
    global _SETTINGS
    _SETTINGS = settings


def current_settings() -> Settings:
    global _SETTINGS
    if _SETTINGS is None:
        _SETTINGS = load_settings()
    return _SETTINGS


class PermanentFailure(PepDocsError):
    """A job that must not be retried: the input itself is the problem."""


# --- reading a returned form -------------------------------------------------------------------


def _read_untrusted(path: str, where: str) -> dict[str, Any]:
    """Extraction of an uploaded file, as a dict (with a time and memory limit when available)."""
    from pep_docs.extractors.sandbox import extract_untrusted

    return extract_untrusted(path, where=where).to_dict()


def read_return(return_id: str) -> str:
    """Read one returned form and check it; record the result or the reason it failed."""
    settings = current_settings()
    url = settings.database_url
    with session_scope(url) as s:
        row = s.get(Return, return_id)
        if row is None:
            return "gone"
        if row.status in (DONE, FAILED):
            return row.status  # already done by an earlier run of the same job
        row.status, row.attempts = RUNNING, row.attempts + 1
        path = str(files.path_of(settings, "uploads", row.stored_name))
        where, kind = row.original_name, row.kind
    if kind in ("docx", "zip"):  # a zip: a Word document, or a zip of forms to unpack
        from pep_docs.intake import unpack

        unpacked = unpack(settings, return_id, Path(path))
        if unpacked is not None:
            return unpacked
    try:
        extraction = _read_untrusted(path, where)
    except FormReadError as exc:
        _finish_return(url, return_id, FAILED, error=str(exc))
        return FAILED
    from pep_docs.qa.check import check_or_reason

    check, check_error = check_or_reason(extraction["data"], file=where)
    name = child_name_of(extraction["data"])
    _finish_return(
        url, return_id, DONE, error=check_error, extraction=extraction, check=check,
        child_name=fit(Return.child_name, name) or None, rating=(check or {}).get("rating"),
    )  # fmt: skip
    return DONE


def _finish_return(url: str, return_id: str, status: str, **values: Any) -> None:
    with session_scope(url) as s:
        row = s.get(Return, return_id)
        if row is not None:
            row.status = status
            for key, value in values.items():
                setattr(row, key, value)


# --- term packs --------------------------------------------------------------------------------


def plan_pack(pack_id: str) -> str:
    """Read the cohort file, plan the pack, and queue its chunks."""
    from pep_docs import pack as packs

    settings = current_settings()
    url = settings.database_url
    with session_scope(url) as s:
        row = s.get(Pack, pack_id)
        if row is None:
            return "gone"
        if row.plan is not None or row.status in (DONE, FAILED):
            return row.status
        row.status = RUNNING
        cohort = files.path_of(settings, "uploads", row.cohort_stored)
        authority, term, formats = row.authority, row.term, tuple(row.formats.split(","))
        name = row.cohort_name
    workdir = settings.data_dir / "tmp" / pack_id  # the children's data, for every chunk
    workdir.mkdir(mode=0o700, exist_ok=True)
    try:
        plan = packs.plan_pack(cohort, authority, term, formats, workdir=workdir,
                               chunk_size=settings.PACK_CHUNK_SIZE, pack_id=pack_id)  # fmt: skip
    except PepDocsError as exc:
        exc.where = name  # the name the person uploaded, not where it is stored
        _fail_pack(url, pack_id, str(exc))
        return FAILED
    total, chunks = len(plan.children), len(plan.chunks)
    with session_scope(url) as s:
        row = s.get(Pack, pack_id)
        row.plan, row.total, row.chunks = plan.to_dict(), total, chunks
        row.problems = list(plan.not_made)
        for index in range(chunks):
            if s.get(PackChunk, (pack_id, index)) is None:
                s.add(PackChunk(pack_id=pack_id, index=index))
    if total == 0:
        _fail_pack(url, pack_id, "no child in the cohort file could be read; the problems "
                   "with each row are listed below")  # fmt: skip
        return FAILED
    dispatcher = dispatcher_for(settings)
    for index in range(chunks):
        dispatcher.submit("render_pack_chunk", pack_id, str(index))
    return RUNNING


def render_pack_chunk(pack_id: str, index: str) -> str:
    """Render one chunk of a pack to its own file; the last chunk to finish queues the zip."""
    from pep_docs import pack as packs

    settings = current_settings()
    url = settings.database_url
    i = int(index)
    with session_scope(url) as s:
        row, chunk = s.get(Pack, pack_id), s.get(PackChunk, (pack_id, i))
        if row is None or chunk is None or row.status == FAILED:
            return "gone"
        if chunk.status == DONE:
            return DONE
        chunk.status, chunk.attempts = RUNNING, chunk.attempts + 1
        plan = packs.PackPlan.from_dict(row.plan)
    start, stop = plan.chunks[i].start, plan.chunks[i].stop
    stored = files.new_name(".zip")
    target = files.path_of(settings, "tmp", stored)
    manifest = packs.render_chunk(plan, start, stop, target)
    with session_scope(url) as s:
        chunk = s.get(PackChunk, (pack_id, i))
        chunk.status, chunk.stored_name, chunk.children = DONE, stored, stop - start
        chunk.manifest = manifest
    with session_scope(url) as s:
        done = s.scalar(
            select(func.coalesce(func.sum(PackChunk.children), 0)).where(
                PackChunk.pack_id == pack_id, PackChunk.status == DONE
            )
        )
        left = s.scalar(
            select(func.count()).where(PackChunk.pack_id == pack_id, PackChunk.status != DONE)
        )
        row = s.get(Pack, pack_id)
        row.done = done
    if left == 0:
        dispatcher_for(settings).submit("finish_pack", pack_id)
    return DONE


def finish_pack(pack_id: str) -> str:
    """Join the chunks into the pack's zip, with its manifest."""
    from pep_docs import pack as packs

    settings = current_settings()
    url = settings.database_url
    with session_scope(url) as s:
        row = s.get(Pack, pack_id)
        if row is None or row.status in (DONE, FAILED):
            return row.status if row else "gone"
        chunks = s.scalars(
            select(PackChunk).where(PackChunk.pack_id == pack_id).order_by(PackChunk.index)
        ).all()
        if any(c.status != DONE for c in chunks):
            return RUNNING  # a chunk was put back; its own run will queue this again
        plan = packs.PackPlan.from_dict(row.plan)
        parts = [files.path_of(settings, "tmp", c.stored_name) for c in chunks]
    stored = files.new_name(".zip")
    target = files.path_of(settings, "packs", stored)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            packs.assemble(plan, parts, out)
    except BaseException:
        target.unlink(missing_ok=True)  # never a half-written pack (a full disk, a timeout)
        raise
    # One UPDATE, not a read then a write: two runs of this job (the last two chunks finished
    # at once on two workers, and each queued it) may both get here, and only one may mark the
    # pack done; the other's zip is deleted, or it would be a copy of children's data that
    # nothing points to. A pack failed meanwhile (its chunks' files deleted) stays failed.
    with session_scope(url) as s:
        claimed = s.execute(
            update(Pack)
            .where(Pack.id == pack_id, Pack.status.not_in((DONE, FAILED)))
            .values(status=DONE, result_stored=stored, done=Pack.total)
        ).rowcount
        status = DONE if claimed else s.scalar(select(Pack.status).where(Pack.id == pack_id))
    if not claimed:
        target.unlink(missing_ok=True)
        return status or "gone"
    for part in parts:
        part.unlink(missing_ok=True)
    shutil.rmtree(settings.data_dir / "tmp" / pack_id, ignore_errors=True)
    return DONE


def _fail_pack(url: str, pack_id: str, reason: str) -> None:
    """Fail a pack and delete what it made so far: children's data is not kept for nothing."""
    settings = current_settings()
    with session_scope(url) as s:
        row = s.get(Pack, pack_id)
        if row is None or row.status == DONE:
            return
        row.status, row.error = FAILED, reason
        for chunk in s.scalars(select(PackChunk).where(PackChunk.pack_id == pack_id)):
            if chunk.stored_name:
                files.path_of(settings, "tmp", chunk.stored_name).unlink(missing_ok=True)
    shutil.rmtree(settings.data_dir / "tmp" / pack_id, ignore_errors=True)


# --- how jobs are described and run ------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    function: Callable[..., str]
    timeout_setting: str
    subject: str  # "return" or "pack": which record a failure is written to


KINDS: dict[str, JobKind] = {
    "read_return": JobKind(read_return, "RETURN_TIMEOUT", "return"),
    "plan_pack": JobKind(plan_pack, "RETURN_TIMEOUT", "pack"),
    "render_pack_chunk": JobKind(render_pack_chunk, "PACK_CHUNK_TIMEOUT", "pack"),
    "finish_pack": JobKind(finish_pack, "PACK_CHUNK_TIMEOUT", "pack"),
}


def job_id(kind: str, *ids: str) -> str:
    return "-".join((kind, *ids))


def retry_intervals(settings: Settings) -> list[int]:
    base = settings.RETRY_SECONDS
    return [base * 6**n for n in range(settings.RETRIES)]


def describe_failure(kind: str, exc_type: type | None, exc: BaseException | None) -> str:
    """The reason a person reads when a job failed for something other than its input."""
    name = getattr(exc_type, "__name__", "")
    settings = current_settings()
    if name == "AbandonedJobError":
        return "the worker stopped while doing this (it was killed or its machine restarted)"
    if name == "JobTimeoutException":
        setting = KINDS[kind].timeout_setting
        limit = getattr(settings, setting)
        return (f"this took longer than the {limit} s allowed: try again when the service is "
                f"less busy, or ask whoever runs it to raise PEP_DOCS_{setting}")  # fmt: skip
    if isinstance(exc, PepDocsError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return ("the server ran out of disk space while writing this (or reached its file size "
                "limit); nothing half-written was kept: free some space, then start it again")  # fmt: skip
    return f"an unexpected error ({name or 'unknown'}); the details are in the worker's log"


def record_failure(kind: str, ids: tuple[str, ...], reason: str, will_retry: bool) -> None:
    """Write a failed attempt to the record: "trying again" or failed for good."""
    log.warning("job %s: %s%s", job_id(kind, *ids), reason, "; trying again" if will_retry else "")
    url = current_settings().database_url
    if KINDS[kind].subject == "return":
        with session_scope(url) as s:
            row = s.get(Return, ids[0])
            if row is not None and row.status != DONE:
                row.status = QUEUED if will_retry else FAILED
                row.error = f"{reason}; trying again" if will_retry else reason
    elif not will_retry:
        _fail_pack(url, ids[0], reason)


def rq_failure_callback(job: Any, connection: Any, exc_type: Any, exc: Any, tb: Any) -> None:
    """RQ's on_failure: called for every failed attempt, and for abandoned jobs."""
    kind = job.meta.get("kind") or job.func_name.rsplit(".", 1)[-1]
    will_retry = bool(job.retries_left and job.retries_left > 0)
    record_failure(kind, tuple(job.args), describe_failure(kind, exc_type, exc), will_retry)


class Dispatcher(Protocol):
    def submit(self, kind: str, *ids: str) -> None: ...


class EmbeddedDispatcher:
    """Runs jobs on threads inside the web process: the same job code, no Redis needed."""

    def __init__(self, settings: Settings) -> None:
        from pep_docs.extractors.sandbox import start_warm_server

        self.settings = settings
        self.pool = ThreadPoolExecutor(settings.EMBEDDED_WORKERS, thread_name_prefix="pep-job")
        start_warm_server()  # the first upload then waits for nobody's warm-up

    def submit(self, kind: str, *ids: str) -> None:
        self.pool.submit(self._run, kind, ids)

    def _run(self, kind: str, ids: tuple[str, ...]) -> None:
        intervals = retry_intervals(self.settings)
        for attempt in range(len(intervals) + 1):
            try:
                KINDS[kind].function(*ids)
                return
            except Exception as exc:  # the job's own faults; input faults are handled inside
                will_retry = attempt < len(intervals)
                log.exception("job %s failed (attempt %d)", job_id(kind, *ids), attempt + 1)
                record_failure(kind, ids, describe_failure(kind, type(exc), exc), will_retry)
                if will_retry:
                    time.sleep(intervals[attempt])

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)


class RqDispatcher:
    """Puts jobs on an RQ queue in Redis (JSON, ids only) for `pep-docs worker` processes."""

    def __init__(self, settings: Settings) -> None:
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        self.settings = settings
        self.connection = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5,
                                         socket_timeout=30)  # fmt: skip
        self.queue = Queue(settings.QUEUE, connection=self.connection, serializer=JSONSerializer)

    def submit(self, kind: str, *ids: str) -> None:
        """Queue a job; if Redis is down the record stays queued and `maintain` queues it later."""
        from redis.exceptions import RedisError
        from rq import Callback, Retry

        try:
            self.queue.enqueue_call(
                f"pep_docs.jobs.{kind}",
                args=ids,
                timeout=getattr(self.settings, KINDS[kind].timeout_setting),
                job_id=job_id(kind, *ids),
                retry=Retry(max=self.settings.RETRIES, interval=retry_intervals(self.settings))
                if self.settings.RETRIES
                else None,
                on_failure=Callback(rq_failure_callback),
                meta={"kind": kind},
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
            )
        except RedisError as exc:
            raise QueueUnavailable(str(exc)) from exc

    def job_status(self, kind: str, *ids: str) -> str | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job
        from rq.serializers import JSONSerializer

        try:
            job = Job.fetch(job_id(kind, *ids), connection=self.connection,
                            serializer=JSONSerializer)  # fmt: skip
        except NoSuchJobError:
            return None
        status = job.get_status(refresh=False)
        return getattr(status, "value", status)


class QueueUnavailable(PepDocsError):
    """Redis could not be reached; the record is kept and queued again later."""


_DISPATCHERS: dict[tuple[str, str], Dispatcher] = {}
_LOCK = threading.Lock()


def dispatcher_for(settings: Settings) -> Dispatcher:
    key = (settings.REDIS_URL, settings.database_url)
    with _LOCK:
        if key not in _DISPATCHERS:
            _DISPATCHERS[key] = (
                EmbeddedDispatcher(settings) if settings.embedded else RqDispatcher(settings)
            )
        return _DISPATCHERS[key]


def forget_dispatchers() -> None:
    with _LOCK:
        for dispatcher in _DISPATCHERS.values():
            if isinstance(dispatcher, EmbeddedDispatcher):
                dispatcher.shutdown()
        _DISPATCHERS.clear()


# --- putting lost work back --------------------------------------------------------------------


def _pending(settings: Settings, older_than: float) -> list[tuple[str, tuple[str, ...], int]]:
    """(kind, ids, attempts) of every unfinished record not touched for `older_than` seconds."""
    cutoff = now().timestamp() - older_than
    found: list[tuple[str, tuple[str, ...], int]] = []
    with session_scope(settings.database_url) as s:
        for r in s.scalars(select(Return).where(Return.status.in_((QUEUED, RUNNING)))):
            if r.updated.timestamp() <= cutoff:
                found.append(("read_return", (r.id,), r.attempts))
        for p in s.scalars(select(Pack).where(Pack.status.in_((QUEUED, RUNNING)))):
            if p.plan is None:
                if p.updated.timestamp() <= cutoff:
                    found.append(("plan_pack", (p.id,), 0))
                continue
            chunks = s.scalars(select(PackChunk).where(PackChunk.pack_id == p.id)).all()
            for c in chunks:
                if c.status != DONE and c.updated.timestamp() <= cutoff:
                    found.append(("render_pack_chunk", (p.id, str(c.index)), c.attempts))
            if chunks and all(c.status == DONE for c in chunks) and p.updated.timestamp() <= cutoff:
                found.append(("finish_pack", (p.id,), 0))
    return found


def maintain(settings: Settings, *, older_than: float | None = None) -> list[str]:
    """Queue again every unfinished record whose job is no longer waiting or running.

    Called by every worker every MAINTENANCE_SECONDS, and by `pep-docs serve` when it starts.
    A record whose job was lost too often is failed with its reason instead.
    """
    older = settings.MAINTENANCE_SECONDS if older_than is None else older_than
    dispatcher = dispatcher_for(settings)
    requeued = []
    for kind, ids, attempts in _pending(settings, older):
        if isinstance(dispatcher, RqDispatcher):
            status = dispatcher.job_status(kind, *ids)
            if status in ("queued", "started", "deferred", "scheduled"):
                continue
        if attempts > settings.RETRIES:
            record_failure(kind, ids, "the job was stopped too many times before it finished",
                           will_retry=False)  # fmt: skip
            continue
        dispatcher.submit(kind, *ids)
        requeued.append(job_id(kind, *ids))
    if requeued:
        log.warning("queued again: %s", ", ".join(requeued))
    return requeued
