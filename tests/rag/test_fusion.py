import random

import pytest

from rag.fusion import weighted_rrf


def brute_force(rankings, weights, k):
    """Reference: for every id in any ranking, sum w / (k + 1-based position)."""
    ids = {i for r in rankings.values() for i in r}
    out = {}
    for doc in ids:
        total = 0.0
        for name, ranking in rankings.items():
            if doc in ranking:
                total += weights[name] / (k + ranking.index(doc) + 1)
        out[doc] = total
    return out


@pytest.mark.parametrize("seed", range(25))
def test_matches_brute_force(seed):
    rng = random.Random(seed)
    pool = [f"d{i}" for i in range(30)]
    rankings = {name: rng.sample(pool, rng.randint(0, 20)) for name in ("bm25", "vector", "x")}
    weights = {name: rng.choice([0.0, 0.5, 1.0, 2.0]) for name in rankings}
    k = rng.choice([1, 10, 60])
    fused = weighted_rrf(rankings, weights, k)
    ref = brute_force(rankings, {n: w for n, w in weights.items()}, k)
    ref = {d: s for d, s in ref.items() if s > 0}
    assert {d for d, _ in fused} == set(ref)
    for d, s in fused:
        assert s == pytest.approx(ref[d])
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)


def test_weights_change_the_winner():
    rankings = {"bm25": ["a", "b"], "vector": ["b", "a"]}
    assert weighted_rrf(rankings, {"bm25": 2.0, "vector": 1.0})[0][0] == "a"
    assert weighted_rrf(rankings, {"bm25": 1.0, "vector": 2.0})[0][0] == "b"


def test_agreement_beats_a_single_first_place():
    rankings = {"bm25": ["solo", "both"], "vector": ["both"]}
    assert weighted_rrf(rankings, {"bm25": 1, "vector": 1})[0][0] == "both"


def test_bad_settings_fail_early():
    with pytest.raises(ValueError, match="no weight"):
        weighted_rrf({"bm25": ["a"]}, {"vector": 1.0})
    with pytest.raises(ValueError, match="k must be"):
        weighted_rrf({"bm25": ["a"]}, {"bm25": 1.0}, k=0)
