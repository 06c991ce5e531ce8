"""The Chinese/English side-by-side: English rows from the hand-written pairs, records paired by
system and question id."""

from eval.side_by_side import compare, english_rows, markdown


def test_english_rows_keep_the_id_and_page_and_skip_rows_without_a_counterpart():
    rows = [{"id": "zh-1", "question": "问？", "answers": ["甲"], "source_ids": ["handbook/a.md"],
             "en_question": "Q?", "en_answers": ["A"], "en_source": "en-US a.md"},
            {"id": "zh-2", "question": "问二？", "answers": ["乙"], "source_ids": ["handbook/b.md"]}]
    assert english_rows(rows) == [{"id": "zh-1", "question": "Q?", "answers": ["A"],
                                   "source_ids": ["handbook/a.md"], "lang": "en",
                                   "source": "en-US a.md"}]


def test_compare_pairs_by_system_and_question():
    rec = lambda f1: {"f1": f1, "recall_at_5": 1.0, "citation_correct": 1.0}  # noqa: E731
    zh = {("s", "q1"): rec(1.0), ("s", "q2"): rec(0.5), ("s", "q3"): rec(0.0),
          ("only-zh", "q1"): rec(1.0)}
    en = {("s", "q1"): rec(0.5), ("s", "q2"): rec(0.5)}
    [row] = compare(zh, en)
    assert (row["system"], row["n"], row["f1_zh"], row["f1_en"]) == ("s", 2, 0.75, 0.5)
    assert row["f1_zh_minus_en"] == 0.25 and row["f1_zh_minus_en_ci"][0] <= 0.25
    assert "| s | 2 | 0.75 | 0.5 | +0.250" in markdown([row])


def test_subsets_split_a_run_by_question_source():
    from eval.side_by_side import subsets

    rec = lambda f1, ok=True, ab=False: {"f1": f1, "answerable": ok, "abstained": ab}  # noqa: E731
    rows = subsets({("s", "zh-hand-001"): rec(1.0), ("s", "zh-hand-002"): rec(0.0),
                    ("s", "testset_qa_zh-1"): rec(0.5), ("s", "zh-unans-1"): rec(0.0, False, True)})
    by = {r["source"]: r for r in rows}
    assert by["zh-hand"]["n"] == 2 and by["zh-hand"]["f1"] == 0.5
    assert by["testset_qa_zh"]["f1"] == 0.5 and by["zh-unans"]["abstained"] == 1.0
    assert "f1" not in by["zh-unans"]
