"""bench/gate.py: the share of answerable and unanswerable questions each similarity lets
through at each threshold."""

from bench.gate import THRESHOLDS, passing


def test_passing_counts_each_kind_of_question_apart_and_a_missing_similarity_never_passes():
    rows = [{"answerable": True, "passage": 0.5}, {"answerable": True, "passage": 0.12},
            {"answerable": False, "passage": 0.22}, {"answerable": False, "passage": None}]
    got = passing(rows, "passage")
    assert list(got) == [str(t) for t in THRESHOLDS]
    assert got["0.1"] == {"answerable": 1.0, "unanswerable": 0.5}
    assert got["0.2"] == {"answerable": 0.5, "unanswerable": 0.5}
    assert got["0.25"] == {"answerable": 0.5, "unanswerable": 0.0}
    assert got["0.5"] == {"answerable": 0.5, "unanswerable": 0.0}
