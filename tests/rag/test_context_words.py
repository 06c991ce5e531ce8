"""The reader's context budget in words: one long passage or several short facts."""

from __future__ import annotations

import asyncio

from rag.answer import Answerer, fit_words
from tests.fakes import FakeOpenAI, FakeRetriever, unit


def test_fit_words_keeps_leading_hits_within_the_budget_and_always_the_first():
    hits = FakeRetriever([unit("a", "one two three"), unit("b", "four five"),
                          unit("c", "six seven eight nine")]).search("q")
    assert [h.unit.id for h in fit_words(hits, 5)] == ["a", "b"]
    assert [h.unit.id for h in fit_words(hits, 2)] == ["a"]  # over budget, still one
    assert [h.unit.id for h in fit_words(hits, None)] == ["a", "b", "c"]


def test_the_model_sees_only_the_units_that_fit():
    fake = FakeOpenAI("Paris [1].")
    retriever = FakeRetriever([unit("a", "Paris is the capital of France."),
                               unit("b", "Lyon is a city in France with a long history.")])
    ans = asyncio.run(Answerer(retriever, fake, "m", 0.2, context_words=8).answer("capital?"))
    prompt = " ".join(m["content"] for m in fake.chat.completions.calls[0]["messages"])
    assert "Paris is the capital" in prompt and "Lyon" not in prompt
    assert [h.unit.id for h in ans.hits] == ["a"]
