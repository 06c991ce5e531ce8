"""No human-written evaluation question ever enters a reading batch.

A candidate question is dropped (and recorded) when its normalised text equals an evaluation
question's, or when their character 5-gram Jaccard similarity is at least ``threshold`` (0.5: a
copy with a word or two changed). Candidates are found with MinHash-LSH over the evaluation set
(datasketch) and every candidate pair is then checked exactly, so the guard misses nothing LSH
finds and never drops on an estimate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from eval.scoring import normalize_answer
from ingest.steps import Drops
from smallbatch.records import Doc

GRAM = 5
NUM_PERM = 128


def grams(text: str, n: int = GRAM) -> set[str]:
    t = normalize_answer(text)
    return {t[i:i + n] for i in range(max(1, len(t) - n + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def load_questions(path: Path) -> list[str]:
    """Questions of a SQuAD-format JSON file or a JSONL file with a ``question`` field."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        return [qa["question"] for art in data["data"] for p in art["paragraphs"]
                for qa in p["qas"]]
    return [json.loads(line)["question"] for line in text.splitlines() if line.strip()]


class EvalGuard:
    name = "eval_guard"

    def __init__(self, questions: list[str], threshold: float = 0.5) -> None:
        from datasketch import MinHash, MinHashLSH

        self.threshold, self.questions = threshold, questions
        self.exact = {normalize_answer(q): q for q in questions}
        self.grams = [grams(q) for q in questions]
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, weights=(0.05, 0.95))
        self._minhash = lambda g: _sign(MinHash, g)
        for i, g in enumerate(self.grams):
            self.lsh.insert(i, self._minhash(g))

    def match(self, question: str) -> tuple[str, str, float] | None:
        """(reason, the evaluation question, similarity) or None."""
        hit = self.exact.get(normalize_answer(question))
        if hit is not None:
            return "evaluation question", hit, 1.0
        g = grams(question)
        best = max(((jaccard(g, self.grams[i]), i) for i in self.lsh.query(self._minhash(g))),
                   default=(0.0, -1))
        if best[0] >= self.threshold:
            return "near an evaluation question", self.questions[best[1]], round(best[0], 3)
        return None

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        for d in docs:
            m = self.match(d.text)
            if m is None:
                yield d
            else:
                drops.add(self.name, d, m[0], question=d.text, eval_question=m[1],
                          similarity=m[2])


def _sign(minhash_cls, g: set[str]):
    from ingest.dedup import SEED

    m = minhash_cls(num_perm=NUM_PERM, seed=SEED)
    m.update_batch([s.encode("utf-8") for s in g])
    return m


def disjoint(batch: list[str], questions: list[str], threshold: float = 0.5) -> list[tuple]:
    """Every (batch question, evaluation question, similarity) pair at or above ``threshold``,
    by brute force: the reference the guard is tested against."""
    eg = [(q, grams(q), normalize_answer(q)) for q in questions]
    out = []
    for b in batch:
        bg, bn = grams(b), normalize_answer(b)
        out += [(b, q, s) for q, g, n in eg if (s := 1.0 if n == bn else jaccard(bg, g))
                >= threshold]
    return out
