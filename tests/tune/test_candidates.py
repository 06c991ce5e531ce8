import pytest

from tune.candidates import Candidate, Grid, parse_kinds, parse_weights

KINDS = {"fact", "qa", "summary"}


def grid(**axes) -> Grid:
    base = dict(budgets=(0.5, 1.0), min_scores=(0.0,), weights=("1:1",), kinds=("all",))
    return Grid(**{**base, **axes})


def test_the_grid_is_every_combination_in_axis_order():
    cs = grid(budgets=(0.25, 1.0), min_scores=(0.5, 0.8), weights=("1:1", "0:1"),
              kinds=("all", "fact,qa")).candidates(KINDS)
    assert len(cs) == 2 * 2 * 2 * 2
    assert [c.budget for c in cs[:8]] == [0.25] * 8 and cs[8].budget == 1.0
    assert cs[0] == Candidate(0.25, 0.5, (1.0, 1.0), ("fact", "qa", "summary"), True)
    assert cs[1].kinds == ("fact", "qa") and not cs[1].all_kinds
    assert cs[2].weights == (0.0, 1.0)
    # deterministic: the same grid gives the same candidates in the same order
    assert cs == grid(budgets=(0.25, 1.0), min_scores=(0.5, 0.8), weights=("1:1", "0:1"),
                      kinds=("all", "fact,qa")).candidates(KINDS)


def test_candidates_that_cannot_differ_are_made_once():
    # min_score 0 keeps every unit whatever the weights; 2:2 is 1:1; all-passage is all here
    cs = grid(budgets=(1.0,), min_scores=(0.0, 0.6), weights=("1:1", "2:2", "0:1"),
              kinds=("all", "all-passage")).candidates(KINDS)
    assert [(c.min_score, c.weights) for c in cs] == [(0.0, (1.0, 1.0)), (0.6, (1.0, 1.0)),
                                                      (0.6, (0.0, 1.0))]


def test_default_settings_grid_is_small():
    from smallbatch.settings import TuneSettings

    t = TuneSettings()
    cs = Grid(tuple(t.budgets), tuple(t.min_scores), tuple(t.weights),
              tuple(t.kinds)).candidates(KINDS)
    assert 8 <= len(cs) <= 12
    assert len({c.name for c in cs}) == len(cs)


def test_kinds_specs():
    assert parse_kinds("all", KINDS) == (("fact", "qa", "summary"), True)
    assert parse_kinds("qa,fact", KINDS) == (("fact", "qa"), False)
    assert parse_kinds("fact+qa", KINDS) == (("fact", "qa"), False)
    assert parse_kinds("all-summary", KINDS) == (("fact", "qa"), False)
    assert parse_kinds("all-summary,qa", KINDS) == (("fact",), False)
    assert parse_kinds("all-summary", {"passage"}) == (("passage",), True)
    with pytest.raises(ValueError, match="the store has"):
        parse_kinds("facts", KINDS)
    with pytest.raises(ValueError, match="leaves no kind"):
        parse_kinds("all-fact,qa,summary", KINDS)


def test_weights_and_axes_are_validated():
    assert parse_weights("2:1") == (2.0, 1.0)
    for bad in ("1", "a:b", "0:0", "-1:1"):
        with pytest.raises(ValueError, match="weights"):
            parse_weights(bad)
    with pytest.raises(ValueError, match="budget"):
        grid(budgets=(0.0,))
    with pytest.raises(ValueError, match="budget"):
        grid(budgets=(1500.5,))
    with pytest.raises(ValueError, match="min_score"):
        grid(min_scores=(1.5,))
    with pytest.raises(ValueError, match="kinds is empty"):
        grid(kinds=())


def test_budget_is_a_share_or_tokens():
    share = Candidate(0.25, 0.0, (1.0, 1.0), ("fact",))
    tokens = Candidate(300, 0.0, (1.0, 1.0), ("fact",))
    assert share.budget_tokens(1000) == 250 and tokens.budget_tokens(1000) == 300
    assert share.name.startswith("b0.25 ") and tokens.name.startswith("b300t ")


def test_grid_from_toml_overrides_only_the_axes_it_names(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('budgets = [0.1, 0.2]\nkinds = ["fact"]\n')
    g = Grid.from_toml(path, grid(min_scores=(0.0, 0.7)))
    assert g.budgets == (0.1, 0.2) and g.kinds == ("fact",) and g.min_scores == (0.0, 0.7)
    path.write_text("budget = [0.1]\n")
    with pytest.raises(ValueError, match="unknown keys"):
        Grid.from_toml(path, grid())
    assert grid().replace(budgets=[0.3], kinds=None).budgets == (0.3,)
