"""PDF sources through the real ingest (clean profile, real embedder, Chroma on disk): PDFs
printed now by headless Chromium from real text; every unit knows its page, its span lies in
that page's text, and a broken PDF is reported with its reason while the rest is ingested."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from smallbatch.settings import Settings
from smallbatch.snapshot import read_manifest, read_units

pytestmark = pytest.mark.integration

PDFS = Path(__file__).parents[1] / "ingest" / "pdfs"


def print_pdf(html: Path, out: Path) -> Path:
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.fail("chromium is not installed: run scripts/setup.sh (Debian chromium)")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={out}", html.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="module")
def pdf_store(tmp_path_factory):
    from ingest.pipeline import ingest

    docs = tmp_path_factory.mktemp("pdf-docs")
    for name in ("handbook-zh", "two-column", "image-page"):
        print_pdf(PDFS / f"{name}.html", docs / f"{name}.pdf")
    whole = (docs / "two-column.pdf").read_bytes()
    (docs / "broken.pdf").write_bytes(whole[: len(whole) // 3])
    settings = Settings(stores=tmp_path_factory.mktemp("stores"), kb="pdf")
    return ingest(docs, "pdf", settings), docs


def test_units_carry_their_page_and_a_span_inside_it(pdf_store):
    result, _ = pdf_store
    units = read_units(result.snapshot)
    pages = {(u.metadata["file"], u.metadata["page"]) for u in units}
    assert {("handbook-zh.pdf", 1), ("handbook-zh.pdf", 2), ("two-column.pdf", 1),
            ("image-page.pdf", 1)} <= pages
    for u in units:
        assert u.metadata["source_path"] == f"{u.metadata['file']}#page={u.metadata['page']}"
    busybox = [u for u in units if "busybox" in u.text]
    assert busybox and {u.metadata["page"] for u in busybox} == {2}
    # Chinese text arrives whole: radicals restored, wrapped lines rejoined without a space
    assert any("它们包含一致的功能单元（应用程序、文档等）" in u.text for u in units)


def test_broken_pdf_and_image_page_are_reported(pdf_store):
    result, _ = pdf_store
    reasons = {}
    for p in result.problems:
        reasons.setdefault(p.path, []).append(p.reason)
    assert reasons["broken.pdf"][0].startswith("unreadable PDF (")
    assert any("no text layer" in r for r in reasons["image-page.pdf#page=2"])
    manifest = read_manifest(result.snapshot)
    assert "broken.pdf" in json.dumps(manifest.get("problems", manifest), ensure_ascii=False)
