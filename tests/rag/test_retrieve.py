"""Retriever plumbing on an in-memory snapshot: fusion, the rerank stage, the query cache."""

from __future__ import annotations

import numpy as np
import pytest

from rag.rerank import EmbeddingReranker, make_reranker
from rag.retrieve import Retriever
from smallbatch.records import Doc
from smallbatch.settings import RetrievalSettings

TEXTS = {"u0": "paris france capital", "u1": "berlin germany capital", "u2": "rome italy pasta"}


class BagEmbedder:
    """Bag-of-words vectors over a fixed vocabulary, unit-normalised."""

    vocab = sorted({w for t in TEXTS.values() for w in t.split()})

    def __init__(self):
        self.queries: list[str] = []

    def encode(self, texts):
        v = np.array([[float(w in t.lower().split()) for w in self.vocab] for t in texts]) + 1e-3
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    def encode_query(self, texts):
        self.queries += texts
        return self.encode(texts)


class MemorySnapshot:
    def __init__(self, bm25_order, vector_order):
        self.units = {i: Doc(i, t) for i, t in TEXTS.items()}
        self.bm25_order, self.vector_order = bm25_order, vector_order

    def bm25_search(self, tokens, n):
        return [(i, 1.0) for i in self.bm25_order[:n]]

    def vector_search(self, vector, n):
        return [(i, 0.5) for i in self.vector_order[:n]]


def retriever(bm25, vec, reranker=None, **cfg) -> tuple[Retriever, BagEmbedder]:
    emb = BagEmbedder()
    settings = RetrievalSettings(top_k=2, candidates=3, **cfg)
    return Retriever(MemorySnapshot(bm25, vec), emb, settings, reranker, warm=False), emb


def test_fuses_both_rankings_by_weighted_rank():
    r, _ = retriever(["u2", "u1", "u0"], ["u1", "u0", "u2"])
    hits = r.search("capital")
    assert [h.unit.id for h in hits] == ["u1", "u2"]  # ranks 2+1 beat 1+3 and 3+2
    assert (hits[0].bm25_rank, hits[0].vector_rank) == (2, 1)
    r, _ = retriever(["u2", "u1", "u0"], ["u1", "u0", "u2"], bm25_weight=0.0)
    assert [h.unit.id for h in r.search("capital")] == ["u1", "u0"]


def test_repeated_question_reuses_the_cached_embedding():
    r, emb = retriever(["u0"], ["u0"])
    r.search("paris"), r.search("paris"), r.search("rome")
    assert emb.queries == ["paris", "rome"]


def test_warm_up_runs_one_search_at_construction():
    emb = BagEmbedder()
    r = Retriever(MemorySnapshot(["u0"], ["u0"]), emb, RetrievalSettings(), warm=True)
    assert emb.queries == ["warm-up"] and r.warmup_s is not None
    r.search("paris")
    assert emb.queries == ["warm-up", "paris"]  # the warm-up is not cached as a question


def test_embedding_reranker_reorders_the_fused_candidates():
    bm25 = vec = ["u2", "u1", "u0"]  # both rank the pasta unit first
    plain, _ = retriever(bm25, vec)
    assert plain.search("paris france capital")[0].unit.id == "u2"
    reranked, _ = retriever(bm25, vec, EmbeddingReranker(BagEmbedder()))
    hits = reranked.search("paris france capital")
    assert [h.unit.id for h in hits] == ["u0", "u1"]  # among all 3 candidates, then top 2
    assert hits[0].rerank_score > hits[1].rerank_score


def test_reranker_choices():
    assert make_reranker("none", "x") is None
    with pytest.raises(ValueError, match="embedding"):
        make_reranker("cross-encoder", "x")
    with pytest.raises(ValueError):
        RetrievalSettings(rerank="cross-encoder")
