"""Scope is a property of topics, not of single passages: the judge's off-scope votes are pooled
over each passage's nearest neighbours in the corpus.

On the heavy benchmark corpus the judge (the 1.5B) voted off scope on 9 of 23 off-topic passages
and on 5 of 73 on-topic ones: taken one by one, its votes kept 1,373 of 2,179 off-topic words and
cut 253 on-topic ones. Pooled over a passage and its 8 nearest neighbours, a third of the votes
needed to drop, the same votes dropped 18 of the 23 and none of the 73: 510 off-topic words kept,
0 on-topic cut (``python -m bench.scope_vote``, bench/results/scope_vote.json; the defaults were
chosen there, on that one corpus: at 8 neighbours any share from 1/4 to 1/3 gives the same).
A lone mistaken vote inside an on-topic neighbourhood is outvoted; an off-topic page is dropped
with its neighbours even where the judge missed some of its passages.
"""

from __future__ import annotations

import numpy as np


def pooled_votes(vectors: np.ndarray, votes: np.ndarray, neighbours: int) -> np.ndarray:
    """Per passage, the share of off-scope votes (1.0 = off) among itself and its
    ``neighbours`` nearest passages by cosine similarity (``vectors`` are unit-normalised)."""
    n = len(votes)
    k = min(neighbours, n - 1)
    if k <= 0:
        return votes.astype(float)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, np.inf)  # each passage is its own first neighbour
    nearest = np.argpartition(-sims, k, axis=1)[:, :k + 1]
    return votes[nearest].mean(axis=1)
