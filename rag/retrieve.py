"""Hybrid retrieval: BM25 and vector search over the same units, fused by weighted RRF."""

from __future__ import annotations

from dataclasses import dataclass

from rag.fusion import weighted_rrf
from rag.snapshot import Snapshot
from smallbatch.embed import Embedder
from smallbatch.records import Doc
from smallbatch.settings import RetrievalSettings
from smallbatch.text import tokenize


@dataclass(slots=True)
class Hit:
    unit: Doc
    score: float  # fused RRF score
    bm25_rank: int | None
    vector_rank: int | None
    similarity: float | None  # cosine to the query, if the vector search found it


class Retriever:
    def __init__(self, snapshot: Snapshot, embedder: Embedder, cfg: RetrievalSettings):
        if cfg.bm25_weight == 0 and cfg.vector_weight == 0:
            raise ValueError("retrieval: bm25_weight and vector_weight cannot both be 0")
        self.snapshot = snapshot
        self.embedder = embedder
        self.cfg = cfg

    def search(self, query: str, top_k: int | None = None) -> list[Hit]:
        top_k = top_k or self.cfg.top_k
        n = max(self.cfg.candidates, top_k)
        bm25 = self.snapshot.bm25_search(tokenize(query), n) if self.cfg.bm25_weight else []
        vec = (self.snapshot.vector_search(self.embedder.encode([query])[0], n)
               if self.cfg.vector_weight else [])
        fused = weighted_rrf(
            {"bm25": [i for i, _ in bm25], "vector": [i for i, _ in vec]},
            {"bm25": self.cfg.bm25_weight, "vector": self.cfg.vector_weight},
            k=self.cfg.rrf_k,
        )
        bm25_rank = {i: r for r, (i, _) in enumerate(bm25, start=1)}
        vec_rank = {i: r for r, (i, _) in enumerate(vec, start=1)}
        sim = dict(vec)
        return [
            Hit(self.snapshot.units[i], s, bm25_rank.get(i), vec_rank.get(i), sim.get(i))
            for i, s in fused[:top_k]
        ]
