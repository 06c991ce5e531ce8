"""The Chinese knowledge base and its English counterpart, from Debian packages.

    python -m bench.zh_corpus OUT [--cache DIR] [--holdout 0.2] [--manpages 60]

Writes, deterministically (same packages, same files, same bytes):

    OUT/zh/kb/handbook/<page>.md     Debian Administrator's Handbook, zh-CN, one file per page
    OUT/zh/kb/manpages/<name>.txt    Chinese man pages (manpages-zh): off-topic noise
    OUT/zh/holdout/handbook/<page>.md
                                     handbook pages held apart: the teacher testset is written
                                     from them; never tuned or trained on
    OUT/zh/all/                      kb/ and holdout/ together: what the evaluated stores
                                     ingest (the held-apart pages' questions need their pages)
    OUT/en/kb/handbook/<page>.md     the same pages of the English original (en-US)
    OUT/en/holdout/handbook/<page>.md, OUT/en/all/
    OUT/README.md, OUT/manifest.json licences, attribution, the split, counts and sha256s

The two languages share file names (the handbook's page ids), so a question about
``zh/holdout/handbook/sect.apt-get.md`` has its English counterpart in
``en/holdout/handbook/sect.apt-get.md``. Every part keeps the ``handbook/`` and ``manpages/``
folders, so a page has the same source id (``handbook/<page>.md``) in the testset made from
``holdout/`` and in a store built from ``all/``.
Pages are converted from the handbook's HTML to markdown here (headings as ``#`` lines,
paragraphs joined whole, command samples fenced) rather than by ingest's generic HTML reader,
which breaks a line at every inline element — in Chinese that puts line breaks inside words.
Packages come from ``apt-get download`` into the cache (bench/retrieval_corpus.py's ``fetch``).
The zh-CN translation is partial: untranslated paragraphs stay English, as the package ships
them; the README counts them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from pathlib import Path

from bench.retrieval_corpus import fetch, man_to_text
from smallbatch.text import HAN

HANDBOOK = "usr/share/doc/debian-handbook/html"
MANPAGES = "usr/share/man/zh_CN/man1"
SEED = 17
MIN_CHARS = 200  # a page shorter than this is a table of contents or a stub
LICENCE = """\
# Chinese / English handbook corpus (built by bench/zh_corpus.py)

- `*/kb/handbook`, `*/holdout/handbook`, `*/all/handbook`: *The Debian Administrator's
  Handbook* by Raphaël Hertzog and Roland Mas (Freexian SARL), Debian package `debian-handbook` {handbook_version}, zh-CN
  translation and en-US original. Licence: GPL-2.0+ or CC-BY-SA-3.0 (your choice); this copy
  is a format conversion (HTML to markdown) of the packaged pages, redistributed under the same
  terms. https://debian-handbook.info/
- `zh/kb/manpages`, `zh/all/manpages`: Chinese manual pages, Debian package `manpages-zh` {manpages_version}
  (man-pages-zh project, Carlos Z.F. Liu, LI Daobing, Boyuan Yang and others). Licence:
  GFDL-1.2+. Converted from troff to plain text.

Split: {held} of {pages} handbook pages held apart (seed {seed}, fraction {fraction}) for
testset generation: never tune, train or write hand questions on them; the evaluated store
ingests `all/` (`kb/` and `holdout/` together). Paragraphs in the zh-CN pages: {zh_paras}
Chinese, {en_paras} left untranslated (English) by the package.
"""


def page_markdown(html: str) -> str:
    """Headings, paragraphs and command samples of a handbook page, in page order."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    blocks = soup.select("h1, h2, h3, h4, div.para, pre")
    chosen = set(map(id, blocks))
    out = []
    for el in blocks:
        if any(id(p) in chosen for p in el.parents):
            continue  # a paragraph inside another chosen block is already in its text
        if el.name == "pre":
            out.append("```\n" + el.get_text("").replace("↵", "").strip() + "\n```")
            continue
        text = " ".join(el.get_text("").split())
        if el.name.startswith("h"):
            text = f"{'#' * min(int(el.name[1]), 3)} {text}"
        if text:
            out.append(text)
    return "\n\n".join(out) + "\n"


