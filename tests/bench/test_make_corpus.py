"""bench/make_corpus.py end to end: a two-article corpus with a fake distractor folder."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.squad import SHARED, locate
from ingest.load import load_file

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "make_corpus.py"
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


def build(out: Path, html: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--articles", "2", "--seed", "3",
                           "--distractors", str(html), *extra], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("corpus")
    html = fake_docs(tmp / "html")
    for name in ("a", "b"):
        done = build(tmp / name, html)
        assert done.returncode == 0, done.stderr
    return tmp / "a", tmp / "b"


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
    assert "--out <this folder> --articles 2 --seed 3" in (a / "README.md").read_text(encoding="utf-8")


def test_noise_counts_match_the_files(corpus):
    out, _ = corpus
    noise = json.loads((out / "noise.json").read_text())
    files = rows(out / "files.jsonl")
    docs = sorted(p.relative_to(out / "docs").as_posix() for p in (out / "docs").rglob("*") if p.is_file())
    assert docs == [f["file"] for f in files] and noise["pages"] == len(docs)
    for role, key in [("article", "article_pages"), ("exact_duplicate", "exact_duplicates"),
                      ("near_duplicate", "near_duplicates"), ("distractor", "distractor_pages"), ("junk", "junk_pages")]:
        assert noise[key] == sum(f["role"] == role for f in files) > 0, role
    assert noise["exact_duplicates"] == sum(d.startswith("mirror/") for d in docs)
    assert noise["near_duplicates"] == sum(d.startswith("archive/") for d in docs)
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
    near = {}
    for f in rows(out / "files.jsonl"):
        if f["role"] == "near_duplicate":
            near[f["source"]] = read(out, f["file"])
    assert questions
    for q in questions:
        (pid,) = q["source_ids"]
        assert q["paragraph"] == paragraphs[pid]["text"] and q["doc"] == paragraphs[pid]["doc"]
        start, end = q["span"]
        assert read(out, q["doc"])[start:end] == q["paragraph"]
        for answer in q["answers"]:
            assert answer in q["paragraph"]
            assert q["doc"] not in near or answer in near[q["doc"]], (q["id"], answer)


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
