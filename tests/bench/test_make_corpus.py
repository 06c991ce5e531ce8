"""bench/make_corpus.py end to end: two-article corpora, standard noise (with a fake distractor
folder) and heavy noise (off-topic text from pydoc_data)."""

import hashlib
import json
import re
from collections import Counter
import subprocess
import sys
from pathlib import Path

import pytest

from bench.squad import SHARED, locate
from ingest.load import load_file

ROOT = Path(__file__).resolve().parents[2]
SQUAD = locate() or SHARED  # scripts/test.sh fetches it (bench/squad.py) when it is not here
WORDS = "the parser reads each line of the configuration file and returns a mapping of names to values".split()

pytestmark = pytest.mark.skipif(not SQUAD.is_file(), reason=f"needs the SQuAD v1.1 dev set at {SQUAD}")


def fake_docs(root: Path) -> Path:
    """A tiny stand-in for python3.11-doc's html/ folder: Sphinx-like pages with <p> paragraphs."""
    for n in range(6):
        paras = "".join(f"<p>{' '.join(WORDS[(n + i) % 5:] + WORDS)} ({n}.{i})</p>" for i in range(5))
        page = root / "library" / f"mod{n}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f'<html><body><div class="body" role="main"><h1>mod{n} — a module¶</h1>{paras}'
                        "</div></body></html>", encoding="utf-8")
    (root / "_static").mkdir()
    (root / "_static" / "skip.html").write_text("<p>not a content page</p>", encoding="utf-8")
    return root


def run(out: Path, *args: str, seed: int = 3) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench.make_corpus", "--out", str(out), "--articles", "2",
                           "--seed", str(seed), *args], capture_output=True, text=True, cwd=ROOT)


def build(out: Path, html: Path, *extra: str) -> subprocess.CompletedProcess:
    return run(out, "--distractors", str(html), *extra)