def split_pages(names: list[str], fraction: float, seed: int = SEED) -> tuple[set, set]:
    """(held apart, kept) page names: a seeded shuffle of the sorted names, the first
    ``fraction`` held apart."""
    order = sorted(names)
    random.Random(seed).shuffle(order)
    k = max(1, round(len(order) * fraction))
    return set(order[:k]), set(order[k:])


def _handbook(root: Path, lang: str) -> dict[str, str]:
    pages = {}
    for path in sorted((root / HANDBOOK / lang).glob("*.html")):
        if path.stem == "index":
            continue
        md = page_markdown(path.read_text(encoding="utf-8"))
        if len(md) >= MIN_CHARS:
            pages[path.stem] = md
    return pages


def _manpages(root: Path, n: int) -> dict[str, str]:
    """``n`` Chinese man pages (seeded pick among those with enough Chinese text)."""
    import gzip

    texts = {}
    for path in sorted((root / MANPAGES).glob("*.gz")):
        text = man_to_text(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        if len(HAN.findall(text)) > 20 and len(text) >= MIN_CHARS:
            texts[path.name.removesuffix(".gz")] = text
    names = sorted(texts)
    random.Random(SEED).shuffle(names)
    return {name: texts[name] for name in sorted(names[:n])}


def _write(path: Path, text: str, files: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    files[path.as_posix()] = hashlib.sha256(text.encode()).hexdigest()


def _paragraph_langs(pages: dict[str, str]) -> tuple[int, int]:
    paras = [p for md in pages.values() for p in md.split("\n\n")
             if p and not p.startswith(("#", "```"))]
    zh = sum(1 for p in paras if HAN.search(p))
    return zh, len(paras) - zh


def build(out: Path, cache: Path, fraction: float = 0.2, manpages: int = 60) -> dict:
    """Write the corpus under ``out``; return the manifest (also written)."""
    handbook = fetch("debian-handbook", cache)
    zh, en = _handbook(handbook, "zh-CN"), _handbook(handbook, "en-US")
    names = sorted(set(zh) & set(en))  # parallel pages only
    held, kept = split_pages(names, fraction)
    files: dict[str, str] = {}
    for lang, pages in (("zh", zh), ("en", en)):
        for name in names:
            part = "holdout" if name in held else "kb"
            for root in (part, "all"):
                _write(out / lang / root / "handbook" / f"{name}.md", pages[name], files)
    for name, text in _manpages(fetch("manpages-zh", cache), manpages).items():
        for root in ("kb", "all"):
            _write(out / "zh" / root / "manpages" / f"{name}.txt", text, files)
    zh_paras, en_paras = _paragraph_langs({n: zh[n] for n in names})
    manifest = {"seed": SEED, "holdout_fraction": fraction, "pages": len(names),
                "holdout": sorted(held), "kb": sorted(kept), "manpages": manpages,
                "zh_paragraphs": {"chinese": zh_paras, "untranslated": en_paras},
                "packages": {p: _version(cache, p) for p in ("debian-handbook", "manpages-zh")},
                "files": {Path(k).relative_to(out).as_posix(): v for k, v in files.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    (out / "README.md").write_text(LICENCE.format(
        handbook_version=manifest["packages"]["debian-handbook"],
        manpages_version=manifest["packages"]["manpages-zh"], held=len(held), pages=len(names),
        seed=SEED, fraction=fraction, zh_paras=zh_paras, en_paras=en_paras), encoding="utf-8")
    return manifest


def _version(cache: Path, package: str) -> str:
    debs = sorted((cache / "debian").glob(f"{package}_*.deb"))
    return debs[-1].name.split("_")[1] if debs else "unknown"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "smallbatch" / "bench")
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--manpages", type=int, default=60)
    args = ap.parse_args(argv)
    m = build(args.out, args.cache, args.holdout, args.manpages)
    print(f"{m['pages']} handbook pages ({len(m['holdout'])} held apart), {args.manpages} man "
          f"pages -> {args.out}")


if __name__ == "__main__":
    main()
