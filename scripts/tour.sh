#!/usr/bin/env bash
# `make tour`: every command-line step once, with synthetic data only. Everything it writes
# goes to out/demo/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
out=out/demo
mkdir -p "$out"
fixture=fixtures/peps/cb-weak-late-return.json

echo "== Authority profiles"
"$bin/pep-docs" authorities
echo
echo "== Validating the synthetic fixture PEPs"
find fixtures/peps -maxdepth 1 -name "*.json" ! -name "*.expected.json" -print0 | sort -z |
  xargs -0 "$bin/pep-docs" schema validate | tail -n 1
echo
echo "== Generating prepopulated Word and PDF forms, and a blank one"
"$bin/pep-docs" render --data "$fixture" -o "$out/pep.docx"
"$bin/pep-docs" render --data "$fixture" -o "$out/pep.pdf"
"$bin/pep-docs" render --authority peterborough --phase post_16 --term 2026-autumn -o "$out/blank-peterborough-post-16.pdf"
echo
echo "== Reading the returned forms back"
"$bin/pep-docs" extract "$out/pep.docx" -o "$out/pep.docx.json"
"$bin/pep-docs" extract "$out/pep.pdf" -o "$out/pep.pdf.json"
echo
echo "== Checking the returned Word form against Central Bedfordshire's criteria"
"$bin/pep-docs" check "$out/pep.docx" | head -n 6
"$bin/pep-docs" check "$out/pep.docx" --format html -o "$out/check.html"
echo
echo "== The cohort report of every fixture"
find fixtures/peps -maxdepth 1 -name "*.json" ! -name "*.expected.json" -print0 | sort -z |
  xargs -0 "$bin/pep-docs" report -o "$out/cohort.html"
find fixtures/peps -maxdepth 1 -name "*.json" ! -name "*.expected.json" -print0 | sort -z |
  xargs -0 "$bin/pep-docs" report -o "$out/cohort.xlsx"
echo
echo "Done. Open the files in $out/"
ls -1 "$out"
