"""Reading returned PDF forms: pep-docs against the naive readers on the same files, in one run.

Path 4 (a fillable form filled as a school would, `tests/school_fill_pdf.py`): naive is pypdf's
`PdfReader(...).get_fields()`; pep-docs is `read_pdf_fields` (the small object reader, then the
typed assembly). Path 5 (the same form flattened by `qpdf --flatten-annotations=all`,
printed to PDF by poppler's `pdftocairo -pdf`, and the filled Word form exported to PDF by
LibreOffice when `soffice` is installed): naive is pdfplumber's `extract_words()` on every
page; pep-docs is `read_pages` (pdfium text segments, the part that compares) and
`read_pdf` (everything, the blank form's model cached per authority and phase). The whole
`extract()` (with the safety inspection of the file, the same for every reader) is shown too.

Run: `.venv/bin/python -m benchmarks.bench_extract_pdf [--files N] [--rounds N]`.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import pdfplumber
from pypdf import PdfReader

from benchmarks import fixture_specs, ms_per_file
from pep_docs.extractors import extract
from pep_docs.extractors.pdf import read_pdf
from pep_docs.extractors.pdf_fields import read_pdf_fields
from pep_docs.extractors.pdf_page import read_pages
from pep_docs.render import render


def naive_fields(data: bytes) -> object:
    return PdfReader(io.BytesIO(data)).get_fields()


def naive_words(data: bytes) -> object:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_words() for page in pdf.pages]


def returned_files(count: int) -> dict[str, list[bytes]]:
    """Filled, qpdf-flattened and printed forms of `count` fixtures (one per authority and phase
    first)."""
    from tests.school_fill_pdf import fill_as_school

    for tool in ("qpdf", "pdftocairo"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (scripts/install-system-packages.sh)")
    specs = fixture_specs()
    seen: set[tuple[str, str]] = set()
    firsts = [s for s in specs if (k := (s.profile.slug, s.phase)) not in seen and not seen.add(k)]
    chosen = (firsts + [s for s in specs if s not in firsts])[:count]
    out: dict[str, list[bytes]] = {"filled": [], "qpdf": [], "print": [], "word": []}
    with tempfile.TemporaryDirectory() as tmp:
        soffice = shutil.which("soffice")
        if soffice:  # the filled Word forms, exported to PDF by LibreOffice in one call
            for i, spec in enumerate(chosen):
                (Path(tmp) / f"{i:03d}-w.docx").write_bytes(render(spec, "docx"))
            subprocess.run(
                [soffice, f"-env:UserInstallation=file://{tmp}/lo", "--headless", "--convert-to",
                 "pdf", "--outdir", tmp, *sorted(str(p) for p in Path(tmp).glob("*-w.docx"))],
                check=True, capture_output=True, timeout=900,
            )  # fmt: skip
            out["word"] = [p.read_bytes() for p in sorted(Path(tmp).glob("*-w.pdf"))]
        for i, spec in enumerate(chosen):
            filled = fill_as_school(render(spec, "pdf"), dict(spec.data))
            src, flat, printed = (Path(tmp) / f"{i}-{k}.pdf" for k in ("f", "q", "p"))
            src.write_bytes(filled)
            subprocess.run(["qpdf", "--flatten-annotations=all", src, flat], check=True)
            subprocess.run(["pdftocairo", "-pdf", src, printed], check=True)
            out["filled"].append(filled)
            out["qpdf"].append(flat.read_bytes())
            out["print"].append(printed.read_bytes())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=12, help="fixture PEPs (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is shown)")
    args = parser.parse_args(argv)
    files = returned_files(args.files)
    pages = statistics.mean(len(read_pages(d)) for d in files["qpdf"])
    for data in files["qpdf"] + files["print"] + files["word"]:
        read_pdf(data, "warm-up")  # the blank forms' models, once per authority and phase
    print(f"Returned PDF forms: {len(files['filled'])} fixture PEPs, {pages:.1f} pages on average")

    naive = ms_per_file(naive_fields, files["filled"], args.rounds)
    ours = ms_per_file(lambda d: read_pdf_fields(d, "bench"), files["filled"], args.rounds)
    whole = ms_per_file(extract, files["filled"], 1)
    print("  path 4, fillable PDF filled in a reader")
    print(f"    naive: pypdf get_fields           {naive:8.2f} ms per document")
    print(
        f"    pep-docs: fields read and typed    {ours:8.2f} ms per document   {naive / ours:6.1f}x"
    )
    print(f"    pep-docs: extract() with safety    {whole:8.2f} ms per document")

    kinds = (
        ("qpdf", "qpdf --flatten-annotations=all"),
        ("print", "pdftocairo print"),
        ("word", "the Word form exported by LibreOffice"),
    )
    for kind, title in kinds:
        if not files[kind]:
            continue
        naive = ms_per_file(naive_words, files[kind], 1)  # one round: it is slow and steady
        words = ms_per_file(read_pages, files[kind], args.rounds)
        reading = ms_per_file(lambda d: read_pdf(d, "bench"), files[kind], args.rounds)
        whole = ms_per_file(extract, files[kind], 1)
        print(f"  path 5, flattened PDF ({title})")
        print(f"    naive: pdfplumber extract_words   {naive:8.2f} ms per document")
        print(
            f"    pep-docs: page text                {words:8.2f} ms per document   "
            f"{naive / words:6.1f}x"
        )
        print(
            f"    pep-docs: read_pdf, all of path 5  {reading:8.2f} ms per document   "
            f"{naive / reading:6.1f}x"
        )
        print(f"    pep-docs: extract() with safety    {whole:8.2f} ms per document")


if __name__ == "__main__":
    main()
