"""Real text for the retrieval benchmark: SQuAD v1.1 dev paragraphs (the units questions are
asked about) plus Debian documentation split into units (the haystack), and the Chinese corpus.

Debian packages are fetched once with `apt-get download` into <cache>/debian and unpacked with
`dpkg-deb -x` (the same way bench/make_corpus.py gets its distractors). A unit is a run of
whole paragraphs of about 40-150 words (a longer paragraph is cut at 150 words); exact
duplicates are dropped. Everything is deterministic: same packages, same units, same order.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

# package -> (folder inside it, file pattern, reader)
ENGLISH = {
    "python3.11-doc": ("usr/share/doc/python3.11/html/_sources", "**/*.rst.txt", "text"),
    "postgresql-doc-15": ("usr/share/doc/postgresql-doc-15/html", "*.html", "html"),
    "debian-handbook": ("usr/share/doc/debian-handbook/html/en-US", "*.html", "html"),
    "perl-doc": ("usr/share/perl", "**/*.pod", "pod"),
    "linux-doc-6.1": ("usr/share/doc/linux-doc-6.1/Documentation", "**/*.rst.gz", "gz"),
    "python-django-doc": ("usr/share/doc/python-django-doc/html", "**/*.html", "html"),
    "git-doc": ("usr/share/doc/git-doc", "*.txt", "text"),
    "nodejs-doc": ("usr/share/doc/nodejs/api", "*.html", "html"),
    "debian-reference-en": ("usr/share/debian-reference", "**/*.html", "html"),
    "rust-doc": ("usr/share/doc/rust-doc/html", "**/*.html", "tags"),  # books and API pages
}
CHINESE = {
    "debian-handbook": ("usr/share/doc/debian-handbook/html/zh-CN", "*.html", "html"),
    "manpages-zh": ("usr/share/man/zh_CN", "**/*.gz", "man"),
}
MAX_WORDS, MIN_WORDS = 150, 40
MAX_HAN, MIN_HAN = 300, 60  # Chinese units are measured in characters


def fetch(package: str, cache: Path) -> Path:
    """The unpacked package folder, downloaded with apt-get the first time."""
    root = cache / "debian" / "x" / package
    if root.is_dir():
        return root
    debs = cache / "debian"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", package], cwd=debs, check=True,
                   stdout=subprocess.DEVNULL)
    deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
    root.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def read(path: Path, kind: str) -> str:
    if kind == "gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    if kind == "man":
        return man_to_text(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
    text = path.read_text(encoding="utf-8", errors="replace")
    if kind == "html":
        from ingest.load import html_to_text

        return html_to_text(text)
    if kind == "tags":  # 30,000 pages: a regex is 20x faster than a parser, and enough here
        text = re.sub(r"(?is)<(script|style|nav|header|footer)\b.*?</\1>", " ", text)
        return html.unescape(re.sub(r"(?s)<(p|div|h\d|li|pre|tr|br)\b[^>]*>|<[^>]+>",
                                    lambda m: "\n\n" if m.group(1) else " ", text))
    if kind == "pod":
        return "\n".join("" if line.startswith("=") else line for line in text.splitlines())
    return text


def man_to_text(troff: str) -> str:
    """Good enough for retrieval: drop comments and requests, keep section titles' words."""
    lines = []
    for line in troff.splitlines():
        if line.startswith(('.\\"', "'\\\"")):
            continue
        if line.startswith("."):
            words = line.split(None, 1)
            line = "" if len(words) == 1 else words[1].replace('"', "")
            if words[0] in (".SH", ".SS", ".PP", ".P", ".LP", ".TP", ".sp", ".br"):
                lines.append("")  # a paragraph break
        lines.append(re.sub(r"\\f[BIRP]|\\f\(..|\\-|\\&|\\\(..|\\e", "", line))
    return "\n".join(lines)


def units_of(text: str, han: bool = False) -> Iterator[str]:
    """Whole paragraphs packed up to the size limit; a longer paragraph is cut."""
    size = (lambda s: len(re.findall(r"[\u4e00-\u9fff]", s))) if han else (lambda s: len(s.split()))
    hi, lo = (MAX_HAN, MIN_HAN) if han else (MAX_WORDS, MIN_WORDS)
    buf: list[str] = []
    n = 0
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        if not para:
            continue
        while size(para) > hi:  # cut a long paragraph
            cut = _cut(para, hi, han)
            yield from _flush(buf, n, lo)
            buf, n = [], 0
            yield para[:cut].strip()
            para = para[cut:].strip()
        if n + size(para) > hi:
            yield from _flush(buf, n, lo)
            buf, n = [], 0
        buf.append(para)
        n += size(para)
    yield from _flush(buf, n, lo)


def _cut(para: str, limit: int, han: bool) -> int:
    if han:
        count = 0
        for i, ch in enumerate(para):
            count += "\u4e00" <= ch <= "\u9fff"
            if count >= limit:
                return i + 1
        return len(para)
    words = para.split(" ")
    return len(" ".join(words[:limit]))


def _flush(buf: list[str], n: int, lo: int) -> Iterator[str]:
    if buf and n >= lo:
        yield "\n".join(buf)


def squad_units(path: Path) -> tuple[list[dict], list[dict]]:
    """SQuAD paragraphs as units (id squad:<title>/<i>) and its questions with their gold unit."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    units, questions = [], []
    for a in data:
        for i, p in enumerate(a["paragraphs"]):
            uid = f"squad:{a['title']}/{i}"
            units.append({"id": uid, "text": p["context"], "source": "squad"})
            questions += [{"question": q["question"], "gold": uid} for q in p["qas"]]
    return units, questions


def doc_units(cache: Path, packages: dict, han: bool, limit: int | None = None) -> list[dict]:
    """Units of every package, each package's units shuffled (seeded), then interleaved."""
    per_package: list[list[dict]] = []
    for package, (folder, pattern, kind) in packages.items():
        root = fetch(package, cache) / folder
        files = sorted(root.glob(pattern))
        seen: set[str] = set()
        units: list[dict] = []
        for path in tqdm(files, desc=package, unit="file"):
            for j, text in enumerate(units_of(read(path, kind), han)):
                h = hashlib.sha1(text.encode()).hexdigest()
                if h not in seen:
                    seen.add(h)
                    units.append({"id": f"{package}:{path.relative_to(root)}#{j}", "text": text,
                                  "source": package})
        random.Random(f"7/{package}").shuffle(units)
        per_package.append(units)
    mixed = [u for group in _interleave(per_package) for u in group]
    return mixed[:limit] if limit else mixed


def _interleave(groups: list[list[dict]]) -> Iterator[list[dict]]:
    for i in range(max(map(len, groups))):
        yield [g[i] for g in groups if i < len(g)]


def load_or_build(cache: Path, squad: Path, size: int) -> tuple[list[dict], list[dict]]:
    """The first ``size`` units: every SQuAD paragraph, then Debian units; cached as JSONL."""
    squad_u, questions = squad_units(squad)
    path = cache / "units-en.jsonl"
    if path.exists():
        filler = [json.loads(line) for line in path.open(encoding="utf-8")]
    else:
        filler = doc_units(cache, ENGLISH, han=False)
        with path.open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in filler)
    units = squad_u + filler
    if len(units) < size:
        raise SystemExit(f"only {len(units)} real units for a store of {size}; add packages to "
                         "ENGLISH in bench/retrieval_corpus.py")
    return units[:size], questions
