"""The price of the sandbox: reading returned forms in a child process against reading in-process.

Naive (the baseline): `extract()` in this process, with its caches warm. Sandboxed:
`extract_untrusted()`, a fresh child per file, started by fork (a single-threaded caller: the
CLI, an RQ work-horse) or by the fork server (a threaded caller: a web server). "Parent cold"
is a parent that never read a form of that authority and phase itself, so every child redoes
the readers' first-use work (a Word form's blank layout); `warm()` in the parent removes it.

Run: `.venv/bin/python -m benchmarks.bench_sandbox [--rounds N]`.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

from benchmarks import fixture_specs
from pep_docs.errors import FormReadError
from pep_docs.extractors import extract
from pep_docs.extractors.sandbox import extract_untrusted, start_method
from pep_docs.render import render


def _ms(read: Callable[[bytes], object], files: list[bytes], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        for data in files:
            start = time.perf_counter()
            try:
                read(data)
            except FormReadError:
                pass
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _threaded(read: Callable[[bytes], object]) -> Callable[[bytes], object]:
    """The same call made while another thread is alive (so the fork server is used)."""

    def call(data: bytes) -> object:
        stop = threading.Event()
        other = threading.Thread(target=stop.wait)
        other.start()
        try:
            assert start_method() == "forkserver"
            return read(data)
        finally:
            stop.set()
            other.join()

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sandboxed = lambda data: extract_untrusted(data, where="bench")  # noqa: E731
    refused = [b"not a form at all"]
    bare = _ms(lambda data: extract(data, where="bench"), refused, args.rounds * 5)
    fork = _ms(sandboxed, refused, args.rounds * 5)
    served = _ms(_threaded(sandboxed), refused, args.rounds * 5)
    print(f"the bare cost of a child (a file refused at once): in-process {bare:.1f} ms, "
          f"fork {fork:.1f} ms, fork server {served:.1f} ms")  # fmt: skip
    specs = [s for s in fixture_specs() if s.identity.authority == "stockton-on-tees"][:3]
    for fmt in ("docx", "pdf"):
        files = [render(spec, fmt) for spec in specs]
        cold = _ms(sandboxed, files, 1) if fmt == "docx" else None
        naive = _ms(lambda data: extract(data, where="bench"), files, args.rounds)
        forked = _ms(sandboxed, files, args.rounds)
        served = _ms(_threaded(sandboxed), files, args.rounds)
        print(f"{fmt}: in-process {naive:.0f} ms per form (the baseline)")
        print(f"{fmt}: sandboxed, fork, parent warm {forked:.0f} ms ({forked / naive:.2f}x, "
              f"+{forked - naive:.0f} ms)")  # fmt: skip
        print(f"{fmt}: sandboxed, fork server {served:.0f} ms ({served / naive:.2f}x, "
              f"+{served - naive:.0f} ms)")  # fmt: skip
        if cold is not None:
            print(f"{fmt}: sandboxed, fork, parent cold {cold:.0f} ms ({cold / naive:.2f}x)")


if __name__ == "__main__":
    main()
