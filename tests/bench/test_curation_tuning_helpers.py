"""The benchmark helpers that decide reported figures: the answer oracle and the skewed split."""

from __future__ import annotations

from bench.curation import answer_oracle
from bench.tuning import skewed
from eval.questions import Question


def words(text: str) -> int:
    return len(text.split())


def test_the_oracle_takes_the_cheapest_sentences_that_hold_the_answers():
    paragraphs = [{"text": "Paris is big. The long and winding history of Paris has many "
                           "chapters. Lyon has 500,000 people."}]
    questions = [{"answers": ["Paris"]}, {"answers": ["500,000"]}]
    o = answer_oracle(paragraphs, questions, words, target=1.0)
    assert o["sentences"] == 3 and o["sentences_holding_an_answer"] == 3
    assert o["tokens_for_target"] == 3 + 4 and o["recall"] == 1.0  # not the 11-word sentence
    half = answer_oracle(paragraphs, questions, words, target=0.5)
    assert half["tokens_for_target"] == 3 and half["recall"] == 0.5


def test_skewed_split_is_disjoint_and_mostly_about_the_hot_pages():
    qs = [Question(f"{p}-{i}", "q", ["a"], [f"page{p}"]) for p in range(10) for i in range(20)]
    log, held, hot = skewed(qs, hot=2, seed=3, share=0.8)
    assert len(hot) == 2 and not {q.id for q in log} & {q.id for q in held}
    for part in (log, held):
        on = sum(q.source_ids[0] in hot for q in part)
        assert on == 20 and len(part) == 25  # 20 of the hot pages' 40 each, 80 %


def test_pooled_query_aware_means_and_paired_differences_span_every_log():
    from bench.query_aware import pooled

    logs = [{"per_question": {"uniform": [0.0, 1.0], "query_aware_s0": [1.0, 1.0]}},
            {"per_question": {"uniform": [0.5], "query_aware_s0": [0.5]}}]
    out = pooled(logs, ["uniform", "query_aware_s0"])
    assert out["uniform"] == {"f1": 0.5, "n": 3}
    assert out["query_aware_s0"]["f1"] == 0.8333 and out["query_aware_s0"]["n"] == 3
    diff = out["query_aware_s0"]["minus_uniform_f1"]
    assert diff["mean"] == 0.3333 and diff["ci95"][0] <= diff["mean"] <= diff["ci95"][1]
    assert "minus_uniform_f1" not in out["uniform"]


def test_budget_and_recall_count_only_reader_visible_units(tmp_path, monkeypatch):
    """Keys (facts, questions pointing at a passage) cost no budget and are not what the reader
    is shown: an answer only a key holds is not recalled."""
    import bench.curation as c

    rows_ = [{"text": "Paris is big", "metadata": {"coverage_rank": 0}},
             {"text": "Lyon has 500,000 people", "metadata": {"coverage_rank": 1}},
             {"text": "Marseille is old and a port", "metadata": {"key": True, "parent": "x"}}]
    monkeypatch.setattr(c, "units", lambda snapshot: rows_)
    assert [u["text"] for u in c.visible(rows_)] == ["Paris is big", "Lyon has 500,000 people"]
    questions = [{"answers": ["Paris"]}, {"answers": ["500,000"]}, {"answers": ["port"]}]
    curve = {r["budget"]: r for r in c.recall_by_budget(questions, tmp_path, 10, words)}
    assert curve[1.0]["store_tokens"] == 3 + 4
    assert curve[1.0]["answer_string_recall"] == round(2 / 3, 4)
    assert curve[0.5]["store_tokens"] == 3 and curve[0.5]["answer_string_recall"] == round(1 / 3, 4)
