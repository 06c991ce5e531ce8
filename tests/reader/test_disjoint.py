"""The honesty rule: no human-written evaluation question enters a reading batch, by text or by
near-duplicate. The guard's output is checked against a brute-force comparison."""

import json
import random
from pathlib import Path

import pytest

from ingest.steps import Drops
from reader.guard import EvalGuard, disjoint, load_questions
from smallbatch.records import Doc

SQUAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "squad-v1.1-dev.json"


def perturb(question: str, rng: random.Random) -> str:
    words = question.split()
    i = rng.randrange(len(words))
    words[i] = words[i].upper() if rng.random() < 0.5 else words[i] + "s"
    return " ".join(words)


def guarded(candidates: list[str], questions: list[str]) -> list[str]:
    guard = EvalGuard(questions, 0.5)
    docs = [Doc(f"q{i}", c, {}) for i, c in enumerate(candidates)]
    return [d.text for d in guard.run(iter(docs), Drops())]


def test_squad_json_and_jsonl_questions_load(tmp_path):
    squad = {"data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [
        {"id": "1", "question": "Who?", "answers": []}]}]}]}
    (tmp_path / "d.json").write_text(json.dumps(squad))
    (tmp_path / "q.jsonl").write_text('{"question": "When?"}\n\n{"question": "Why?"}\n')
    assert load_questions(tmp_path / "d.json") == ["Who?"]
    assert load_questions(tmp_path / "q.jsonl") == ["When?", "Why?"]


def test_batch_is_disjoint_from_inline_eval_questions():
    evalq = ["Which NFL team represented the AFC at Super Bowl 50?",
             "Where did Super Bowl 50 take place?", "What color was used to emphasize the 50th?"]
    candidates = [evalq[0], evalq[1].lower(), "Where did Super Bowl 50 take place ?",
                  "Which team won Super Bowl 50?", "How many tickets were sold for the game?"]
    kept = guarded(candidates, evalq)
    assert disjoint(kept, evalq) == []
    assert "How many tickets were sold for the game?" in kept


@pytest.mark.skipif(not SQUAD.exists(), reason="SQuAD v1.1 dev not in ../shared/data")
def test_batch_is_disjoint_from_squad_dev():
    evalq = load_questions(SQUAD)
    rng = random.Random(0)
    copies = rng.sample(evalq, 150)
    candidates = copies[:50] + [perturb(c, rng) for c in copies[50:]] + [
        "In what year did the teacher's made-up event happen?", "Who wrote this new passage?"]
    kept = guarded(candidates, evalq)
    assert disjoint(kept, evalq[:3000] + copies) == []  # brute force on a sample + the copies
    assert len(kept) >= 1 and len(kept) < 60
