"""Weighted reciprocal rank fusion.

RRF (Cormack, Clarke & Buettcher, SIGIR 2009): score(d) = sum_r w_r / (k + rank_r(d)), ranks
starting at 1, summed over the rankings in which d appears. It fuses by rank, so a BM25 score and
a cosine similarity are never added together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def weighted_rrf(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked id lists; returns (id, score) best first, ties broken by id for determinism."""
    if k < 1:
        raise ValueError(f"rrf k must be >= 1, got {k}")
    missing = set(rankings) - set(weights)
    if missing:
        raise ValueError(f"no weight for ranking(s) {sorted(missing)}; weights given: {sorted(weights)}")
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights[name]
        if w == 0:
            continue
        seen: set[str] = set()
        for rank, doc_id in enumerate(ids, start=1):
            if doc_id in seen:  # a ranking lists an id once; ignore repeats
                continue
            seen.add(doc_id)
            scores[doc_id] = scores.get(doc_id, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
