"""Word forms: the engine against the naive docxtpl loop on the same template and data, one run.

Naive: for every child, a new `DocxTemplate` on the expanded template of its authority and phase,
`render()` with the sandboxed autoescaping environment, `save()`, then the custom XML parts
swapped in (docxtpl does not render them): `pep_docs.render.docx.naive_render`.
Engine: `DocxRenderer.render`, the same template compiled once per (template, authority, phase).
Cold includes building and compiling the 12 renderers (4 authorities x 3 phases), spread over
the documents; warm is the per-child cost once compiled, which is what a term's cohort pays.
Every pair of outputs is checked to hold the same content (`content_signature`).

Run: `.venv/bin/python -m benchmarks.bench_docx [--rounds N]`.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks import fixture_specs
from pep_docs.forms import FormSpec
from pep_docs.render import docx as engine
from pep_docs.render.docx_package import content_signature


def _ms_per_doc(seconds: float, count: int) -> float:
    return 1000 * seconds / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median is shown)")
    args = parser.parse_args()

    start = time.perf_counter()
    specs = fixture_specs()
    prepare_ms = _ms_per_doc(time.perf_counter() - start, len(specs))

    start = time.perf_counter()
    renderers = {(s.profile.slug, s.phase): engine.DocxRenderer(s.profile, s.phase) for s in specs}
    compile_s = time.perf_counter() - start

    def renderer(spec: FormSpec) -> engine.DocxRenderer:
        return renderers[(spec.profile.slug, spec.phase)]

    naive_out: list[bytes] = []
    engine_out: list[bytes] = []
    naive_times, engine_times = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        naive_out = [engine.naive_render(renderer(s), s) for s in specs]
        naive_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine_out = [renderer(s).render(s) for s in specs]
        engine_times.append(time.perf_counter() - start)

    same = sum(
        content_signature(a) == content_signature(b)
        for a, b in zip(naive_out, engine_out, strict=True)
    )
    n = len(specs)
    naive_ms = _ms_per_doc(statistics.median(naive_times), n)
    warm_ms = _ms_per_doc(statistics.median(engine_times), n)
    cold_ms = warm_ms + _ms_per_doc(compile_s, n)
    size_kb = statistics.mean(len(b) for b in engine_out) / 1024
    print(f"Word forms: {n} fixture PEPs, {len(renderers)} (authority, phase) templates")
    print(f"  prepare (validation, both paths)   {prepare_ms:8.1f} ms/doc")
    print(f"  naive docxtpl loop                 {naive_ms:8.1f} ms/doc")
    print(f"  engine, cold (compile amortised)   {cold_ms:8.1f} ms/doc  x{naive_ms / cold_ms:.1f}")
    print(f"  engine, warm                       {warm_ms:8.1f} ms/doc  x{naive_ms / warm_ms:.1f}")
    print(f"  compile once per template          {1000 * compile_s / len(renderers):8.1f} ms")
    print(f"  mean size {size_kb:.0f} KB; same content as naive: {same}/{n}")
    if same != n:
        raise SystemExit("the engine and the naive loop disagree")


if __name__ == "__main__":
    main()
