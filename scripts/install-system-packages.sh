#!/usr/bin/env bash
# Installs the Debian 12 packages pep-docs runs and tests against, when any is missing.
# LibreOffice opens and converts Word forms; poppler and qpdf check PDFs; fonts cover
# non-Latin-1 names (Łukasz, Nguyễn, Ștefan); redis-server, PostgreSQL and Chromium run the
# service tests (Debian keeps PostgreSQL's initdb and postgres in /usr/lib/postgresql/<N>/bin).
set -euo pipefail
need=()
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v qpdf >/dev/null || need+=(qpdf)
command -v redis-server >/dev/null || need+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation2 ] || need+=(fonts-liberation2)
command -v python3 >/dev/null || need+=(python3 python3-venv)
if ((${#need[@]} == 0)); then exit 0; fi
echo "Installing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
