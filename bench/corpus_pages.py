"""Pages of the benchmark corpus: what a page holds, its site boilerplate, and how it is written
as HTML or Markdown. Also the sources of pages: SQuAD articles split into parts, off-topic
paragraphs from the Python documentation, and low-quality junk."""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

# Site boilerplate: a few fixed variants, so each line repeats across many pages (what a
# repeated-line boilerplate detector looks for). Each variant: (header, footer, banner).
VARIANTS = [
    ("WikiMirror — the free knowledge mirror",
     "Copyright © 2024 WikiMirror. All rights reserved. Privacy Policy | Terms of Use", ""),
    ("WikiMirror — free knowledge for everyone",
     "Copyright © 2024 WikiMirror. All rights reserved. Privacy Policy | Terms of Use",
     "This site uses cookies to improve your experience. By continuing you accept our use of cookies."),
    ("WikiMirror — the free knowledge mirror",
     "© 2024 WikiMirror. All rights reserved. Privacy Policy | Terms of Use | Cookie Settings",
     "Support WikiMirror — donate today and keep knowledge free."),
    ("WikiMirror · the free knowledge mirror",
     "Copyright © 2024 WikiMirror. All rights reserved. Privacy Policy | Terms of Use", ""),
]
NAV_HTML = ["Home", "Articles", "About", "Contact", "Login"]
NAV_MD = "Home | Articles | About | Contact"


@dataclass(slots=True)
class Block:
    """One block. kind: "p" (a paragraph), "links" (items: (text, url)) or "table" (items: rows
    of cells); site chrome (heavy noise) adds "site" (the site's name as a top-level heading),
    "box" (a heading, text, over a link list, items) and "line" (breadcrumbs).
    protect: (start, end) spans of text that noise must not edit."""
    kind: str
    text: str = ""
    pid: str = ""  # SQuAD paragraph id "<title>/<index>" for gold paragraphs
    protect: tuple[tuple[int, int], ...] = ()
    items: tuple = ()
    pii: bool = False  # a seeded PII paragraph


@dataclass(slots=True)
class Page:
    path: str  # relative to docs/, without the extension
    title: str
    blocks: list[Block]
    role: str  # article | distractor | junk | exact_duplicate | near_duplicate
    source: str  # SQuAD title, Python docs file, junk kind, or the copied page's path
    variant: int = 0
    ext: str = ".md"
    meta: dict = field(default_factory=dict)
    chrome_top: tuple[Block, ...] = ()  # site chrome above the title (heavy noise only)
    chrome_bottom: tuple[Block, ...] = ()  # ... and below the body

    @property
    def file(self) -> str:
        return self.path + self.ext

    def copy(self, **changes) -> "Page":
        return replace(self, **{"blocks": list(self.blocks), "meta": dict(self.meta), **changes})


def slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "page"


# --- rendering ---------------------------------------------------------------------------------

def render(page: Page) -> str:
    return render_html(page) if page.ext == ".html" else render_md(page)


def _html_block(b: Block) -> str:
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    if b.kind == "p":
        return f"<p>{esc(b.text)}</p>"
    if b.kind in ("links", "box"):
        lis = "".join(f'<li><a href="{html.escape(u)}">{esc(t)}</a></li>\n' for t, u in b.items)
        if b.kind == "box":  # a <div>, not <nav>: the loader keeps it, as it does on many real sites
            return f'<div class="portal">\n<h2>{esc(b.text)}</h2>\n<ul>\n{lis}</ul>\n</div>'
        return f"<ul>\n{lis}</ul>"
    if b.kind == "site":
        return f'<div class="site-name"><h1>{esc(b.text)}</h1></div>'
    if b.kind == "line":
        return f'<div class="breadcrumbs">{esc(b.text)}</div>'
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>\n" for r in b.items)
    return f"<table>\n{rows}</table>"


