"""The list of returned forms: the page's queries against loading every return whole, one run.

An authority's list shows its returns 100 at a time, newest first, and reloads itself every few
seconds while returns are being read. Each row shows how many warnings and pieces of unread text
its return has, and the list says how many of all the returns are to be checked by hand (not
read, or read with warnings or unread text), so every return's counts are needed. Naive (the
baseline): load every row whole, each with its stored extraction (tens of kilobytes of JSON),
count in Python, and take the newest 100. pep-docs: the page's own queries
(`pep_docs.web.listing.returns_page`), which leave the extractions in the database and have it
count (`json_array_length`). Both on the same SQLite database, filled with one real extraction
of a fixture return 1,000 times (`--returns`).

Run: `.venv/bin/python -m benchmarks.bench_returns_list [--returns N] [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from sqlalchemy import select

from pep_docs.db import DONE, Return, User, session_scope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from pep_docs.extractors import extract
    from pep_docs.web import create_app
    from pep_docs.web.auth import create_user
    from pep_docs.web.listing import PAGE_SIZE, ReturnFilter, returns_page
    from tests.conftest import fixture_peps, load
    from tests.school_fill import school_form

    extraction = extract(school_form(load(fixture_peps()[0]))[0]).to_dict()
    with tempfile.TemporaryDirectory(prefix="bench-list-") as tmp:
        app = create_app({"DATA_DIR": tmp}, start_jobs=False)
        url = app.config["PEP_DOCS"].database_url
        with session_scope(url) as db:
            create_user(db, "officer@bf.example.invalid", "not used here", "bracknell-forest")
        with session_scope(url) as db:
            user = db.scalar(select(User.id))
            for n in range(args.returns):
                db.add(Return(authority="bracknell-forest", uploaded_by=user, size=1,
                              original_name=f"return {n}.docx", stored_name=f"s{n}",
                              sha256=f"{n:064d}", kind="docx", status=DONE,
                              extraction=extraction, child_name="A Child"))  # fmt: skip

        def naive() -> tuple[list[tuple[int, int]], int]:
            with session_scope(url) as db:
                rows = db.scalars(
                    select(Return).where(Return.authority == "bracknell-forest")
                    .order_by(Return.uploaded.desc(), Return.id)
                ).all()  # fmt: skip
                counted = [
                    (len(r.extraction["warnings"]), len(r.extraction["unmapped"])) for r in rows
                ]
                return counted[:PAGE_SIZE], sum(w > 0 or u > 0 for w, u in counted)

        def ours() -> tuple[list[tuple[int, int]], int]:
            with session_scope(url) as db:
                page = returns_page(db, "bracknell-forest", ReturnFilter())
                return [(w, u) for _, w, u, _ in page.rows], page.counts["to-check"]

        assert naive() == ours(), "both ways count the same"
        times = {}
        for name, way in (("naive", naive), ("pep-docs", ours)):
            start = time.perf_counter()
            for _ in range(args.rounds):
                way()
            times[name] = (time.perf_counter() - start) * 1000 / args.rounds
    size = len(json.dumps(extraction)) // 1024
    print(f"The list of returns: {args.returns} returns, each extraction {size} KB of JSON")
    print(f"  naive: load every row whole, count in Python   {times['naive']:8.1f} ms")
    print(f"  pep-docs: the page's queries, counted by SQLite {times['pep-docs']:8.1f} ms"
          f"  {times['naive'] / times['pep-docs']:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
