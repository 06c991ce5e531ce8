"""Hybrid retrieval: BM25 and vector search over the same units, fused by weighted RRF, with an
optional rerank stage.

In a source-text store (``answer_from == "source"``) the fused hits, keys and passages alike,
lead to the passages they point at, one per passage, ranked by its best hit: shown as focused
stretches of their section (rag/recentre.py) like a clean store's passages, or, with recentring
off, as windows of the sentences the hits point at (rag/windows.py)."""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from rag import neighbours, recentre, windows
from rag.fusion import weighted_rrf
from rag.open_snapshot import Snapshot
from rag.query_cache import QueryVectors
from smallbatch.records import Doc
from smallbatch.settings import RetrievalSettings
from smallbatch.text import tokenize

if TYPE_CHECKING:
    from rag.rerank import Reranker

# BM25 runs here while the question is embedded on the caller's thread (the model releases
# the GIL), so a hybrid search costs about one embedding, not embedding + BM25.
_BM25_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")


@dataclass(slots=True)
class Hit:
    unit: Doc
    score: float  # fused RRF score
    bm25_rank: int | None
    vector_rank: int | None
    similarity: float | None  # cosine to the query, if the vector search found it
    rerank_score: float | None = None  # set when a rerank stage ordered the hits


class Retriever:
    def __init__(self, snapshot: Snapshot, embedder, cfg: RetrievalSettings,
                 reranker: Reranker | None = None, warm: bool = True):
        """``warm``: run one search now, so the first question does not pay for loading the
        vector index, paging in the BM25 arrays, the model's first call and (recentring) the
        sections of the store's passages."""
        if cfg.bm25_weight == 0 and cfg.vector_weight == 0:
            raise ValueError("retrieval: bm25_weight and vector_weight cannot both be 0")
        self.snapshot = snapshot
        self.embedder = embedder
        self.cfg = cfg
        self.reranker = reranker
        self.query_vector = QueryVectors(embedder, cfg.query_cache_size)
        self._unit_vectors: dict[str, np.ndarray] = {}  # stored passage vectors, unit length
        self.warmup_s: float | None = None
        if warm:
            t = time.perf_counter()
            vec = embedder.encode_query(["warm-up"])[0]  # not cached: not a real question
            snapshot.vector_search(vec, 1)
            snapshot.bm25_search(tokenize("warm up"), 1)
            if self.recentring:
                self.sections  # the passages by section and their word counts, built once
            self.warmup_s = time.perf_counter() - t

    def search(self, query: str, top_k: int | None = None) -> list[Hit]:
        top_k = top_k or self.cfg.top_k
        n = max(self.cfg.candidates, top_k)
        tokens = tokenize(query)
        both = self.cfg.bm25_weight and self.cfg.vector_weight
        pending = _BM25_THREAD.submit(self.snapshot.bm25_search, tokens, n) if both else None
        vec = (self.snapshot.vector_search(self.query_vector(query), n)
               if self.cfg.vector_weight else [])
        if pending is not None:
            bm25 = pending.result()
        else:
            bm25 = self.snapshot.bm25_search(tokens, n) if self.cfg.bm25_weight else []
        fused = weighted_rrf(
            {"bm25": [i for i, _ in bm25], "vector": [i for i, _ in vec]},
            {"bm25": self.cfg.bm25_weight, "vector": self.cfg.vector_weight},
            k=self.cfg.rrf_k,
        )
        ranks = ({i: r for r, (i, _) in enumerate(bm25, start=1)},
                 {i: r for r, (i, _) in enumerate(vec, start=1)}, dict(vec))
        reach = 0 if self.shows_windows else self.cfg.merge_neighbours
        # recentring: the reorder pool, plus spares for stretches that overlap a shown one
        keep = n if self.reranker else max(top_k + reach, self.pool) + (top_k if self.pool else 0)
        if self.shown_as in ("window", "passage"):
            hits = self._passages(fused, ranks, query, keep, self.shown_as == "passage")
        else:
            hits = [Hit(self.snapshot.units[i], s, ranks[0].get(i), ranks[1].get(i),
                        ranks[2].get(i)) for i, s in fused[:keep]]
        if self.reranker:
            hits = self.reranker.rerank(query, hits)
        if not self.recentring:
            return neighbours.merge(hits, top_k, reach)
        return self._recentred(hits, query, top_k, reach)

    def _recentred(self, hits: list[Hit], query: str, top_k: int, reach: int) -> list[Hit]:
        """The best ``pool`` hits reordered by their best sentence, then each shown as a
        stretch around that sentence (rag/recentre.py); a stretch overlapping one already
        shown is skipped and the next hit takes its place."""
        qvec = self.query_vector(query) if self.cfg.recentre == "meaning" else None
        if self.pool > 1:
            order = recentre.by_best_sentence([h.unit for h in hits[:self.pool]], self.sections,
                                              query, qvec)
            hits = [hits[i] for i in order] + hits[self.pool:]
        shown: list[Hit] = []
        for h in neighbours.merge(hits, len(hits), reach):
            unit = recentre.recentre(h.unit, self.sections, query, qvec, self.cfg.recentre_share or 1.0)
            if not any(recentre.overlap(unit, s.unit) for s in shown):
                shown.append(replace(h, unit=unit))
            if len(shown) == top_k:
                break
        return shown

    @property
    def recentring(self) -> bool:
        """Shown hits are recentred stretches (rag/recentre.py); never for window stores."""
        return self.cfg.recentre != "off" and not self.shows_windows

    @property
    def pool(self) -> int:
        """How many of the best hits are reordered by their best sentence (recentring only)."""
        return (self.cfg.recentre_pool or 1) if self.recentring else 0

    @functools.cached_property
    def sections(self) -> recentre.Sections:
        """The snapshot's passages by section, for recentring (built on first use)."""
        encode = self.embedder.encode if self.cfg.recentre == "meaning" else None
        return recentre.Sections(self.snapshot.units, encode)

    @property
    def shown_as(self) -> str:
        """What a hit becomes: "window" (the sentences hits point at, rag/windows.py),
        "passage" (the passage a key points at, whole, then recentred) or "unit" (as stored).
        Auto: source-text stores show passages, or windows with recentring off; others units."""
        if self.cfg.show != "auto":
            return self.cfg.show
        if getattr(self.snapshot, "answer_from", "unit") != "source":  # in-memory fakes: units
            return "unit"
        return "window" if self.cfg.recentre == "off" else "passage"

    @property
    def shows_windows(self) -> bool:
        return self.shown_as == "window"

    def _passages(self, fused: list[tuple[str, float]], ranks: tuple[dict, dict, dict],
                  query: str, keep: int, whole: bool) -> list[Hit]:
        """One hit per passage the fused list reaches: the passage (``whole``) or its window,
        the score and ranks of its best hit, and a similarity for the abstention gate: with
        ``whole``, the passage's own cosine to the question (the gate's threshold is set on
        passages, and a teacher's short question key matches any question of its form: on the
        second corpus, gated on keys, the shipped reader abstained on 18 of 30 unanswerable
        questions from curated passages, 25 from clean ones); else the best of its hits'."""
        bm25_rank, vec_rank, sim = ranks
        score = dict(fused)
        marks = windows.mark(self.snapshot.units, [i for i, _ in fused], query, keep)
        own = self._own_similarity([m.passage.id for m in marks], query) if whole else {}
        hits = []
        for m in marks:
            best = m.ids[0]
            sims = [sim[i] for i in m.ids if i in sim]
            shown = m.passage if whole else windows.window(m, self.cfg.window_sentences)
            gate = own.get(m.passage.id, max(sims) if sims else None)
            hits.append(Hit(shown, score[best], bm25_rank.get(best), vec_rank.get(best), gate))
        return hits

    KEEP_VECTORS = 100_000  # passage vectors kept (~150 MB at 384 dimensions)

    def _own_similarity(self, ids: list[str], query: str) -> dict[str, float]:
        """Cosine of each passage's stored vector to the question (none without vectors).
        Vectors read from the store are kept: a snapshot never changes, and reading them on
        every search cost ~0.7 ms against a 2.4 ms search (bench-curated)."""
        stored = getattr(self.snapshot, "vectors", None)
        if stored is None or not self.cfg.vector_weight or not ids:
            return {}
        kept = self._unit_vectors
        vecs = {i: kept.get(i) for i in ids}
        missing = [i for i, v in vecs.items() if v is None]
        if missing:
            if len(kept) > self.KEEP_VECTORS:
                kept.clear()
            for i, v in stored(missing).items():
                kept[i] = vecs[i] = v / (float(np.linalg.norm(v)) or 1.0)
        q = np.asarray(self.query_vector(query), dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        return {i: float(v @ q) for i, v in vecs.items() if v is not None}
