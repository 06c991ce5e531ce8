"""Scoring one answer: SQuAD exact match and F1, containment, retrieval recall and reciprocal
rank, and the bootstrap confidence interval of a mean.

EM and F1 follow the official SQuAD v1.1 evaluation script (Rajpurkar et al., 2016): lower-case,
drop punctuation, drop the articles a/an/the, collapse whitespace; F1 is over bag-of-tokens and
the best over the gold answers counts.
"""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(s: str) -> str:
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", s).split())


def exact_match(prediction: str, gold: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in gold))


def overlap_f1(same: int, n_pred: int, n_true: int) -> float:
    """F1 of a prediction sharing ``same`` tokens (or characters) with the truth."""
    if same == 0:
        return 0.0
    precision, recall = same / n_pred, same / n_true
    return 2 * precision * recall / (precision + recall)


def _f1(prediction: str, truth: str) -> float:
    pred, true = normalize_answer(prediction).split(), normalize_answer(truth).split()
    return overlap_f1(sum((Counter(pred) & Counter(true)).values()), len(pred), len(true))


def f1(prediction: str, gold: Sequence[str]) -> float:
    return max((_f1(prediction, g) for g in gold), default=0.0)


def contains(prediction: str, gold: Sequence[str]) -> float:
    """1 if some normalised gold answer occurs inside the normalised prediction."""
    p = f" {normalize_answer(prediction)} "
    return float(any(f" {normalize_answer(g)} " in p for g in gold if normalize_answer(g)))


def recall_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    return float(bool(set(retrieved[:k]) & set(gold)))


def reciprocal_rank(retrieved: Sequence[str], gold: Sequence[str]) -> float:
    for rank, sid in enumerate(retrieved, start=1):
        if sid in gold:
            return 1.0 / rank
    return 0.0


def bootstrap_ci(values: Sequence[float], n_resamples: int = 2000, alpha: float = 0.05,
                 seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap of the mean. NaN values must be removed first."""
    vals = list(values)
    if any(isinstance(v, float) and math.isnan(v) for v in vals):
        raise ValueError("bootstrap_ci got NaN: count unscored items separately, do not average them")
    if not vals:
        return (float("nan"),) * 3
    rng = random.Random(seed)
    n = len(vals)
    means = sorted(sum(rng.choices(vals, k=n)) / n for _ in range(n_resamples))
    lo = means[int(alpha / 2 * n_resamples)]
    hi = means[min(n_resamples - 1, int((1 - alpha / 2) * n_resamples))]
    return sum(vals) / n, lo, hi
