"""Heavy noise for the benchmark corpus (`make_corpus --noise heavy`): what real exports of wikis,
intranets and doc sites are made of. Site chrome with heading-like lines and link lists on every
page, several lightly edited versions of one page, pages repeated verbatim, and off-topic pages
from a second real source: the Python reference text that ships with CPython (pydoc_data.topics).
Every article page keeps its own title heading. All choices come from seeded random.Random."""

from __future__ import annotations

import hashlib
import platform
import random
import re
from dataclasses import replace

from bench.corpus_noise import edit_text, near_duplicate
from bench.corpus_pages import VARIANTS, Block, Page, slug

# Fractions of the article pages (offtopic, junk, versioned) or of the content pages (pii, exact,
# near); exact_copies and versions are how many copies a picked page gets (inclusive ranges).
RATES = {"distractor": 0.8, "junk": 0.2, "pii": 0.10, "exact": 0.25, "exact_copies": (1, 3),
         "near": 0.10, "versioned": 0.4, "versions": (2, 4)}
SITE = "https://wikimirror.example"
EXACT_PREFIXES = ["mirror", "print", "m"]  # where verbatim copies of one page live

# --- site chrome -------------------------------------------------------------------------------

SITE_NAMES = ["WikiMirror", "Wikipedia mirror"]
NAV = ["Main page", "Contents", "Current events", "Random article", "About WikiMirror", "Contact us",
       "Donate", "Help", "Learn to edit", "Community portal", "Recent changes", "Upload file"]
TOOLS = ["What links here", "Related changes", "Special pages", "Permanent link", "Page information",
         "Cite this page", "Download as PDF", "Printable version", "Wikidata item", "Short URL"]
LANGUAGES = {"de": "Deutsch", "es": "Español", "fr": "Français", "it": "Italiano", "ja": "日本語",
             "nl": "Nederlands", "pl": "Polski", "pt": "Português", "ru": "Русский", "sv": "Svenska",
             "tr": "Türkçe", "zh": "中文", "ar": "العربية", "ko": "한국어"}
CATEGORIES = ["Articles with short description", "Short description matches Wikidata",
              "All articles with unsourced statements", "Use mdy dates", "Pages using infobox",
              "Webarchive template wayback links", "CS1 maint: archived copy as title",
              "Articles containing video clips", "Coordinates on Wikidata"]
SECTIONS = {"article": "Wiki", "distractor": "Docs", "junk": "Wiki"}


def _box(heading: str, texts: list[str]) -> Block:
    return Block("box", heading, items=tuple((t, f"{SITE}/{slug(t)}") for t in texts))


def add_chrome(pages: list[Page], rng: random.Random) -> None:
    """Give every page a site header (the site's name as a top-level heading, a "Navigation"
    link box, breadcrumbs) and a footer of link boxes: related pages (titles of other pages of
    this corpus), tools, languages, categories. The fixed lists repeat across pages; which
    items a page shows is seeded."""
    titles = [p.title for p in pages if p.role in ("article", "distractor")]
    for page in pages:
        pick = lambda items, lo, hi: rng.sample(items, min(len(items), rng.randint(lo, hi)))  # noqa: E731
        related = pick([t for t in titles if t != page.title], 4, 8)
        page.chrome_top = (Block("site", rng.choice(SITE_NAMES)), _box("Navigation", pick(NAV, 6, 10)),
                           Block("line", f"Home › {SECTIONS[page.role]} › {page.title}"))
        page.chrome_bottom = (_box("Related articles", related), _box("Tools", pick(TOOLS, 4, 8)),
                              languages(page, pick(sorted(LANGUAGES), 5, 12)),
                              _box("Categories", pick(CATEGORIES, 2, 5)))


def languages(page: Page, codes: list[str]) -> Block:
    """Interlanguage links: the language's own name, linking to the page on that language's site."""
    where = slug(page.title)
    return Block("box", "Languages", items=tuple((LANGUAGES[c], f"https://{c}.wikimirror.example/wiki/{where}")
                                                 for c in codes))


# --- off-topic pages: the Python reference text shipped with CPython ----------------------------

