"""Term packs: `pep-docs pack` against the naive routes, on one synthetic cohort, in one run.

One cohort CSV is made with `pep_docs.synthetic.write_cohort` (one authority, the three phases
mixed as in a real Virtual School); every smaller cohort below is the first rows of it.

- pep-docs: the real command, `python -m pep_docs pack COHORT -o pack.zip` (.docx and .pdf per
  child), run as a child process and timed from outside: start-up, reading and validating the
  cohort, compiling the templates, rendering, zipping and the manifest are all in the figure.
  Once on one process (`--workers 1`, the per-child cost compared with the naive loops) and
  once on every core (the wall time a user waits).
- naive (a): for each child, `prepare` (validation) and a new `DocxTemplate` on the same
  expanded template, render, save (`pep_docs.render.docx.naive_render`).
- naive (b): for each child, the same layout drawn on a fresh reportlab canvas with reportlab's
  form fields (`benchmarks.bench_pdf.naive_render`).
- LibreOffice route: naive (a) plus `soffice --headless --convert-to pdf` on that .docx, one
  call per child (how document-assembly tools commonly make the PDF), with its own profile
  (`-env:UserInstallation`); the first call, which creates the profile, is not timed.
- Peak memory: the largest resident set of the command's processes (`ru_maxrss` of
  `RUSAGE_CHILDREN`, taken by a small interpreter that runs the command: it covers the command
  and the workers it waited for, not this benchmark's own memory). Compared for a small and a
  large cohort on one process (`--workers 1`), where the plan, every chunk and the assembling
  of the zip share one process, so anything that grew with the cohort would show; streaming
  keeps the ratio near 1. The all-cores run's peak is shown beside it.

- Extraction (issue 9 asks for its throughput per path): `pep_docs.extractors.extract` in this
  process on the first `--extract-sample` .docx and .pdf of the pack, as made (a return nobody
  edited); the time for 1,000 .docx on every core is projected from that rate, not measured.

The naive loops run in this process on the first `--sample` children (they are slow and
steady); they are given the reading of the cohort for free.

Run: `.venv/bin/python -m benchmarks.bench_pack [--children N] [--sample N] [--lo-sample N]
[--memory SMALL,LARGE] [--workers N] [--short]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pep_docs.cohort import read_cohort
from pep_docs.forms import prepare
from pep_docs.render import docx as docx_engine
from pep_docs.synthetic import write_cohort

AUTHORITY = "central-bedfordshire"
TERM = "2026-autumn"
GENERATED_AT = "2026-09-01T09:00:00+00:00"
SHORT = {"children": 16, "sample": 2, "lo_sample": 1, "memory": (8, 24)}
TARGETS = {"naive": 10.0, "libreoffice": 50.0, "wall_s": 30.0, "memory": 1.2, "extract_s": 15.0}


@dataclass(frozen=True)
class Run:
    """One `pep-docs pack` child process: how long it took and its largest process."""

    seconds: float
    cpu_seconds: float  # user + system, of the command and the workers it waited for
    max_rss_mb: float
    children: int


def _head(cohort: Path, rows: int, out: Path) -> Path:
    """The first `rows` children of a cohort CSV (a cohort ends at a line break: no cell of
    the synthetic cohort holds one)."""
    with cohort.open(encoding="utf-8", newline="") as src, out.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    return out


# Runs the command and reports on it from a small, fresh interpreter: a child's peak resident
# set counts the memory of the process it was forked from, so forking the command straight from
# this (large) benchmark process would report this process's size, not the command's.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"status": done.returncode, "error": done.stderr.decode()[-2000:],
                  "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "max_rss_kb": usage.ru_maxrss}))
"""


def run_pack(cohort: Path, out: Path, children: int, workers: int | None) -> Run:
    """`python -m pep_docs pack` in a child process: wall and CPU time, peak memory (the
    largest resident set of the command or any worker it waited for)."""
    command = [sys.executable, "-m", "pep_docs", "pack", str(cohort), "--authority", AUTHORITY,
               "--term", TERM, "-o", str(out)]  # fmt: skip
    if workers:
        command += ["--workers", str(workers)]
    measured = subprocess.run(
        [sys.executable, "-I", "-c", _MEASURE, *command], capture_output=True, text=True
    )
    if measured.returncode != 0:
        raise SystemExit(f"measuring pep-docs pack failed: {measured.stderr}")
    report = json.loads(measured.stdout)
    if report["status"] != 0:
        raise SystemExit(f"pep-docs pack failed ({report['status']}): {report['error']}")
    # ru_maxrss is in KiB on Linux.
    return Run(report["seconds"], report["cpu"], report["max_rss_kb"] / 1024, children)


