#!/usr/bin/env bash
# Print the test PDFs from their HTML sources with headless Chromium (Debian's chromium, installed
# by scripts/setup.sh; Chinese glyphs need fonts-noto-cjk). The PDFs are committed, so the unit
# tests need no browser; run this again after changing an HTML file.
# Text: SQuAD v1.1 paragraphs (CC BY-SA 4.0) and the Debian Administrator's Handbook zh-CN
# (GPL-2+ or CC-BY-SA-3.0, Raphaël Hertzog and Roland Mas).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.html; do
  chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$PWD/${f%.html}.pdf" "file://$PWD/$f" 2>/dev/null
done
