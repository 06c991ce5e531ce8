"""PDF loading on PDFs printed by headless Chromium from real text (tests/ingest/pdfs/make.sh):
SQuAD paragraphs in two CSS columns, a text page followed by an image-only page, and two pages
of the Debian handbook in Chinese. Broken files are made here from a real one."""

import json
import re
import shutil
from pathlib import Path

from ingest.load import load
from ingest.pdf import NO_TEXT_LAYER, document_text, read_pages
from smallbatch.text import normalise

PDFS = Path(__file__).parent / "pdfs"
SQUAD = Path(__file__).parents[2] / "smallbatch" / "samples" / "squad-sample.json"


def _squad(title: str, i: int) -> str:
    data = json.loads(SQUAD.read_text())["data"]
    return next(a for a in data if a["title"] == title)["paragraphs"][i]["context"]


def _bare(text: str) -> str:
    """Text without whitespace, ligatures expanded: what a line break cannot change."""
    return re.sub(r"\s+", "", normalise(text))


def test_two_columns_come_out_column_by_column():
    pages = read_pages(PDFS / "two-column.pdf", problems := [])
    assert problems == [] and len(pages) == 1
    text = _bare(pages[0].text)
    left, right = _bare(_squad("Normans", 0)), _bare(_squad("Oxygen", 0))
    assert left in text and right in text  # each column whole, its lines in order
    assert text.index(left) < text.index(right)


def test_image_only_page_is_reported_not_empty():
    pages = read_pages(PDFS / "image-page.pdf", problems := [])
    assert [p.number for p in pages] == [1]
    assert problems == [(2, NO_TEXT_LAYER)]
    assert "Silk Road" in pages[0].text


def test_page_spans_point_into_the_document_text():
    pages = read_pages(PDFS / "handbook-zh.pdf", problems := [])
    assert problems == [] and [p.number for p in pages] == [1, 2]
    whole = document_text(pages)
    for page in pages:
        assert whole[page.span[0]:page.span[1]] == page.text
    assert pages[1].span[0] > pages[0].span[1]
    # Chromium's CJK font maps some glyphs to Kangxi radicals (⼀ U+2F00); cleaning restores them
    assert "包含一致的功能单元" in re.sub(r"\s+", "", normalise(pages[0].text))
    assert "busybox" in pages[1].text and "busybox" not in pages[0].text


def test_a_folder_with_broken_pdfs_loads_the_rest(tmp_path):
    for name in ("image-page.pdf", "handbook-zh.pdf"):
        shutil.copy(PDFS / name, tmp_path / name)
    whole = (PDFS / "two-column.pdf").read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "not-a.pdf").write_bytes(b"%PDF-1.4\nthis is a text file with a pdf name\n")
    (tmp_path / "notes.txt").write_text("Plain notes.")

    docs = list(load(tmp_path, problems := []))
    by_id = {d.id: d for d in docs}
    assert set(by_id) == {"handbook-zh.pdf#page=1", "handbook-zh.pdf#page=2",
                          "image-page.pdf#page=1", "notes.txt"}
    page2 = by_id["handbook-zh.pdf#page=2"].metadata
    assert page2["page"] == 2 and page2["source_path"] == "handbook-zh.pdf#page=2"
    assert page2["file"] == "handbook-zh.pdf" and page2["lang"] == "zh"
    assert page2["page_span"][0] > 0

    reasons: dict[str, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.path, []).append(p.reason)
    assert reasons["image-page.pdf#page=2"] == [NO_TEXT_LAYER]
    assert reasons["truncated.pdf"][0].startswith("unreadable PDF (")
    assert reasons["not-a.pdf"][0].startswith("unreadable PDF (")
    assert "handbook-zh.pdf" not in reasons