def naive_loops(cohort: Path, sample: int, keep: Path) -> tuple[float, float, float, list[Path]]:
    """ms per child of prepare, the naive docxtpl loop and the fresh canvas; the .docx kept."""
    from benchmarks.bench_pdf import naive_render as naive_pdf

    rows = [r for r, _ in zip(read_cohort(cohort, authority=AUTHORITY, term=TERM), range(sample), strict=False)]  # fmt: skip
    specs, made = [], []
    start = time.perf_counter()
    for i, row in enumerate(rows):
        specs.append(prepare(data=row.data, form_id=f"00000000-0000-4000-8000-{i:012d}",
                             generated_at=GENERATED_AT))  # fmt: skip
    prepare_ms = 1000 * (time.perf_counter() - start) / len(rows)
    # The expanded template and the fonts, outside the timing: the naive route has them too.
    renderers = {s.phase: docx_engine.renderer_for(s.profile, s.phase) for s in specs}
    naive_pdf(specs[0])
    start = time.perf_counter()
    for spec in specs:
        made.append(docx_engine.naive_render(renderers[spec.phase], spec))
    docx_ms = prepare_ms + 1000 * (time.perf_counter() - start) / len(specs)
    start = time.perf_counter()
    for spec in specs:
        naive_pdf(spec)
    pdf_ms = prepare_ms + 1000 * (time.perf_counter() - start) / len(specs)
    paths = []
    for i, content in enumerate(made):
        paths.append(keep / f"child-{i:03d}.docx")
        paths[-1].write_bytes(content)
    return prepare_ms, docx_ms, pdf_ms, paths


def libreoffice_ms(docs: list[Path], work: Path) -> float | None:
    """Mean ms of one `soffice --convert-to pdf` call per .docx; None without LibreOffice."""
    soffice = shutil.which("soffice")
    if soffice is None or not docs:
        return None
    profile = (work / "lo-profile").as_uri()
    out = work / "lo-out"

    def convert(doc: Path) -> None:
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(out), str(doc)],
            check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not (out / f"{doc.stem}.pdf").is_file():
            raise SystemExit(f"LibreOffice made no PDF of {doc.name}")

    convert(docs[0])  # creates the profile: not a per-child cost
    times = []
    for doc in docs:
        start = time.perf_counter()
        convert(doc)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.mean(times)


def extraction_ms(pack: Path, sample: int, work: Path) -> dict[str, float]:
    """ms per form of `extract` on the first `sample` forms of each format in the pack."""
    from pep_docs.extractors import extract

    out: dict[str, float] = {}
    folder = work / "returns"
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(pack) as zf:
        for fmt in ("docx", "pdf"):
            names = [n for n in zf.namelist() if n.endswith(f".{fmt}")][:sample]
            paths = []
            for i, name in enumerate(names):
                paths.append(folder / f"{i:04d}.{fmt}")
                paths[-1].write_bytes(zf.read(name))
            if not paths:
                continue
            extract(paths[0])  # the readers' caches, as in a long-lived worker
            start = time.perf_counter()
            for path in paths:
                extract(path)
            out[fmt] = 1000 * (time.perf_counter() - start) / len(paths)
    return out