def topic_paragraphs(text: str, min_words: int = 12) -> tuple[str, list[str]]:
    """(title, prose paragraphs) of one pydoc_data topic: its first line is the title; blocks
    separated by blank lines, minus indented code/grammar blocks and underlined headings."""
    title, *_ = text.strip().splitlines()
    paras = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip("\n").splitlines()
        if not lines or lines[0].startswith(" ") or (len(lines) > 1 and re.fullmatch(r"[*=\-~^]+", lines[1].strip())):
            continue
        para = " ".join(" ".join(lines).split())
        if len(para.split()) >= min_words:
            paras.append(para)
    return title.strip(), paras


def offtopic_source() -> dict:
    """What the off-topic text is, for noise.json and the README: it varies with the Python build."""
    from pydoc_data.topics import topics

    blob = "".join(f"{k}\0{topics[k]}\0" for k in sorted(topics)).encode("utf-8")
    return {"module": "pydoc_data.topics", "python": platform.python_version(), "topics": len(topics),
            "sha256": hashlib.sha256(blob).hexdigest()}


def offtopic_pages(n: int, rng: random.Random, progress=None) -> list[Page]:
    """n off-topic pages, each a seeded run of 3-8 consecutive prose paragraphs of one
    seeded-chosen pydoc_data topic that has at least 3 of them."""
    from pydoc_data.topics import topics

    keys = sorted(topics)
    rng.shuffle(keys)
    pages, used = [], set()
    for key in keys:
        if len(pages) == n:
            break
        title, paras = topic_paragraphs(topics[key])
        if len(paras) < 3 or slug(title) in used:
            continue
        size = rng.randint(3, min(8, len(paras)))
        start = rng.randint(0, len(paras) - size)
        used.add(slug(title))
        pages.append(Page(f"wiki/{slug(title)}/part-01", f"{title} (part 1)",
                          [Block("p", t) for t in paras[start:start + size]], "distractor", f"pydoc_data.topics:{key}"))
        if progress is not None:
            progress.update(1)
    if len(pages) < n:
        raise SystemExit(f"pydoc_data.topics: only {len(pages)} usable off-topic pages, {n} needed; "
                         "use fewer --articles")
    return pages


# --- versions: several lightly edited copies of one page ---------------------------------------

EDITORS = ["Rjwilmsi", "BattyBot", "Citation bot", "GreenC", "Monkbot", "Ira Leviton", "Dawnseeker2000"]
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def swap_sentences(text: str, protect, rng: random.Random) -> tuple[str, tuple] | None:
    """text with two adjacent sentences swapped, where no protected span crosses either
    sentence's bounds; and the protected strings' new spans. None if no pair qualifies."""
    bounds, pos = [], 0
    for sent in SENTENCE.split(text):
        start = text.index(sent, pos)
        bounds.append((start, start + len(sent)))
        pos = start + len(sent)
    inside = lambda s, e, a, b: a <= s and e <= b or e <= a or s >= b  # noqa: E731
    pairs = [i for i in range(len(bounds) - 1)
             if all(inside(s, e, *bounds[i]) and inside(s, e, *bounds[i + 1]) for s, e in protect)]
    if not pairs:
        return None
    i = rng.choice(pairs)
    (a, b), (c, d) = bounds[i], bounds[i + 1]
    new = text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    kept = {text[s:e] for s, e in protect}
    spans = tuple(sorted(m.span() for k in kept for m in re.finditer(re.escape(k), new)))
    return new, spans


def version_blocks(blocks: list[Block], rng: random.Random) -> tuple[list[Block], int]:
    """A light revision: two sentences reordered in one paragraph and one word changed in 1-3
    others (never inside a gold answer or PII). Returns (blocks, number of edits)."""
    blocks, edits = list(blocks), 0
    paras = [i for i, b in enumerate(blocks) if b.kind == "p" and not b.pii]
    for i in rng.sample(paras, len(paras)):
        swapped = swap_sentences(blocks[i].text, blocks[i].protect, rng)
        if swapped:
            blocks[i] = replace(blocks[i], text=swapped[0], protect=swapped[1])
            edits += 1
            break
    for i in sorted(rng.sample(paras, min(len(paras), rng.randint(1, 3)))):
        text, n = edit_text(blocks[i].text, blocks[i].protect, rng, 0.0)  # rate 0: exactly one edit
        blocks[i] = replace(blocks[i], text=text, protect=blocks[i].protect if n == 0 else ())
        edits += n
    return blocks, edits


