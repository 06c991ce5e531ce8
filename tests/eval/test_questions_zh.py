"""The hand-written Chinese questions: enough of them, well-formed, and none from a page the
corpus holds apart for the teacher-made testset."""

import json

from bench.zh_corpus import split_pages
from eval.questions import load_questions
from smallbatch.settings import REPO_ROOT

FILE = REPO_ROOT / "eval" / "questions-zh" / "handwritten.jsonl"


def test_at_least_thirty_chinese_questions_with_gold_and_a_kb_page():
    qs = load_questions(FILE)
    assert len(qs) >= 30 and len({q.id for q in qs}) == len(qs)
    assert all(q.lang == "zh" and q.answers and q.source_ids for q in qs)
    rows = [json.loads(line) for line in FILE.read_text(encoding="utf-8").splitlines()]
    paired = [r for r in rows if "en_question" in r]
    assert len(paired) >= 18 and all(r["en_answers"] and r["en_source"] for r in paired)


def test_no_question_comes_from_a_held_apart_page():
    rows = [json.loads(line) for line in FILE.read_text(encoding="utf-8").splitlines()]
    pages = {r["source_ids"][0].removeprefix("handbook/").removesuffix(".md") for r in rows}
    manifest = json.loads((REPO_ROOT / "eval" / "questions-zh" / "kb-pages.json").read_text())
    held, kept = split_pages(manifest["pages"], manifest["fraction"], manifest["seed"])
    assert held == set(manifest["holdout"])  # the split the corpus made when they were written
    assert pages <= kept and not pages & held
