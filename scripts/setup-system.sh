#!/usr/bin/env bash
# System programs the output tests use to look at a round as a person would: LibreOffice renders
# the workbooks to PDF (poppler's pdftotext and pdftoppm read the pages), Chromium opens
# report.html, and a CJK font lets both draw the Chinese. Installs only what is missing, quietly;
# without root or apt-get it says so and the tests that need these programs are skipped.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if command -v fc-list >/dev/null 2>&1 && [[ -z "$(fc-list :lang=zh 2>/dev/null)" ]]; then
  need+=(fonts-noto-cjk)
fi
((${#need[@]})) || exit 0
sudo=()
if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "setup-system: not root: install ${need[*]} to run the rendering tests" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: no apt-get: install ${need[*]} to run the rendering tests" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
