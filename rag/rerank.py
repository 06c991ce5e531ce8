"""An optional second stage: re-order the fused candidates before the top k are kept.

A reranker takes the question and the candidate hits (best first) and returns them in a new
order. No cross-encoder weights ship offline, so the one here is embedding-based: candidates
are ordered by cosine similarity to the question under a second embedder (by default the
multilingual E5, a different model from the one that found them). Off by default
(``retrieval.rerank = "none"``); bench/retrieval.py measures what it buys.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from rag.retrieve import Hit


class Reranker(Protocol):
    name: str

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


class EmbeddingReranker:
    name = "embedding"

    def __init__(self, embedder, text_of=lambda hit: hit.unit.text):
        self.embedder = embedder
        self.text_of = text_of

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return []
        q = self.embedder.encode_query([query])[0]
        sims = self.embedder.encode([self.text_of(h) for h in hits]) @ q
        order = sorted(range(len(hits)), key=lambda i: (-float(sims[i]), i))  # stable on ties
        return [replace(hits[i], rerank_score=float(sims[i])) for i in order]


def make_reranker(kind: str, embedder_name: str) -> Reranker | None:
    if kind == "none":
        return None
    if kind == "embedding":
        from smallbatch.embed import get_embedder

        return EmbeddingReranker(get_embedder(embedder_name))
    raise ValueError(f"rerank {kind!r}: choose one of ['none', 'embedding']")
