"""Reading examples from a knowledge base's own units.

The teacher writes questions whose short answer is a verbatim span of a unit (reader/prompts.py,
cached like every teacher call). Each curated question then becomes a training input built
exactly as serving builds it (rag/prompt.py): the units hybrid retrieval really returns for the
question from the same snapshot, the gold unit among them (RAFT, Zhang et al. 2024: the gold
document with real distractors), in shuffled positions. A share of the examples has the gold unit
removed and the abstention as target, so the reader learns to say it does not know. Targets carry
the ``[n]`` of the gold source.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ingest.steps import Drops
from rag.prompt import ABSTAIN, PROMPTS
from rag.retrieve import Hit
from reader.prompts import WRITE_QA, Passage
from smallbatch.prompting import TypedCallError
from smallbatch.records import Doc

STEP = "write_questions"


def candidate_units(units: list[Doc], n: int, min_words: int, seed: int) -> list[Doc]:
    """Up to ``n`` units with at least ``min_words`` words, in a seeded random order."""
    fit = [u for u in units if len(u.text.split()) >= min_words]
    random.Random(seed).shuffle(fit)
    return fit[:n]


def write_questions(teacher, units: list[Doc], drops: Drops) -> list[Doc]:
    """One record per teacher question: ``text`` is the question; ``metadata`` holds the unit,
    the answer span and the answer sentence. Failed calls are drops with their reason."""
    outs = teacher.run(WRITE_QA, [Passage(passage=u.text) for u in units], max_tokens=384,
                       desc="reader questions")
    found: list[Doc] = []
    for unit, out in zip(units, outs):
        if isinstance(out, TypedCallError):
            drops.add(STEP, unit, "teacher failed", detail=out.reason)
            continue
        if not out.items:
            drops.add(STEP, unit, "no question")
        for k, qa in enumerate(out.items):
            found.append(Doc(f"{unit.id}#q{k}", qa.question.strip(), {
                "unit_id": unit.id, "unit_text": unit.text, "answer": qa.answer.strip(),
                "sentence": qa.sentence.strip(),
                "source_id": unit.metadata.get("source_id", unit.id)}))
    return found


@dataclass
class Example:
    id: str
    unit_id: str
    question: str
    answer: str  # the gold span ("" for an abstention)
    style: str  # "short" | "sentence"
    abstain: bool
    gold_position: int | None  # 1-based [n] of the gold unit in the prompt
    context_ids: list[str]
    messages: list[dict]  # exactly what serving sends the small model
    target: str  # what the reader should reply

    def to_json(self) -> dict:
        return asdict(self)


def cite(sentence: str, n: int) -> str:
    """``sentence`` with ``[n]`` before its final punctuation: "It is 330 m tall [1]."."""
    s = sentence.strip()
    m = re.search(r"[.!?]+$", s)
    return f"{s[:m.start()]} [{n}]{m.group()}" if m else f"{s} [{n}]"


def target(question: Doc, style: str, position: int | None) -> str:
    if position is None:
        return ABSTAIN
    if style == "short":
        return f"{question.metadata['answer']} [{position}]"
    return cite(question.metadata["sentence"], position)


def _mentions(hit: Hit, answer: str) -> bool:
    return answer.lower() in hit.unit.text.lower()


def _of(hit: Hit, unit_id: str) -> bool:
    """The hit is the unit, or (a source store, rag/windows.py) a window of its passage or of
    the passage it is a key of."""
    m = hit.unit.metadata
    return hit.unit.id == unit_id or m.get("passage") == unit_id or unit_id in (m.get("keys") or [])


def readable(units: list[Doc], answer_from: str) -> list[Doc]:
    """The units a reader is shown: all of them, or in a source store (answer_from "source")
    the passages only — keys (facts, QA, summaries) point at passages and are never shown."""
    if answer_from != "source":
        return units
    return [u for u in units if u.metadata.get("kind", "passage") == "passage"]


class ExampleBuilder:
    """Questions -> training examples in the serving prompt format.

    ``search(question, k)`` is the snapshot's hybrid retrieval (``Retriever.search``);
    ``count_tokens(messages)`` the prompt's length under the small model's chat template; units
    after the gold one are dropped from the end until the prompt fits ``max_tokens``.
    """

    name = "build_examples"

    def __init__(self, search: Callable[[str, int], list[Hit]], units: dict[str, Doc],
                 top_k: int, count_tokens: Callable[[list[dict]], int], max_tokens: int,
                 abstain_share: float, sentence_share: float, seed: int,
                 context_words: int | None = None) -> None:
        self.search, self.units, self.top_k = search, units, top_k
        self.count, self.max_tokens, self.context_words = count_tokens, max_tokens, context_words
        self.abstain_share, self.sentence_share, self.seed = abstain_share, sentence_share, seed
        self.stats = {"abstain": 0, "abstain_skipped_answer_elsewhere": 0, "gold_retrieved": 0,
                      "trimmed_units": 0}

    def build(self, questions: list[Doc], drops: Drops) -> list[Example]:
        rng = random.Random(self.seed)
        out = []
        for q in questions:
            style = "sentence" if rng.random() < self.sentence_share else "short"
            if not q.metadata.get("sentence"):
                style = "short"  # no usable answer sentence (reader/curate.py Verbatim)
            abstain = rng.random() < self.abstain_share
            ex = self.one(q, style, abstain, rng)
            if isinstance(ex, str):
                drops.add(self.name, q, ex)
            else:
                out.append(ex)
        return out

    def one(self, q: Doc, style: str, abstain: bool, rng: random.Random) -> Example | str:
        gold = self.units.get(q.metadata["unit_id"])
        if gold is None:
            return "gold unit not in snapshot"
        hits = self.search(q.text, self.top_k + 1)
        mine = [h for h in hits if _of(h, gold.id)]
        others = [h for h in hits if not _of(h, gold.id)]
        self.stats["gold_retrieved"] += bool(mine)
        if abstain and any(_mentions(h, q.metadata["answer"]) for h in others[:self.top_k]):
            self.stats["abstain_skipped_answer_elsewhere"] += 1
            abstain = False  # another unit holds the answer: not a no-answer example
        self.stats["abstain"] += abstain
        # the gold as serving shows it (a source store's window of the passage), when retrieved
        shown = next((h for h in mine if _mentions(h, q.metadata["answer"])),
                     Hit(gold, 0.0, None, None, None))
        lead = [] if abstain else [shown]
        ctx = self._fit(lead, others[:self.top_k - len(lead)], q.text, style)
        if ctx is None:
            return "prompt too long"
        rng.shuffle(ctx)
        pos = None if abstain else next(n for n, h in enumerate(ctx, 1) if h is shown)
        return Example(q.id, gold.id, q.text, "" if abstain else q.metadata["answer"], style,
                       abstain, pos, [h.unit.id for h in ctx],
                       PROMPTS[style].messages(q.text, ctx), target(q, style, pos))

    def _fit(self, lead: list[Hit], others: list[Hit], question: str,
             style: str) -> list[Hit] | None:
        """Lead + as many of ``others`` (in retrieval order) as the word and token budgets
        allow; None when even the first unit does not fit."""
        ctx = lead + others
        if self.context_words is not None:
            words = 0
            for i, h in enumerate(ctx):
                words += len(h.unit.text.split())
                if i and words > self.context_words:
                    ctx = ctx[:i]
                    break
        while self.count(PROMPTS[style].messages(question, ctx)) > self.max_tokens:
            if len(ctx) == 1:
                return None
            ctx = ctx[:-1]
            self.stats["trimmed_units"] += 1
        return ctx
