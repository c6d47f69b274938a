#!/usr/bin/env bash
# `make run`: the service on this machine with a demo account, jobs run inside the web process
# (no Redis needed). Synthetic data only; everything goes to var/demo/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
export PEP_DOCS_DATA_DIR="${PEP_DOCS_DATA_DIR:-var/demo}"
port="${PORT:-8000}"
email=demo@example.invalid
mkdir -p "$PEP_DOCS_DATA_DIR/samples"
chmod 700 "$PEP_DOCS_DATA_DIR"
secret="$PEP_DOCS_DATA_DIR/demo-password"
if [ ! -s "$secret" ]; then
  (umask 077 && "$bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))' >"$secret")
  password="$(cat "$secret")"
  printf '%s\n%s\n' "$password" "$password" |
    "$bin/pep-docs" users add "$email" --authority central-bedfordshire
fi
# Returned forms to try uploading: synthetic children, filled in as a school would.
for name in cb-weak-vague-targets cb-school-age-hard-name cb-post-16; do
  for fmt in docx pdf; do
    out="$PEP_DOCS_DATA_DIR/samples/$name.$fmt"
    [ -s "$out" ] || "$bin/pep-docs" render --data "fixtures/peps/$name.json" -o "$out" >/dev/null
  done
done
cat <<MSG

  pep-docs is starting.
  Open   http://localhost:$port/
  Sign in as $email with the password $(cat "$secret")
  Returned forms to upload are in $PEP_DOCS_DATA_DIR/samples/; a cohort for a term pack is
  fixtures/cohort.csv (term 2026-autumn). Stop with Ctrl+C.

MSG
exec "$bin/pep-docs" serve --port "$port"
