import math

import pytest

from eval.scoring import (bootstrap_ci, contains, exact_match, f1, normalize_answer,
                          recall_at_k, reciprocal_rank)


@pytest.mark.parametrize("raw,norm", [
    ("The Eiffel Tower!", "eiffel tower"),
    ("  a  Cat, an apple and THE dog. ", "cat apple and dog"),
    ("Denver Broncos", "denver broncos"),
    ("theory", "theory"),          # 'the' inside a word is kept
    ("1,347", "1347"),
])
def test_squad_normalisation(raw, norm):
    assert normalize_answer(raw) == norm


def test_exact_match_and_f1_worked_examples():
    gold = ["Denver Broncos", "The Denver Broncos"]
    assert exact_match("the denver broncos.", gold) == 1.0
    assert exact_match("Broncos", gold) == 0.0
    # "Broncos won" vs "Denver Broncos": 1 common token, P=1/2, R=1/2 -> F1=0.5
    assert f1("Broncos won", gold) == pytest.approx(0.5)
    assert f1("Carolina Panthers", gold) == 0.0
    assert f1("", gold) == 0.0
    assert contains("It was the Denver Broncos [1].", gold) == 1.0
    assert contains("Broncos", gold) == 0.0


def test_retrieval_metrics():
    assert recall_at_k(["a", "b", "c"], ["c"], 2) == 0.0
    assert recall_at_k(["a", "b", "c"], ["c"], 3) == 1.0
    assert reciprocal_rank(["a", "b", "c"], ["b", "z"]) == 0.5
    assert reciprocal_rank(["a"], ["z"]) == 0.0


def test_bootstrap_ci_brackets_the_mean_and_refuses_nan():
    mean, lo, hi = bootstrap_ci([0.0, 1.0] * 50)
    assert mean == 0.5 and lo < 0.5 < hi and hi - lo < 0.25
    assert bootstrap_ci([1.0] * 10)[1:] == (1.0, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_ci([1.0, math.nan])
