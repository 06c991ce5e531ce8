"""Headings survive cleaning and travel with every passage: the title and trail are kept through
boilerplate stripping (a site header dressed as a heading is not), become the passage header,
and are indexed by BM25 and embedded with the text."""

from __future__ import annotations

import numpy as np

from ingest.boilerplate import StripBoilerplate
from ingest.chunk import Chunker, SectionChunker
from ingest.headers import MarkHeadings, header_text, heading, sections
from ingest.load import html_parts
from ingest.pipeline import embed
from ingest.steps import Drops
from smallbatch import snapshot
from smallbatch.bm25 import BM25S_DIR, BM25Index
from smallbatch.records import Doc
from smallbatch.text import normalise, tokenize

SITE = ("WikiMirror — the free knowledge mirror\nHome | Articles | About\n\n# WikiMirror\n\n"
        "## Navigation\n\n- [Contents](https://w.example/contents)\n- [Donate](https://w.example/"
        "donate)\n\nSupport WikiMirror — donate today.\n\n")
BODIES = ["Fresno was founded in 1872 as a railway station.",
          "The city lies in the San Joaquin Valley of central California.",
          "Fresno has a hot semi-arid climate with long dry summers."]


def pages() -> list[Doc]:
    """Three parts of one article, each also mirrored once: the title of every part repeats
    across copies and, with digits folded, across parts, like the site header does."""
    docs = []
    for n, body in enumerate(BODIES, start=1):
        for copy in ("wiki", "mirror"):
            text = f"{SITE}# Fresno, California (part {n})\n\n## History\n\n{body}\n"
            docs.append(Doc(f"{copy}/{n}", text, {"source_path": f"{copy}/{n}.md"}))
    return docs


def test_title_and_headings_survive_a_site_header_that_looks_like_a_heading():
    kept = list(StripBoilerplate().run(iter(pages()), Drops()))
    assert len(kept) == 6
    for doc in kept:
        lines = [line for line in doc.text.split("\n") if line.strip()]
        n = doc.id.split("/")[1]
        assert lines == [f"# Fresno, California (part {n})", "## History", BODIES[int(n) - 1]]


def test_a_unique_heading_is_content_even_over_nothing():
    docs = pages() + [Doc("solo", "# A page of its own\n", {"source_path": "solo.md"})]
    kept = {d.id: d for d in StripBoilerplate().run(iter(docs), Drops())}
    assert kept["solo"].text.strip() == "# A page of its own"


def test_html_headings_come_back_as_heading_lines():
    html = ("<html><head><title>Fresno (part 1) — WikiMirror</title></head><body><div>"
            "<h1>WikiMirror</h1></div><main><h1>Fresno (part 1)</h1>"
            "<h2>The <code>early</code> years</h2><p>Fresno was founded in 1872.</p></main>")
    text, headings = html_parts(html)
    assert headings == [[0, "Fresno (part 1) — WikiMirror"], [1, "WikiMirror"],
                        [1, "Fresno (part 1)"], [2, "The early years"]]
    doc = Doc("p.html", normalise(text), {"html_headings": headings})
    out = MarkHeadings().apply(doc)
    assert out.text.split("\n") == ["# WikiMirror", "# Fresno (part 1)", "## The early years",
                                    "Fresno was founded in 1872."]  # the <title> line: gone
    assert "html_headings" not in out.metadata
    no_h1 = MarkHeadings().apply(Doc("q.html", "Fresno\nIt is a city.",
                                     {"html_headings": [[0, "Fresno"]]}))
    assert no_h1.text == "# Fresno\nIt is a city."  # the <title> is the only title there is


def test_sections_carry_their_trail_and_header_leads_with_the_title():
    text = "# Guide\n\nIntro text.\n\n## Installation\n\n### Linux\n\nRun make.\n\n## Use\n\nGo."
    got = [(text[s.start:s.end].strip(), s.trail) for s in sections(text)]
    assert got == [("Intro text.", ["Guide"]), ("Run make.", ["Guide", "Installation", "Linux"]),
                   ("Go.", ["Guide", "Use"])]
    assert heading("## Use ##") == (2, "Use") and heading("#hashtag") is None
    assert header_text("Guide", ["Guide", "Use"]) == "Guide › Use"
    assert header_text("Oxygen", []) == "Oxygen"  # a SQuAD paragraph: its article title


def test_clean_passages_carry_the_header_raw_chunks_do_not():
    text = "# Guide\n\n## Linux\n\nRun make. Then run make install.\n"
    meta = {"source_id": "g.md", "source_path": "g.md", "html_headings": [[1, "x"]]}
    clean = SectionChunker(64, 8, str.split).apply(Doc("g.md", text, dict(meta)))
    assert [u.text for u in clean] == ["Run make. Then run make install."]
    assert clean[0].metadata["header"] == "Guide › Linux"
    assert clean[0].metadata["headings"] == ["Guide", "Linux"]
    raw = Chunker(64, 8, str.split).apply(Doc("g.md", text, dict(meta)))
    assert "header" not in raw[0].metadata and "html_headings" not in raw[0].metadata
    assert raw[0].text == text.strip()


def test_header_is_in_the_bm25_index_and_the_embedded_text(tmp_path):
    with_header = Doc("a", "It was founded in 1872.", {"header": "Fresno › History",
                                                      "questions": ["When was it founded?"]})
    plain = Doc("b", "Berlin is the capital.", {"questions": ["q?"]})
    assert snapshot.index_text(with_header) == ("Fresno › History\nIt was founded in 1872.\n"
                                                "When was it founded?")
    assert snapshot.index_text(plain) == "Berlin is the capital.\nq?"  # as before headers
    others = [Doc(f"o{i}", f"Other text number {i}.") for i in range(3)]
    snapshot.write_bm25(tmp_path, [with_header, plain, *others])
    index = BM25Index.load(tmp_path / BM25S_DIR)
    assert [i for i, _ in index.search(tokenize("fresno"), 5)] == ["a"]  # a word of the header

    class Recorder:
        seen: list[str] = []

        def encode(self, texts, progress=False):
            self.seen.extend(texts)
            return np.zeros((len(texts), 2), dtype=np.float32)

    from smallbatch.settings import Settings

    class Lap:
        def lap(self, name):
            pass

    rec = Recorder()
    embed([with_header, plain], rec, Settings(), Lap())
    assert rec.seen[0].startswith("Fresno › History\n") and rec.seen[1] == "Berlin is the capital.\nq?"