def render_html(page: Page) -> str:
    header, footer, banner = VARIANTS[page.variant]
    nav = " | ".join(f'<a href="/{n.lower() if n != "Home" else ""}">{n}</a>' for n in NAV_HTML)
    for name in ("Privacy Policy", "Terms of Use", "Cookie Settings"):
        footer = footer.replace(name, f'<a href="/{slug(name)}">{name}</a>')
    title = html.escape(page.title, quote=False)
    lines = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{title} — WikiMirror</title>", "</head>", "<body>",
             f'<div class="site-title">{header}</div>', f"<nav>{nav}</nav>"]
    lines += [_html_block(b) for b in page.chrome_top]
    if banner:
        lines.append(f'<div class="notice">{banner}</div>')
    lines += ["<main>", f"<h1>{title}</h1>", *(_html_block(b) for b in page.blocks), "</main>",
              *(_html_block(b) for b in page.chrome_bottom), f"<footer>{footer}</footer>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"


def _md_block(b: Block) -> str:
    if b.kind == "p":
        return b.text
    if b.kind == "links":
        return "\n".join(f"- [{t}]({u})" for t, u in b.items)
    if b.kind == "box":
        return f"## {b.text}\n\n" + "\n".join(f"- [{t}]({u})" for t, u in b.items)
    if b.kind == "site":
        return f"# {b.text}"
    if b.kind == "line":
        return b.text
    head, *rows = b.items
    sep = "|" + "|".join("---" for _ in head) + "|"
    return "\n".join(["| " + " | ".join(head) + " |", sep, *("| " + " | ".join(r) + " |" for r in rows)])


def render_md(page: Page) -> str:
    header, footer, banner = VARIANTS[page.variant]
    parts = [f"{header}\n{NAV_MD}", *(_md_block(b) for b in page.chrome_top)] + ([banner] if banner else [])
    parts += [f"# {page.title}", *(_md_block(b) for b in page.blocks), *(_md_block(b) for b in page.chrome_bottom),
              footer]
    return "\n\n".join(parts) + "\n"


# --- sources of pages --------------------------------------------------------------------------

def part_sizes(n: int, rng: random.Random, lo: int = 3, hi: int = 6) -> list[int]:
    """Split n (>= lo) items into consecutive runs of lo..hi items each."""
    sizes = []
    while n > hi:
        size = rng.choice([s for s in range(lo, hi + 1) if n - s >= lo])
        sizes.append(size)
        n -= size
    return sizes + [n]


def answer_spans(context: str, qas: list[dict]) -> tuple[tuple[int, int], ...]:
    """Every place a gold answer occurs in the paragraph (the recorded offset and any other
    occurrence of the same text: a few SQuAD offsets are off)."""
    spans = set()
    for qa in qas:
        for a in qa["answers"]:
            start = a["answer_start"]
            spans.add((start, start + len(a["text"])))
            for m in re.finditer(re.escape(a["text"]), context):
                spans.add(m.span())
    return tuple(sorted(spans))


def article_pages(article: dict, rng: random.Random) -> list[Page]:
    title, paras = article["title"], article["paragraphs"]
    pages, start = [], 0
    for k, size in enumerate(part_sizes(len(paras), rng), start=1):
        blocks = [Block("p", p["context"], pid=f"{title}/{i}", protect=answer_spans(p["context"], p["qas"]))
                  for i, p in enumerate(paras[start:start + size], start=start)]
        pages.append(Page(f"wiki/{slug(title)}/part-{k:02d}", f"{title.replace('_', ' ')} (part {k})",
                          blocks, "article", title))
        start += size
    return pages


def distractor_candidates(html_dir: Path) -> list[Path]:
    """Content pages of the Python docs: HTML files in the topic folders (not the index pages,
    not _static/_sources)."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if len(p.relative_to(html_dir).parts) > 1 and not p.relative_to(html_dir).parts[0].startswith("_"))


def doc_paragraphs(path: Path, min_words: int = 12) -> tuple[str, list[str]]:
    """(title, text paragraphs) of one Sphinx HTML page: the <p> elements of its main body."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    main = soup.find(attrs={"role": "main"}) or soup.find("div", class_="body") or soup.body or soup
    h1 = main.find("h1") or soup.find("title")
    title = " ".join(h1.get_text(" ").replace("¶", "").split()) if h1 else path.stem
    paras = [" ".join(p.get_text(" ").replace("¶", "").split()) for p in main.find_all("p")]
    return title, [p for p in paras if len(p.split()) >= min_words]


def distractor_pages(html_dir: Path, n: int, rng: random.Random, progress=None) -> list[Page]:
    """n off-topic pages, each a seeded run of 3-6 consecutive paragraphs of one seeded-chosen
    Python docs page that has at least 3 usable paragraphs."""
    files = distractor_candidates(html_dir)
    rng.shuffle(files)
    pages, used = [], set()
    for path in files:
        if len(pages) == n:
            break
        title, paras = doc_paragraphs(path)
        if len(paras) < 3 or slug(title) in used:
            continue
        size = rng.randint(3, min(6, len(paras)))
        start = rng.randint(0, len(paras) - size)
        used.add(slug(title))
        pages.append(Page(f"wiki/{slug(title)}/part-01", f"{title} (part 1)",
                          [Block("p", t) for t in paras[start:start + size]], "distractor",
                          path.relative_to(html_dir).as_posix()))
        if progress is not None:
            progress.update(1)
    if len(pages) < n:
        raise SystemExit(f"{html_dir}: only {len(pages)} usable distractor pages, {n} needed")
    return pages