def versions(page: Page, n: int, rng: random.Random) -> list[Page]:
    """n revisions of page under history/<page>/rev-NN, each a light revision of the page with
    an old-revision notice and a "Last edited" line; source = the page (for gold copies)."""
    flat = page.path.removeprefix("wiki/").replace("/", "-")
    out = []
    for k in range(1, n + 1):
        blocks, edits = version_blocks(page.blocks, rng)
        who, day = rng.choice(EDITORS), f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {2015 + k}"
        at = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        notice = Block("p", f"This is an old revision of this page, as edited by {who} at {at}, {day}. "
                            "It may differ significantly from the current revision.")
        stamp = Block("p", f"This page was last edited on {day}, at {at} (revision {k} of {n}).")
        out.append(page.copy(path=f"history/{flat}/rev-{k:02d}", blocks=[notice, *blocks, stamp],
                             role="near_duplicate", source=page.file, variant=rng.randrange(len(VARIANTS)),
                             meta={**page.meta, "edits": edits, "kind": "version"}))
    return out


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def make_copies(pages: list[Page], rng: random.Random) -> list[Page]:
    """Verbatim repeats (1-3 copies of a page under mirror/, print/, m/), near duplicates under
    archive/, and 2-4 versions of article pages under history/. The three sets are drawn
    independently: one page can be repeated, archived and versioned."""
    content = [p for p in pages if p.role in ("article", "distractor")]
    articles = [p for p in content if p.role == "article"]
    flat = lambda p: p.path.removeprefix("wiki/").replace("/", "-")  # noqa: E731
    pick = lambda pool, rate: rng.sample(pool, min(len(pool), max(1, round(rate * len(pool)))))  # noqa: E731
    exact = []
    for p in pick(content, RATES["exact"]):
        for prefix in EXACT_PREFIXES[:rng.randint(*RATES["exact_copies"])]:
            exact.append(p.copy(path=f"{prefix}/{flat(p)}", role="exact_duplicate", source=p.file))
    near = [near_duplicate(p, f"archive/{flat(p)}", rng) for p in pick(content, RATES["near"])]
    revised = [v for p in pick(articles, RATES["versioned"]) for v in versions(p, rng.randint(*RATES["versions"]), rng)]
    return exact + near + revised


# --- what the tokens are -----------------------------------------------------------------------

def kind(page: Page) -> str:
    return page.meta.get("kind") or {"distractor": "offtopic"}.get(page.role, page.role)


def token_shares(pages: list[Page], texts: dict[str, str]) -> tuple[dict, dict]:
    """Per kind of page: pages and tokens (whitespace words of the page as the loader reads it).
    And the composition of all tokens: the articles' own sentences ("source": gold paragraphs on
    the original article pages), the page frame (site chrome, navigation, link lists, titles,
    footers, on every page), PII, and the bodies of copies, off-topic and junk pages."""
    kinds: dict[str, dict[str, int]] = {}
    parts = dict.fromkeys(["source", "frame", "pii", "copies", "offtopic", "junk"], 0)
    for page in pages:
        total = len(texts[page.file].split())
        row = kinds.setdefault(kind(page), {"pages": 0, "tokens": 0})
        row["pages"] += 1
        row["tokens"] += total
        if page.role == "junk":
            parts["junk"] += total
            continue
        pii = sum(len(b.text.split()) for b in page.blocks if b.pii)
        body = sum(len(b.text.split()) for b in page.blocks if b.kind == "p" and not b.pii)
        parts["pii"] += pii
        parts["frame"] += total - pii - body
        parts[{"article": "source", "distractor": "offtopic"}.get(page.role, "copies")] += body
    raw = sum(parts.values())
    share = {"raw_tokens": raw, "source_tokens": parts["source"], "noise_tokens": raw - parts["source"],
             "noise_share": round((raw - parts["source"]) / raw, 4),
             "parts": {k: {"tokens": v, "share": round(v / raw, 4)} for k, v in parts.items()}}
    return dict(sorted(kinds.items())), share
