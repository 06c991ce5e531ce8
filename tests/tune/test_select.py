from smallbatch.records import Doc
from tune.candidates import Candidate
from tune.select import select, unit_score

GOOD = {"length": 1.0, "symbols": 1.0, "repetition": 1.0}  # heuristic score 1.0
POOR = {"length": 0.25, "symbols": 0.25, "repetition": 0.25}  # heuristic score 0.25


def unit(i: int, rank: int, kind: str = "fact", views=GOOD, judge: float | None = 1.0) -> Doc:
    quality = {"score": 1.0, "views": views}
    if judge is not None:
        quality["judge_score"] = judge
    return Doc(f"u{i}", f"text {i}", {"kind": kind, "coverage_rank": rank, "quality": quality})


def cut(units, tokens, budget=1.0, min_score=0.0, weights=(1.0, 1.0), kinds=None):
    kinds = kinds or tuple(sorted({u.metadata["kind"] for u in units}))
    c = Candidate(budget, min_score, weights, kinds)
    kept, drops = select(units, tokens, c, sum(tokens))
    return kept, drops.summary().get("tune", {})


def test_budget_keeps_a_prefix_of_coverage_rank_order():
    units = [unit(0, 3), unit(1, 0), unit(2, 2), unit(3, 1)]  # rank order: 1, 3, 2, 0
    tokens = [10, 10, 10, 10]
    assert cut(units, tokens, budget=20)[0] == [1, 3]  # the two best ranked, in store order
    assert cut(units, tokens, budget=0.75)[0] == [1, 2, 3]  # 30 of 40 tokens
    kept, dropped = cut(units, tokens, budget=1.0)
    assert kept == [0, 1, 2, 3] and dropped == {}


def test_budget_stops_at_the_first_unit_that_does_not_fit():
    # rank 1 (u1) costs 50: it does not fit in 30, and the cheap rank 2 (u2) is not taken past it
    units = [unit(0, 0), unit(1, 1), unit(2, 2)]
    kept, dropped = cut(units, [10, 50, 5], budget=30)
    assert kept == [0] and dropped == {"over budget": 2}


def test_smaller_budget_is_a_prefix_of_a_larger_one():
    units = [unit(i, (7 * i) % 10) for i in range(10)]
    tokens = [3 + i % 4 for i in range(10)]
    small, large = set(cut(units, tokens, budget=0.3)[0]), set(cut(units, tokens, budget=0.7)[0])
    assert small < large


def test_threshold_drops_low_scores_before_the_budget_is_spent():
    units = [unit(0, 0, views=POOR, judge=0.25), unit(1, 1), unit(2, 2)]
    kept, dropped = cut(units, [10, 10, 10], budget=20, min_score=0.5)
    assert kept == [1, 2]  # the low-quality best-ranked unit does not take the budget
    assert dropped == {"below min score": 1}
    assert cut(units, [10, 10, 10], budget=20, min_score=0.0)[0] == [0, 1]


def test_weights_decide_which_view_counts():
    # u0: good heuristics, poor judge; u1: poor heuristics, good judge
    units = [unit(0, 0, views=GOOD, judge=0.2), unit(1, 1, views=POOR, judge=0.9)]
    tokens = [10, 10]
    assert cut(units, tokens, min_score=0.5, weights=(1.0, 0.0))[0] == [0]  # heuristic only
    assert cut(units, tokens, min_score=0.5, weights=(0.0, 1.0))[0] == [1]  # judge only
    assert cut(units, tokens, min_score=0.5, weights=(1.0, 1.0))[0] == [0, 1]  # 0.6 and 0.575


def test_unit_score():
    assert unit_score({"views": GOOD, "judge_score": 0.5}, (1.0, 1.0)) == 0.75
    assert abs(unit_score({"views": POOR, "judge_score": 1.0}, (3.0, 1.0)) - 0.4375) < 1e-9
    # the judge failed on this unit: scored by its heuristics even with the heuristic weight 0
    assert unit_score({"views": POOR}, (0.0, 1.0)) == 0.25
    assert unit_score({"judge_score": 0.7}, (1.0, 1.0)) == 0.7  # heuristic step was off
    assert unit_score({}, (1.0, 1.0)) is None


def test_unit_without_quality_is_dropped_only_by_a_threshold():
    units = [Doc("u0", "x", {"kind": "fact", "coverage_rank": 0}), unit(1, 1)]
    kept, dropped = cut(units, [5, 5], min_score=0.3)
    assert kept == [1] and dropped == {"no quality score": 1}
    assert cut(units, [5, 5], min_score=0.0)[0] == [0, 1]


def test_kinds_left_out_are_counted_by_kind():
    units = [unit(0, 0, "fact"), unit(1, 1, "summary"), unit(2, 2, "qa"), unit(3, 3, "summary")]
    kept, dropped = cut(units, [5] * 4, kinds=("fact", "qa"))
    assert kept == [0, 2] and dropped == {"kind summary left out": 2}


def test_keys_cost_nothing_and_leave_with_their_passage():
    """A source-text store: keys (0 tokens, load_full_store) share their passage's rank; a cut
    that leaves a passage out leaves its keys out too, never a key pointing at nothing."""
    p0, p1 = unit(0, 0, kind="passage"), unit(1, 1, kind="passage")
    k0 = Doc("k0", "fact of p0", {"kind": "fact", "coverage_rank": 0, "key": True,
                                  "parent": "u0", "quality": p0.metadata["quality"]})
    k1 = Doc("k1", "fact of p1", {"kind": "fact", "coverage_rank": 1, "key": True,
                                  "parent": "u1", "quality": p0.metadata["quality"]})
    units, tokens = [k1, p0, k0, p1], [0, 10, 0, 10]
    kept, dropped = cut(units, tokens, budget=10)
    assert [units[i].id for i in kept] == ["u0", "k0"]
    assert dropped == {"over budget": 1, "its passage left out": 1}
