"""Reading untrusted files in a child process with hard limits.

`extract_untrusted(source, where=...)` is `extract()` run in a child process that

- may take at most `PEP_DOCS_PARSE_TIMEOUT` seconds of wall time (the parent kills it then) and
  of CPU (RLIMIT_CPU, which also ends it if the parent itself has died),
- may take at most `PEP_DOCS_PARSE_MEMORY_MB` of memory beyond what it started with (RLIMIT_AS
  set to its size at start plus the budget),
- cannot write files (RLIMIT_FSIZE 0) or leave a core dump of a child's data (RLIMIT_CORE 0),
- says nothing to the terminal (its stdout and stderr go to /dev/null): its one answer is a JSON
  message on a pipe, `Extraction.to_dict()` or the error.

Whatever a hostile file does to a parser (loop, balloon, crash), the caller gets an
`Extraction` or a `FormReadError` with a one-line reason, in bounded time. Every file gets a
fresh child, so a parser subverted by one file never sees another child's data.

How the child is started (the multiprocessing context), decided on each call:
- "fork" when the calling process has one thread (the CLI, an RQ work-horse): the child is a
  copy of the caller, modules and caches included, and costs a few milliseconds. A long-lived
  parent (an RQ worker before it forks horses) can call `warm()` once so that no child redoes
  the readers' first-use work.
- "forkserver" when the caller has other threads (a threaded web server): fork() copies only
  the calling thread, and a lock another thread held at that moment (in malloc, logging,
  libxml2) would stay locked for ever in the child. The fork server is a single-threaded
  process started once, with the readers imported, and forks the children from there.
  ("spawn" would be as safe, but starts and imports a new interpreter on every call.)
The wait for the child ends in `finally` with the child killed, so an exception in the caller
(an RQ job timeout, Ctrl-C) never leaves a child behind.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

from pep_docs import errors
from pep_docs.errors import FormReadError, PepDocsError, UnsafeInputError
from pep_docs.extractors import extract, read_source
from pep_docs.extractors.result import Extraction, Unmapped, Warning_
from pep_docs.extractors.safety import Limits

__all__ = ["extract_untrusted", "start_method", "start_warm_server", "warm"]

logger = logging.getLogger(__name__)

_MB = 1024 * 1024
# The child's exit status when it ran out of memory even for sending its answer.
_EXIT_MEMORY = 3
_SAVE_AGAIN = "ask the school to save the form again and send it"
_READERS = ["pep_docs.extractors.docx", "pep_docs.extractors.pdf", __name__]


def extract_untrusted(
    source: str | Path | bytes | BinaryIO,
    *,
    where: str | None = None,
    expect_authority: str | None = None,
    limits: Limits | None = None,
) -> Extraction:
    """`extract()` in a child process with hard time and memory limits (see the module doc).

    `where` names the file in messages (the upload's original name, say); a path names itself.
    Raises `FormReadError` (or its `UnsafeInputError`) with a one-line reason.
    """
    limits = limits or Limits()
    data, name = read_source(source, limits)
    where = where or name
    _import_readers()
    answer = _run_child(data, where, expect_authority, limits)
    return _from_answer(answer, where, limits)


def start_method() -> str:
    """How the next child will be started from this process: `fork` or `forkserver`."""
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        threads = threading.active_count()
    return "fork" if threads == 1 else "forkserver"


def warm() -> None:
    """Do the readers' first-use work in this process, so that every child forked from it later
    starts warm: the schema, and each authority's blank form for each phase compiled and read
    once (about 5 s). What is left per term (the blank form's printed text) is a warm render,
    milliseconds, in the child."""
    from pep_docs.extractors.pdf_layout import form_model
    from pep_docs.forms import prepare
    from pep_docs.profiles import available
    from pep_docs.render import render
    from pep_docs.schema import PHASES

    _import_readers()
    for slug in available():
        for phase in PHASES:
            spec = prepare(data={"authority": slug, "phase": phase, "child_id": "CHILD0"})
            for fmt in ("docx", "pdf"):
                extract(render(spec, fmt), where="warm-up form")
            form_model(slug, phase)  # the blank form a flattened PDF is read against


def start_warm_server() -> None:
    """Start the fork server now, warmed, rather than on the first upload (a threaded web
    server's children come from it). Runs in the background; a failure only costs speed."""
    if start_method() != "forkserver":
        return

    def start() -> None:
        try:
            _context()  # sets the preload
            multiprocessing.forkserver.ensure_running()
        except Exception:
            logger.exception("the readers' fork server could not be started ahead of time")

    threading.Thread(target=start, name="pep-docs fork server", daemon=True).start()


def _import_readers() -> None:
    """Import the readers here, so that a forked child has them already."""
    for module in _READERS:
        __import__(module)


def _context() -> multiprocessing.context.BaseContext:
    method = start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # Takes effect when the server first starts: it imports the readers and warms them
        # (pep_docs.extractors.warmed), so that each child it forks starts warm.
        context.set_forkserver_preload([*_READERS, "pep_docs.extractors.warmed"])
    return context


def _run_child(
    data: bytes, where: str, expect_authority: str | None, limits: Limits
) -> dict[str, Any]:
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(sender, data, where, expect_authority, limits),
        name="pep-docs reader",
        daemon=True,
    )
    child.start()
    sender.close()
    payload = None
    outcome = "running"
    try:
        if receiver.poll(limits.parse_timeout):
            outcome = "ended"
            try:
                payload = receiver.recv_bytes()
            except (EOFError, OSError):
                pass  # the child died before answering: its exit status says why
        else:
            outcome = "timed out"
    finally:
        if outcome == "ended":
            child.join(1)  # it is exiting: let it, so that its own exit status is read
        if child.is_alive():  # timed out, or the caller was interrupted (job timeout, Ctrl-C)
            child.kill()
        child.join()
        receiver.close()
    if outcome == "timed out":
        return {"limit": "time"}
    if payload is not None:
        return json.loads(payload)
    return _from_exit(child.exitcode)


def _from_exit(status: int | None) -> dict[str, Any]:
    """The answer a child gave by dying: a limit, a signal or an exit status."""
    if status == _EXIT_MEMORY:
        return {"limit": "memory"}
    if status is not None and status < 0:
        if -status == signal.SIGXCPU:
            return {"limit": "time"}
        return {"signal": signal.Signals(-status).name}
    return {"failed": f"exit status {status}"}


def _from_answer(answer: dict[str, Any], where: str, limits: Limits) -> Extraction:
    if "ok" in answer:
        found = answer["ok"]
        return Extraction(
            data=found["data"],
            form=found["form"],
            fields=found["fields"],
            warnings=[Warning_(**w) for w in found["warnings"]],
            unmapped=[Unmapped(**u) for u in found["unmapped"]],
            source=found["source"],
        )
    if "error" in answer:
        cls = getattr(errors, answer["error"], None)
        if not (isinstance(cls, type) and issubclass(cls, PepDocsError)):
            cls = FormReadError
        raise cls(
            answer["message"],
            pointer=answer.get("pointer"),
            label=answer.get("label"),
            where=answer.get("where"),
            hint=answer.get("hint"),
        )
    if answer.get("limit") == "time":
        raise UnsafeInputError(
            f"the file took longer than {limits.parse_timeout:g} s to read: refused",
            where=where,
            hint=f"{_SAVE_AGAIN}; PEP_DOCS_PARSE_TIMEOUT sets the limit",
        )
    if answer.get("limit") == "memory":
        raise UnsafeInputError(
            f"the file needed more than {limits.parse_memory_mb} MB to read: refused",
            where=where,
            hint=f"{_SAVE_AGAIN}; PEP_DOCS_PARSE_MEMORY_MB sets the limit",
        )
    if "signal" in answer:
        raise FormReadError(
            f"the reader crashed on this file ({answer['signal']}): refused",
            where=where,
            hint=_SAVE_AGAIN,
        )
    logger.info("reading %s failed in the sandbox: %s", where, answer.get("detail", ""))
    raise FormReadError(
        f"the file could not be read: the reader failed ({answer.get('failed')})",
        where=where,
        hint=f"{_SAVE_AGAIN}; if it fails again, enter the form by hand",
    )


# --- in the child -------------------------------------------------------------------------


def _child_main(
    sender: Connection, data: bytes, where: str, expect_authority: str | None, limits: Limits
) -> None:
    _confine(limits)
    try:
        extraction = extract(data, where=where, expect_authority=expect_authority, limits=limits)
        answer: dict[str, Any] = {"ok": extraction.to_dict()}
    except PepDocsError as exc:
        answer = exc.to_dict()
    except MemoryError:
        answer = {"limit": "memory"}
    except Exception as exc:  # a reader's own bug or a parser's surprise: still one answer
        answer = {"failed": type(exc).__name__, "detail": traceback.format_exc(limit=-8)}
    try:
        sender.send_bytes(json.dumps(answer).encode("ascii"))
    except MemoryError:
        os._exit(_EXIT_MEMORY)
    sender.close()


def _confine(limits: Limits) -> None:
    """Limit this (child) process before it touches the file."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(
            signum, signal.SIG_DFL
        )  # a caller's handlers (RQ's, the server's) are not ours
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write then fails with an error, not a kill
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    os.close(quiet)
    cpu = math.ceil(limits.parse_timeout) + 1
    _lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    _lower(resource.RLIMIT_AS, _address_space() + limits.parse_memory_mb * _MB)
    _lower(resource.RLIMIT_FSIZE, 0)
    _lower(resource.RLIMIT_CORE, 0)


def _address_space() -> int:
    """This process's virtual size now, in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _lower(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit no higher than it already is (an unprivileged process cannot raise it)."""
    _, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    resource.setrlimit(which, (min(soft, hard), hard))
