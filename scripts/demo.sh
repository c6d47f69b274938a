#!/usr/bin/env bash
# `make run`: the main job on a fresh machine, with synthetic data only.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
out=out/demo
mkdir -p "$out"
echo "== Authority profiles"
"$bin/pep-docs" authorities
echo
echo "== Validating the synthetic fixture PEPs"
find fixtures/peps -maxdepth 1 -name "*.json" ! -name "*.expected.json" -print0 | sort -z |
  xargs -0 "$bin/pep-docs" schema validate | tail -n 2
echo
echo "== A deliberately invalid PEP, in the words of the form"
"$bin/pep-docs" schema validate fixtures/peps/invalid/invalid-values.json || true
