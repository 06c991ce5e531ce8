"""Importance weights toward the questions people ask: DSIR (Xie et al., 2023, "Data Selection
for Language Models via Importance Resampling").

Features are hashed n-grams: the unigrams and bigrams of ``smallbatch.text.tokenize`` (stopwords
out, Chinese segmented), each hashed by CRC-32 (stable across processes, unlike ``hash()``) into
``BUCKETS`` buckets. The target distribution p is the bucket frequencies of the logged (masked)
questions; the base distribution q those of the candidate units. A unit's DSIR log weight is
sum_f n_f (log p_f - log q_f) over its features.

Two deviations, both because the target is a few hundred short questions, not a corpus:

- p is smoothed by interpolating with the base, p' = λ p + (1 - λ) q (Jelinek & Mercer, 1980),
  not by add-α: an n-gram no question used then costs every unit the same log(1 - λ), whereas
  add-α would reward units for n-grams that are merely rare in the store.
- the log weight is taken per n-gram (the mean log ratio), then scaled to the mean unit length:
  a unit's weight is its DSIR weight as if it had the average number of n-grams. With the raw
  sum, a long passage that is 10% on topic loses to a short off-topic fact.

Users ask about topics, and the log holds only some of a topic's questions: with
``source_share`` s > 0 a unit's weight becomes (1 - s) w + s w̄, w̄ the mean weight of the units
from the same source document, so the budget reaches the other paragraphs of the sources people
ask about, not just the ones the logged questions happened to touch.

``gumbel_order`` then samples units without replacement in proportion to exp(weight) (the
Gumbel top-k trick: Vieira, 2014; Kool et al., 2019), seeded, as DSIR's resampling does.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np

from ingest.errors import IngestError
from querylog import log as querylog
from smallbatch.text import ngrams, tokenize

BUCKETS = 10_000  # DSIR's default number of hashed features
MIX = 0.5  # λ: the weight of the questions' own frequencies in the smoothed target
def buckets(text: str, n: int = BUCKETS) -> np.ndarray:
    """The text's hashed n-gram features, one bucket index per n-gram occurrence."""
    return np.fromiter((zlib.crc32(g.encode("utf-8")) % n for g in ngrams(text)), dtype=np.int64)


def distribution(features: list[np.ndarray], n: int = BUCKETS, alpha: float = 1.0) -> np.ndarray:
    """Add-α smoothed bucket probabilities over a collection of texts' features."""
    counts = np.bincount(np.concatenate([*features, np.zeros(0, np.int64)]), minlength=n)
    counts = counts.astype(np.float64) + alpha
    return counts / counts.sum()


def log_ratio(target: list[np.ndarray], base: list[np.ndarray], n: int = BUCKETS,
              mix: float = MIX) -> np.ndarray:
    """log p'_f - log q_f per bucket, p' the target interpolated with the base."""
    if not 0.0 < mix < 1.0:
        raise ValueError(f"mix must be in (0, 1), got {mix}")
    q = distribution(base, n)
    p = distribution(target, n, alpha=0.0) if sum(len(t) for t in target) else q
    return np.log(mix * p + (1.0 - mix) * q) - np.log(q)


def importance(units: list[str], questions: list[str], n: int = BUCKETS) -> np.ndarray:
    """Length-normalised DSIR log importance weight of each unit toward the questions."""
    feats = [buckets(u, n) for u in units]
    ratio = log_ratio([buckets(q, n) for q in questions], feats, n)
    length = float(np.mean([len(f) for f in feats])) if feats else 0.0
    floor = float(np.log(1.0 - MIX))  # a unit without a token shares nothing with any question
    return np.array([(ratio[f].mean() if len(f) else floor) * length for f in feats])


def by_source(log_weights: np.ndarray, sources: list[str], share: float) -> np.ndarray:
    """Each weight moved ``share`` of the way to the mean weight of its source's units."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"source share must be in [0, 1], got {share}")
    w = np.asarray(log_weights, dtype=np.float64)
    if share == 0.0 or not len(w):
        return w
    keys, group = np.unique(np.asarray(sources, dtype=object), return_inverse=True)
    mean = np.bincount(group, weights=w, minlength=len(keys)) / np.bincount(group)
    return (1.0 - share) * w + share * mean[group]


def gumbel_order(log_weights: np.ndarray, seed: int) -> list[int]:
    """Indices sampled without replacement, each draw in proportion to exp(weight)."""
    rng = np.random.default_rng(seed)
    keys = np.asarray(log_weights, dtype=np.float64) + rng.gumbel(size=len(log_weights))
    return [int(i) for i in np.argsort(-keys, kind="stable")]


class QueryTarget:
    """The questions of a query log, as the target of a query-aware budget."""

    def __init__(self, path: Path, weight: float, seed: int, source_share: float = 0.0) -> None:
        if not 0.0 <= source_share <= 1.0:
            raise ValueError(f"query source share must be in [0, 1], got {source_share}")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"query weight must be in [0, 1], got {weight}")
        path = Path(path)
        if not path.is_file():
            raise IngestError(f"query log {path}: no such file (serve.query_log writes it); give "
                              "the log a server wrote, or leave out the query log")
        data = path.read_bytes()
        rows, _ = querylog.parse(data)
        if not rows:
            raise IngestError(f"query log {path}: no readable question rows; give the log a "
                              "server wrote, or leave out the query log")
        self.questions = [querylog.text_of(r) for r in rows]
        self.weight, self.seed, self.source_share = weight, seed, source_share
        self.info = {**querylog.summary(path, data), "weight": weight, "seed": seed,
                     "source_share": source_share, "buckets": BUCKETS, "mix": MIX}

    def order(self, units: list[str], sources: list[str] | None = None
              ) -> tuple[list[int], np.ndarray]:
        """The units in importance order (sampled), and their log weights (smoothed over each
        unit's source when ``sources`` are given and source_share > 0)."""
        w = importance(units, self.questions)
        if sources is not None:
            w = by_source(w, sources, self.source_share)
        return gumbel_order(w, self.seed), w
