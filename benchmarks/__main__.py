"""`make bench`: every benchmark, each comparing pep-docs with the naive way in the same run."""

import sys

from benchmarks import (
    bench_docx,
    bench_extract_docx,
    bench_extract_pdf,
    bench_pack,
    bench_pdf,
    bench_returns_list,
    bench_sandbox,
)

for bench in (bench_docx, bench_pdf, bench_pack, bench_extract_docx, bench_extract_pdf,
              bench_sandbox, bench_returns_list):  # fmt: skip
    sys.argv = [bench.__name__]
    print(f"\n== {bench.__name__}")
    bench.main()