def built(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def standard(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("corpus")
    html = fake_docs(tmp / "html")
    for name in ("a", "b"):
        built(build(tmp / name, html))
    return tmp / "a", tmp / "b"


@pytest.fixture(scope="module")
def heavy(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("heavy")
    for name in ("a", "b"):
        built(run(tmp / name, "--noise", "heavy"))
    return tmp / "a", tmp / "b"


@pytest.fixture(params=["standard", "heavy"])
def corpus(request) -> tuple[Path, Path]:
    return request.getfixturevalue(request.param)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read(out: Path, rel: str) -> str:
    (doc,) = load_file(out / "docs" / rel, rel, [])
    return doc.text


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def cn_id_ok(cn_id: str) -> bool:
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2
    check = (12 - sum(int(c) * w for c, w in zip(cn_id, weights)) % 11) % 11
    return cn_id[17] == ("X" if check == 10 else str(check))


def test_same_arguments_give_byte_identical_builds(corpus):
    a, b = corpus
    assert tree(a) == tree(b)
    assert "-m bench.make_corpus --out <this folder> --articles 2 --seed 3" in (a / "README.md").read_text(encoding="utf-8")


# Every file of the standard build (2 articles, seed 3, fake_docs) before heavy noise existed;
# only the README's command line changed since (bench/make_corpus.py -> -m bench.make_corpus).
STANDARD_SHA256 = "137b29fd6180c008dc81f13b6f62594fa03dc3985b869d4c66197b0dda445133"


def test_standard_noise_is_unchanged_by_heavy_noise(standard):
    digest = hashlib.sha256()
    for rel, data in tree(standard[0]).items():
        if rel == "README.md":
            data = b"\n".join(line for line in data.split(b"\n") if b"make_corpus" not in line)
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    assert digest.hexdigest() == STANDARD_SHA256


def test_noise_counts_match_the_files(corpus):
    out, _ = corpus
    noise = json.loads((out / "noise.json").read_text())
    files = rows(out / "files.jsonl")
    docs = sorted(p.relative_to(out / "docs").as_posix() for p in (out / "docs").rglob("*") if p.is_file())
    assert docs == [f["file"] for f in files] and noise["pages"] == len(docs)
    for role, key in [("article", "article_pages"), ("exact_duplicate", "exact_duplicates"),
                      ("near_duplicate", "near_duplicates"), ("distractor", "distractor_pages"), ("junk", "junk_pages")]:
        assert noise[key] == sum(f["role"] == role for f in files) > 0, role
    copies = ("mirror/", "print/", "m/") if noise.get("noise") == "heavy" else ("mirror/",)
    assert noise["exact_duplicates"] == sum(d.startswith(copies) for d in docs)
    assert noise["near_duplicates"] == sum(d.startswith(("archive/", "history/")) for d in docs)
    assert noise["paragraphs"] == len(rows(out / "paragraphs.jsonl"))
    assert noise["questions"] == len(rows(out / "questions.jsonl"))
    assert noise["bytes"] == sum((out / "docs" / d).stat().st_size for d in docs)
    pii = rows(out / "pii.jsonl")
    distinct = {(r["kind"], r["value"]) for r in pii}
    assert noise["pii_occurrences"] == len(pii)
    assert noise["pii_seeded"] == {k: sum(kind == k for kind, _ in distinct) for k in noise["pii_seeded"]}
    assert set(noise["pii_seeded"]) == {"email", "phone_intl", "phone_cn", "cn_id", "card", "ipv4", "api_key"}


def test_duplicates_are_copies_of_their_source(corpus):
    out, _ = corpus
    for f in rows(out / "files.jsonl"):
        if f["role"] == "exact_duplicate":
            assert (out / "docs" / f["file"]).read_bytes() == (out / "docs" / f["source"]).read_bytes()
        if f["role"] == "near_duplicate":
            copy, orig = read(out, f["file"]).split(), read(out, f["source"]).split()
            assert copy != orig and f["edits"] > 0
            assert len(set(copy) & set(orig)) > 0.8 * len(set(orig))


def test_questions_point_at_their_paragraph_and_near_duplicates_keep_answers(corpus):
    out, _ = corpus
    questions = rows(out / "questions.jsonl")
    paragraphs = {p["id"]: p for p in rows(out / "paragraphs.jsonl")}
    near: dict[str, list[str]] = {}
    for f in rows(out / "files.jsonl"):
        if f["role"] == "near_duplicate":
            near.setdefault(f["source"], []).append(read(out, f["file"]))
    assert questions
    for q in questions:
        (pid,) = q["source_ids"]
        assert q["paragraph"] == paragraphs[pid]["text"] and q["doc"] == paragraphs[pid]["doc"]
        start, end = q["span"]
        assert read(out, q["doc"])[start:end] == q["paragraph"]
        for answer in q["answers"]:
            assert answer in q["paragraph"]
            assert all(answer in copy for copy in near.get(q["doc"], [])), (q["id"], answer)


def test_seeded_pii_is_in_its_file_outside_gold_text_with_valid_checksums(corpus):
    out, _ = corpus
    pii = rows(out / "pii.jsonl")
    gold = [p["text"] for p in rows(out / "paragraphs.jsonl")]
    for r in pii:
        assert r["value"] in (out / "docs" / r["file"]).read_text(encoding="utf-8"), r
        assert not any(r["value"] in g for g in gold), r
        value = r["value"]
        if r["kind"] == "card":
            assert luhn_ok(re.sub(r"[ -]", "", value)), value
        elif r["kind"] == "cn_id":
            assert re.fullmatch(r"\d{17}[\dX]", value) and cn_id_ok(value), value
        elif r["kind"] == "phone_cn":
            assert re.fullmatch(r"1[3-9]\d{9}", re.sub(r"^\+86[ -]?|-", "", value)), value
        elif r["kind"] == "api_key":
            assert value.startswith(("sk-", "ghp_", "AKIA")), value


def test_missing_distractor_folder_exits_with_fetch_instructions(tmp_path):
    done = build(tmp_path / "out", tmp_path / "absent")
    assert done.returncode != 0
    assert "apt-get download python3.11-doc" in done.stderr and "dpkg-deb -x" in done.stderr
    assert not (tmp_path / "out").exists()


# --- heavy noise -------------------------------------------------------------------------------

def test_heavy_noise_is_most_of_the_tokens_and_the_accounting_adds_up(heavy):
    out, _ = heavy
    noise = json.loads((out / "noise.json").read_text())
    tokens, files = noise["tokens"], rows(out / "files.jsonl")
    assert noise["noise"] == "heavy" and noise["rates"]["versioned"] > 0
    assert tokens["raw_tokens"] == noise["raw_tokens"] == sum(p["tokens"] for p in tokens["parts"].values())
    assert tokens["raw_tokens"] == sum(k["tokens"] for k in noise["kinds"].values())
    assert noise["pages"] == len(files) == sum(k["pages"] for k in noise["kinds"].values())
    assert tokens["source_tokens"] == noise["gold_tokens"]
    assert tokens["noise_share"] >= 0.6
    for part in ("frame", "copies", "offtopic", "junk", "pii"):
        assert tokens["parts"][part]["tokens"] > 0, part
    assert noise["kinds"]["version"]["pages"] == noise["versions"] >= 2


def test_heavy_noise_differs_with_the_seed(heavy, tmp_path):
    built(run(tmp_path / "c", "--noise", "heavy", seed=4))
    other = tree(tmp_path / "c")
    assert other != tree(heavy[0]) and other["docs/" + rows(tmp_path / "c" / "files.jsonl")[0]["file"]]


def test_every_article_page_keeps_its_title_heading_below_site_chrome_that_looks_like_headings(heavy):
    out, _ = heavy
    for f in rows(out / "files.jsonl"):
        if f["role"] != "article":
            continue
        raw = (out / "docs" / f["file"]).read_text(encoding="utf-8")
        title = re.fullmatch(r"wiki/(.+)/part-(\d+)\.\w+", f["file"])
        assert title, f["file"]
        if f["file"].endswith(".md"):
            lines = raw.splitlines()
            headings = [line for line in lines if line.startswith("# ")]
            mine = [h for h in headings if h == f"# {f['source'].replace('_', ' ')} (part {int(title[2])})"]
            assert len(mine) == 1 and headings.index(mine[0]) > 0, (f["file"], headings)  # a site heading first
            assert "## Navigation" in lines and "## Related articles" in lines
        else:
            assert f"<h1>{f['source'].replace('_', ' ')} (part {int(title[2])})</h1>" in raw.replace("&amp;", "&")
            assert '<div class="site-name"><h1>' in raw and "<h2>Navigation</h2>" in raw
            assert "Navigation" in read(out, f["file"])  # chrome in <div>s: the loader keeps it


def test_versions_are_light_edits_that_keep_every_answer(heavy):
    out, _ = heavy
    files = rows(out / "files.jsonl")
    versions = [f for f in files if f["file"].startswith("history/")]
    assert all(f["role"] == "near_duplicate" and f.get("kind") == "version" for f in versions)
    per_page: dict[str, list[dict]] = {}
    for f in versions:
        per_page.setdefault(f["source"], []).append(f)
    assert per_page and all(len(v) >= 2 for v in per_page.values())
    questions = rows(out / "questions.jsonl")
    paragraphs = rows(out / "paragraphs.jsonl")
    reordered = 0
    for source, revs in per_page.items():
        orig = read(out, source)
        answers = {a for q in questions if q["doc"] == source for a in q["answers"]}
        for f in revs:
            text = read(out, f["file"])
            assert text != orig and f["edits"] >= 1 and "last edited on" in text
            assert all(a in text for a in answers), f["file"]
            lines = [line for line in text.splitlines() if line.strip()]
            for p in (p for p in paragraphs if p["doc"] == source):  # each paragraph: at most a word or two changed
                words = Counter(p["text"].split())
                diff = min(sum(((words - Counter(line.split())) + (Counter(line.split()) - words)).values())
                           for line in lines)
                assert diff <= 4, (f["file"], p["id"], diff)
                sentences = lambda t: sorted(re.split(r"(?<=[.!?])\s+", t))  # noqa: E731
                reordered += any(line != p["text"] and sentences(line) == sentences(p["text"]) for line in lines)
    assert reordered  # some version reorders a paragraph's sentences and changes nothing else in it


def test_offtopic_pages_are_real_python_reference_text(heavy):
    from pydoc_data.topics import topics

    out, _ = heavy
    offtopic = [f for f in rows(out / "files.jsonl") if f["role"] == "distractor"]
    assert offtopic
    for f in offtopic:
        key = f["source"].removeprefix("pydoc_data.topics:")
        body = " ".join(topics[key].split())
        prose = [" ".join(line.split()) for line in read(out, f["file"]).splitlines() if len(line.split()) >= 12]
        assert sum(line in body for line in prose) >= 3, f["file"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "pydoc_data.topics" in readme and "PSF" in readme


def test_heavy_noise_refuses_a_distractor_folder(tmp_path):
    done = run(tmp_path / "out", "--noise", "heavy", "--distractors", str(tmp_path))
    assert done.returncode != 0 and "pydoc_data" in done.stderr
    assert not (tmp_path / "out").exists()
