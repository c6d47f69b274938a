"""The reading benchmarks still run and print every row (short runs: their figures mean nothing).

The pack benchmark's short run is in tests/test_pack.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME = r"\s+\d+\.\d+ ms"


def bench(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=True)  # fmt: skip
    return done.stdout.splitlines()


def test_the_word_reading_benchmark_prints_every_path():
    lines = bench("benchmarks.bench_extract_docx", "--rounds", "1", "--no-libreoffice",
                  "--many", "4")  # fmt: skip
    row = re.compile(rf"  (\d [a-zA-Z ,]+?){TIME}{TIME}  x\d+\.\d")
    assert [m[1].strip() for line in lines if (m := row.fullmatch(line))] == [
        "1 Word",
        "3 stripped",
    ]
    assert re.fullmatch(r"  4 returns, all paths round robin, extract\(\) in-process: "
                        r"\d+\.\d s \(\d+\.\d ms each\)", lines[-1])  # fmt: skip


def test_the_pdf_reading_benchmark_prints_every_path():
    lines = bench("benchmarks.bench_extract_pdf", "--files", "1", "--rounds", "1")
    assert [line.strip() for line in lines if line.startswith("  path")] == [
        "path 4, fillable PDF filled in a reader",
        "path 5, flattened PDF (qpdf --flatten-annotations=all)",
        "path 5, flattened PDF (pdftocairo print)",
        "path 5, flattened PDF (the Word form exported by LibreOffice)",
    ]
    naive = [line for line in lines if "naive:" in line]
    assert len(naive) == 4 and all(re.search(rf"{TIME} per document$", n) for n in naive)
    ratios = [line for line in lines if re.search(r"\d+\.\dx$", line)]
    assert len(ratios) == 7


def test_the_returns_list_benchmark_counts_the_same_both_ways():
    lines = bench("benchmarks.bench_returns_list", "--returns", "20", "--rounds", "1")
    assert re.fullmatch(
        r"The list of returns: 20 returns, each extraction \d+ KB of JSON", lines[0]
    )
    assert re.fullmatch(rf"  naive: load every row whole, count in Python {TIME}", lines[1])
    assert re.fullmatch(
        rf"  pep-docs: the page's queries, counted by SQLite {TIME}  \d+\.\dx", lines[2]
    )