def _ratio(slow: float | None, fast: float) -> str:
    return f"{slow / fast:6.1f}x" if slow else "     -"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000,
                        help="children of the cohort packed on one process and on every core")  # fmt: skip
    parser.add_argument("--sample", type=int, default=10,
                        help="children the naive loops make (first rows of the cohort)")  # fmt: skip
    parser.add_argument("--lo-sample", type=int, default=5,
                        help="children LibreOffice converts (0: skip)")  # fmt: skip
    parser.add_argument("--extract-sample", type=int, default=20,
                        help="forms of each format read back with extract (0: skip)")  # fmt: skip
    parser.add_argument("--memory", default="100,5000",
                        help="the two cohort sizes whose peak memory is compared")  # fmt: skip
    parser.add_argument("--workers", type=int, default=None,
                        help="processes of the all-cores runs (default: every CPU)")  # fmt: skip
    parser.add_argument("--short", action="store_true",
                        help="tiny sizes, for the tests: the table, not the figures")  # fmt: skip
    args = parser.parse_args(argv)
    small, large = (int(n) for n in args.memory.split(","))
    children, sample, lo_sample = args.children, args.sample, args.lo_sample
    extract_sample = args.extract_sample
    if args.short:
        children, sample, lo_sample = SHORT["children"], SHORT["sample"], SHORT["lo_sample"]
        extract_sample = SHORT["sample"]
        small, large = SHORT["memory"]
    sample = max(1, min(sample, children))
    lo_sample = min(lo_sample, sample)
    cpus = len(os.sched_getaffinity(0))
    workers = args.workers or cpus

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="pep-docs-bench-pack-") as tmp:
        work = Path(tmp)
        full = work / "cohort.csv"
        write_cohort(full, max(children, large), authority=AUTHORITY)
        cohort = _head(full, children, work / f"cohort-{children}.csv")
        pack = work / "pack.zip"

        one = run_pack(cohort, pack, children, workers=1)
        every = run_pack(cohort, pack, children, workers=workers)
        prepare_ms, docx_ms, pdf_ms, docs = naive_loops(cohort, sample, work)
        lo_ms = libreoffice_ms(docs[:lo_sample], work)
        read_ms = extraction_ms(pack, extract_sample, work) if extract_sample else {}
        mem_small = run_pack(_head(full, small, work / "small.csv"), pack, small, workers=1)
        mem_large = run_pack(_head(full, large, work / "large.csv"), pack, large, workers=1)

    engine_ms = 1000 * one.seconds / one.children
    naive_ms = docx_ms + pdf_ms - prepare_ms  # one validation per child, as the engine does
    lo_route_ms = docx_ms + lo_ms if lo_ms is not None else None
    memory_ratio = mem_large.max_rss_mb / mem_small.max_rss_mb
    wall_target_s = TARGETS["wall_s"] * children / 1000

    def verdict(target: str, ok: bool) -> str:
        # A short run's figures are mostly start-up: no verdict on them.
        return "" if args.short else f"  target {target}: {'met' if ok else 'NOT met'}"

    print(f"Term pack: synthetic cohort of {children} children ({AUTHORITY}, 3 phases), "
          f"{cpus} CPUs; naive loops on the first {sample}, LibreOffice on {lo_sample or 'none'}"
          + (" (short run: the figures mean nothing)" if args.short else ""))  # fmt: skip
    print(f"  {'route (.docx and .pdf per child unless said)':58} {'ms/child':>9}  pep-docs faster")  # fmt: skip
    print(f"  {'pep-docs pack, one process (whole command)':58} {engine_ms:9.1f}"
          f"  (CPU {1000 * one.cpu_seconds / children:.1f} ms/child)")  # fmt: skip
    print(f"  {'naive (a): new DocxTemplate per child (.docx only)':58} {docx_ms:9.1f}  {_ratio(docx_ms, engine_ms)}")  # fmt: skip
    print(f"  {'naive (b): fresh reportlab canvas per child (.pdf only)':58} {pdf_ms:9.1f}  {_ratio(pdf_ms, engine_ms)}")  # fmt: skip
    print(f"  {'naive (a) + (b): both forms':58} {naive_ms:9.1f}  {_ratio(naive_ms, engine_ms)}"
          + verdict(f">= {TARGETS['naive']:.0f}x", naive_ms / engine_ms >= TARGETS["naive"]))  # fmt: skip
    if lo_ms is not None and lo_route_ms is not None:
        print(f"  {'(c) soffice --convert-to pdf alone, per .docx':58} {lo_ms:9.1f}  {_ratio(lo_ms, engine_ms)}")  # fmt: skip
        print(f"  {'LibreOffice route: (a) + (c)':58} {lo_route_ms:9.1f}  {_ratio(lo_route_ms, engine_ms)}"
              + verdict(f">= {TARGETS['libreoffice']:.0f}x",
                        lo_route_ms / engine_ms >= TARGETS["libreoffice"]))  # fmt: skip
    else:
        print(f"  {'LibreOffice route':58} {'skipped':>9}")
    print(f"  {children} children, both formats, {workers} processes: {every.seconds:.1f} s wall "
          f"({1000 * every.seconds / children:.1f} ms/child; CPU {every.cpu_seconds:.1f} s)"
          + verdict(f"< {wall_target_s:.0f} s", every.seconds < wall_target_s))  # fmt: skip
    if read_ms:
        projected = read_ms.get("docx", 0) / workers  # ms/form x 1000 forms = s
        print(f"  extraction, one process, forms as made (first {extract_sample} of the pack): "
              + ", ".join(f".{fmt} {ms:.1f} ms/form" for fmt, ms in read_ms.items())
              + f"; 1000 .docx at that rate on {workers} processes: about {projected:.0f} s "
              "(projected)" + verdict(f"< {TARGETS['extract_s']:.0f} s",
                                      projected < TARGETS["extract_s"]))  # fmt: skip
    print(f"  load average before the run {load[0]:.2f}, after {os.getloadavg()[0]:.2f} "
          "(other work on the machine slows the wall times; CPU times move less)")  # fmt: skip
    print(f"  peak memory, one process: {small} children {mem_small.max_rss_mb:.0f} MB, "
          f"{large} children {mem_large.max_rss_mb:.0f} MB, ratio {memory_ratio:.2f}x"
          + verdict(f"<= {TARGETS['memory']}x", memory_ratio <= TARGETS["memory"])
          + f"; {children} children on {workers} processes: largest {every.max_rss_mb:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
