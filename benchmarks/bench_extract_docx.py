"""Reading returned Word forms: pep-docs against the naive python-docx reader, per path, one run.

The files: every fixture PEP, with two more records than the form prints in each table a school
completes, sent as its prepopulated part and filled in as a school does (`tests/school_fill.py`);
then path 1, as filled in Word; path 2, that file opened and saved by a real LibreOffice; path 3,
stripped of its content controls (copy/paste, a Google Docs export), and that stripped file
saved by LibreOffice.

Naive (the baseline): python-docx opens the file and walks every table cell's text (all tables,
also those inside the form's group control). It only finds text; pep-docs also finds which field
each value is, types it and checks the file's safety. pep-docs: `extract(bytes)` in this process
with its caches warm (each authority's and phase's blank form is learned once, on first use).

Then 1,000 returns (the files above, round robin over the paths) read by `extract()` in this
process, one after another (`--sandboxed`: by `extract_untrusted`, a child process per file;
`--workers N`: shared among N processes forked from the warm benchmark process).

Run: `.venv/bin/python -m benchmarks.bench_extract_docx [--rounds N] [--no-libreoffice]
[--sandboxed] [--workers N]`.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.table import Table

from benchmarks import PEPS, side_by_side
from pep_docs.extractors import extract


def naive_read(data: bytes) -> list[str]:
    """python-docx: open the file, every table cell's text."""
    document = docx.Document(io.BytesIO(data))
    return [
        cell.text
        for tbl in document.element.body.iter(qn("w:tbl"))
        for row in Table(tbl, document).rows
        for cell in row.cells
    ]


def returned_files(libreoffice: bool) -> dict[str, list[bytes]]:
    import json

    from tests.school_fill import libreoffice as convert
    from tests.school_fill import school_form, strip_controls, with_added_rows

    paths = sorted(p for p in PEPS.glob("*.json") if not p.name.endswith(".expected.json"))
    files: dict[str, list[bytes]] = {"1 Word": [], "3 stripped": []}
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        root = Path(tmp)
        for kind in ("filled", "stripped"):
            (root / kind).mkdir()
        for path in paths:
            filled, _ = school_form(with_added_rows(json.loads(path.read_text("utf-8"))))
            stripped = strip_controls(filled)
            (root / "filled" / f"{path.stem}.docx").write_bytes(filled)
            (root / "stripped" / f"{path.stem}.docx").write_bytes(stripped)
            files["1 Word"].append(filled)
            files["3 stripped"].append(stripped)
        if libreoffice:
            profile = root / "lo-profile"
            for label, kind in (
                ("2 LibreOffice", "filled"),
                ("3 stripped, LibreOffice", "stripped"),
            ):
                made = convert(
                    sorted((root / kind).iterdir()), root / f"lo-{kind}", "docx", profile
                )
                files[label] = [p.read_bytes() for p in made]
    return dict(sorted(files.items()))


def _count_fields(data: bytes) -> int:
    return len(extract(data).fields)


def _count_sandboxed(data: bytes) -> int:
    from pep_docs.extractors.sandbox import extract_untrusted

    return len(extract_untrusted(data, where="bench").fields)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timed rounds, naive and pep-docs in turn (median is shown)",
    )
    parser.add_argument("--no-libreoffice", action="store_true", help="leave out paths 2 and 3b")
    parser.add_argument("--sandboxed", action="store_true", help="1,000 returns in the sandbox")
    parser.add_argument("--many", type=int, default=1000, help="returns in the bulk run")
    parser.add_argument("--workers", type=int, default=1, help="processes in the bulk run")
    args = parser.parse_args()

    files = returned_files(not args.no_libreoffice)
    start = time.perf_counter()
    for data in (f for group in files.values() for f in group):
        extract(data)  # first use: each (authority, phase) blank form learned once
    first_s = time.perf_counter() - start

    n = len(next(iter(files.values())))
    print(f"Returned Word forms: {n} fixture PEPs per path, filled as a school does")
    print(f"  {'path':28} {'naive':>9} {'pep-docs':>9}  ratio")
    for label, group in files.items():
        times = side_by_side({"naive": naive_read, "ours": extract}, group, args.rounds)
        naive, ours = times["naive"], times["ours"]
        print(f"  {label:28} {naive:6.1f} ms {ours:6.1f} ms  x{naive / ours:.1f}")
    print(f"  first use (all blank forms learned, all files read once): {first_s:.1f} s")

    pool = [f for group in zip(*files.values(), strict=True) for f in group]
    many = [pool[i % len(pool)] for i in range(args.many)]
    read = extract
    how = "extract() in-process"
    if args.sandboxed:
        from pep_docs.extractors.sandbox import extract_untrusted, warm

        warm()
        read, how = (lambda data: extract_untrusted(data, where="bench")), "extract_untrusted()"
    start = time.perf_counter()
    if args.workers > 1:  # forked from this warm process, as RQ work-horses are
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            pool.map(_count_fields if read is extract else _count_sandboxed, many, chunksize=20)
        how += f", {args.workers} worker processes"
    else:
        for data in many:
            read(data)
    elapsed = time.perf_counter() - start
    print(
        f"  {len(many)} returns, all paths round robin, {how}: {elapsed:.1f} s "
        f"({1000 * elapsed / len(many):.1f} ms each)"
    )


if __name__ == "__main__":
    main()
