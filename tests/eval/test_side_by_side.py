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
