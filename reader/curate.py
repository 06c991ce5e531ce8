"""Curate a reading batch as ingest curates the store: one literal list of steps, every drop
recorded with its reason (ingest's ``Drops`` ledger).

    verbatim -> eval guard -> near-duplicate questions (MinHash) -> paraphrases (embedding
    cosine) -> round trip (teacher re-answers from the unit alone; the judge settles a
    disagreement) -> coverage sampling over question embeddings to N

Round trip (Alberti et al. 2019, "Synthetic QA corpora generation with roundtrip consistency"):
a question is kept when the teacher, shown only the unit, gives an answer whose normalised token
F1 with its first answer reaches ``round_trip_f1``; below it, the judge sees both answers and the
question is kept only when it says the first answer is right.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from eval.scoring import f1
from ingest.coverage import CoverageSample
from ingest.dedup import NearDedup
from ingest.semdedup import SemanticDedup
from ingest.steps import Drops
from ingest.vectors import VectorMemo
from reader.guard import EvalGuard
from reader.prompts import ANSWER_FROM_PASSAGE, SECOND_OPINION, PassageQuestion, TwoAnswers
from smallbatch.prompting import TypedCallError
from smallbatch.records import Doc

MAX_ANSWER_WORDS = 12


class Verbatim:
    """The answer is a short span copied exactly from the unit and not already in the question
    (the reader must read, not echo). An answer sentence that does not contain the answer is
    blanked (counted in ``stats``): that question trains the short style only."""

    name = "verbatim"

    def __init__(self) -> None:
        self.stats = Counter()

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        for d in docs:
            reason = self.problem(d)
            if reason:
                drops.add(self.name, d, reason, question=d.text, answer=d.metadata["answer"])
                continue
            if d.metadata["answer"].lower() not in d.metadata["sentence"].lower():
                d.metadata["sentence"] = ""
                self.stats["sentence without the answer: short style only"] += 1
            yield d

    @staticmethod
    def problem(d: Doc) -> str | None:
        a, m = d.metadata["answer"], d.metadata
        if not a or not d.text.strip():
            return "empty question or answer"
        if a not in m["unit_text"]:
            return "answer not verbatim in unit"
        if len(a.split()) > MAX_ANSWER_WORDS:
            return "answer too long"
        if re.search(rf"\b{re.escape(a.lower())}\b", d.text.lower()):
            return "answer in question"
        return None


class RoundTrip:
    name = "round_trip"

    def __init__(self, teacher, judge, threshold: float) -> None:
        self.teacher, self.judge, self.threshold = teacher, judge, threshold
        self.stats = Counter()

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        docs = list(docs)
        again = self.teacher.run(ANSWER_FROM_PASSAGE, [
            PassageQuestion(passage=d.metadata["unit_text"], question=d.text) for d in docs],
            max_tokens=96, desc="reader round trip")
        disputed = []
        for d, out in zip(docs, again):
            if isinstance(out, TypedCallError):
                drops.add(self.name, d, "teacher failed", detail=out.reason)
                continue
            d.metadata["round_trip"] = out.answer
            d.metadata["round_trip_f1"] = round(f1(out.answer, [d.metadata["answer"]]), 3)
            if d.metadata["round_trip_f1"] >= self.threshold:
                self.stats["agreed"] += 1
                yield d
            else:
                disputed.append(d)
        yield from self._second_opinion(disputed, drops)

    def _second_opinion(self, docs: list[Doc], drops: Drops) -> Iterator[Doc]:
        if not docs:
            return
        verdicts = self.judge.run(SECOND_OPINION, [TwoAnswers(
            passage=d.metadata["unit_text"], question=d.text, answer_a=d.metadata["answer"],
            answer_b=d.metadata["round_trip"]) for d in docs], max_tokens=32,
            desc="reader second opinion")
        for d, v in zip(docs, verdicts):
            if isinstance(v, TypedCallError):
                drops.add(self.name, d, "judge failed", detail=v.reason)
            elif v.correct in ("a", "both"):
                self.stats["judge kept"] += 1
                d.metadata["judge"] = v.correct
                yield d
            else:
                drops.add(self.name, d, f"round trip disagrees, judge: {v.correct}",
                          answer=d.metadata["answer"], round_trip=d.metadata["round_trip"])


_WHEN = r"\bwhen\b|\bwhat (year|date|day|month|century)\b|\bwhich (year|century)\b"
_TYPES = [("how many", r"\bhow (many|much)\b"), ("when", _WHEN),
          ("who", r"\bwho(m|se)?\b"), ("where", r"\bwhere\b"), ("why", r"\bwhy\b"),
          ("how", r"\bhow\b"), ("what", r"\bwhat\b|\bwhich\b")]


def question_type(question: str) -> str:
    """who / when / how many / why / where / how / what / other, by the first match."""
    q = question.lower()
    found = [(m.start(), kind) for kind, rx in _TYPES if (m := re.search(rx, q))]
    if not found:
        return "other"
    first = min(p for p, _ in found)
    return next(kind for p, kind in found if p == first)  # _TYPES order breaks ties


def steps(teacher, judge, embedder, guard: EvalGuard, n: int | None, cfg) -> list:
    """The batch's curation, in order (cheap checks before the teacher's round trip)."""
    vectors = VectorMemo(embedder)
    return [Verbatim(), guard,
            NearDedup(cfg.question_jaccard, shingle_words=3),
            SemanticDedup(vectors, cfg.question_cosine),
            RoundTrip(teacher, judge, cfg.round_trip_f1),
            CoverageSample(vectors, lambda _text: 1, n)]  # budget = N questions


def curate(questions: list[Doc], pipeline: list, drops: Drops) -> tuple[list[Doc], list[dict]]:
    """Run the steps; returns the kept questions and per-step counts in/out."""
    counts = []
    for step in pipeline:
        before = len(questions)
        questions = list(step.run(iter(questions), drops))
        counts.append({"step": step.name, "in": before, "out": len(questions)})
        if getattr(step, "stats", None):
            counts[-1]["stats"] = dict(step.stats)
    for q in questions:
        q.metadata["type"] = question_type(q.text)
    return questions, counts


def type_mix(questions: list[Doc]) -> dict[str, int]:
    return dict(Counter(question_type(q.text) for q in questions).most_common())
