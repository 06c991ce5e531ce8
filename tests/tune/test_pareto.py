import pytest

from tune.pareto import choose, front


def pts(*rows):
    """(tokens, f1) rows -> points; f1 None = not evaluated."""
    return [{"name": f"p{i}", "store_tokens": t, "f1": f} for i, (t, f) in enumerate(rows)]


def test_front_keeps_only_undominated_points_fewest_tokens_first():
    points = pts((400, 0.50), (100, 0.30), (200, 0.45), (300, 0.40), (250, 0.45), (100, 0.20))
    # p3 is dominated by p2 (fewer tokens, more F1); p4 ties p2 on F1 with more tokens; p5 by p1
    assert front(points) == [1, 2, 0]


def test_equal_points_are_both_on_the_front_and_unscored_ones_are_not():
    points = pts((100, 0.5), (100, 0.5), (50, None), (300, 0.6))
    assert front(points) == [0, 1, 3]


def test_choice_is_the_smallest_store_within_the_tolerance():
    points = pts((1000, 0.600), (500, 0.595), (250, 0.580), (100, 0.400))
    assert choose(points, 0.01) == 1  # 0.595 >= 0.600 - 0.01; 0.580 is not
    assert choose(points, 0.0) == 0  # no tolerance: the best
    assert choose(points, 0.05) == 2
    assert choose(points, 1.0) == 3


def test_choice_on_tied_tokens_takes_the_better_f1_and_is_on_the_front():
    points = pts((900, 0.70), (300, 0.65), (300, 0.69), (200, 0.50), (600, 0.695))
    chosen = choose(points, 0.02)
    assert chosen == 2 and chosen in front(points)


@pytest.mark.parametrize("tol", [0.0, 0.005, 0.01, 0.03, 0.1, 0.5])
def test_the_chosen_point_is_always_on_the_front(tol):
    points = pts((120, 0.41), (80, 0.40), (400, 0.52), (390, 0.515), (200, 0.47), (210, 0.50),
                 (80, 0.39), (60, None))
    assert choose(points, tol) in front(points)


def test_choice_needs_an_evaluated_point_and_a_tolerance_of_zero_or_more():
    with pytest.raises(ValueError, match="no evaluated point"):
        choose(pts((10, None)), 0.01)
    with pytest.raises(ValueError, match="tolerance"):
        choose(pts((10, 0.5)), -0.1)
