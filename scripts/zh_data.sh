#!/usr/bin/env bash
# Debian packages for Chinese and PDF sources (issue #17), idempotent:
#   fonts-noto-cjk  Chinese glyphs for the chat page and for Chromium-printed test PDFs
#   (the Chinese corpus itself, debian-handbook and manpages-zh, is fetched with `apt-get
#   download` by bench/zh_corpus.py, not installed)
# Python side (pyproject): pdfminer.six (ingest/pdf.py).
set -euo pipefail
need=()
for pkg in fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
