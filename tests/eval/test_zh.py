"""CMRC-style scoring of Chinese answers and the dispatch by language."""

import pytest

from eval.scoring import f1
from eval.zh import (char_exact_match, char_f1, contains_any, exact_match_any, f1_any, is_chinese,
                     remove_punctuation, segment)


def test_segment_splits_han_into_characters_and_keeps_latin_words():
    assert segment("用 APT-get 安装，软件包。") == ["用", "apt", "get", "安", "装", "软", "件", "包"]


def test_char_f1_counts_the_longest_common_run_of_characters():
    # gold 4 characters, prediction 6 sharing the run 软件包管 (4): P = 4/6, R = 4/4
    assert char_f1("软件包管理器", ["软件包管"]) == pytest.approx(2 * (4 / 6) * 1 / (4 / 6 + 1))
    # the same characters out of order share only runs of one
    assert char_f1("包件软", ["软件包"]) == pytest.approx(1 / 3)
    assert char_f1("无关答案", ["软件包"]) == 0.0
    assert char_f1("软件包", ["错的", "软件包"]) == 1.0  # the best gold counts


def test_squad_f1_is_blind_to_chinese_where_char_f1_is_not():
    # no spaces: SQuAD sees one token each, so a near miss scores 0
    assert f1("Debian软件包管理系统", ["软件包管理系统"]) == 0.0
    assert char_f1("Debian软件包管理系统", ["软件包管理系统"]) > 0.8


def test_exact_match_ignores_punctuation_and_spaces():
    assert remove_punctuation("“dpkg” 命令。") == "dpkg命令"
    assert char_exact_match("“dpkg”命令。", ["dpkg 命令"]) == 1.0
    assert char_exact_match("dpkg 工具", ["dpkg 命令"]) == 0.0


def test_dispatch_by_the_gold_answers_language():
    assert is_chinese("apt 安装") and not is_chinese("apt-get install", "")
    assert f1_any("the dpkg command", ["dpkg command"]) == 1.0  # SQuAD drops "the"
    assert f1_any("它是dpkg命令", ["dpkg命令"]) == pytest.approx(2 * 0.6 * 1 / 1.6)
    assert exact_match_any("Dpkg!", ["dpkg"]) == 1.0
    assert contains_any("答案是：dpkg 命令 [1]", ["dpkg命令"]) == 1.0
    assert contains_any("答案是 apt", ["dpkg命令"]) == 0.0


def test_questions_carry_their_language(tmp_path):
    from eval.questions import load_questions

    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "z", "question": "dpkg 的日志文件在哪里？", "answers": ["/var/log/dpkg.log"]}\n'
                    '{"id": "e", "question": "Where is the dpkg log?", "answers": ["x"]}\n',
                    encoding="utf-8")
    assert [(q.id, q.lang) for q in load_questions(path)] == [("z", "zh"), ("e", "en")]


def test_testset_checks_chinese_items_without_word_boundaries():
    from eval.testset import PROMPT, PROMPT_ZH, QAItem, check, prompt_for
    from smallbatch.records import Doc

    doc = ("作为 Debian 系统管理员，你经常地要处理 .deb 包。\n"
           "dpkg 是处理 .deb 文件（二进制包）的命令，包括提取、分析和\n解包。")
    good = QAItem(question="哪个命令用来解包 .deb 文件？", answer="dpkg",
                  quote="dpkg 是处理 .deb 文件（二进制包）的命令，包括提取、分析和解包。")
    assert check(good, doc) is None  # the quote crosses a line break in the document
    assert check(good.model_copy(update={"answer": "二进制包"}), doc) is None
    assert check(good.model_copy(update={"answer": "rpm"}), doc) == "answer not in quote"
    assert check(good.model_copy(update={"quote": "dpkg 是处理所有文件的命令。"}), doc) == \
        "quote not in document"
    assert check(good.model_copy(update={"answer": ".deb 文件"}), doc) == \
        "answer given away in the question"
    assert prompt_for(Doc("d", doc, {})) is PROMPT_ZH
    assert prompt_for(Doc("e", "The dpkg command unpacks .deb files.", {})) is PROMPT


def test_answer_scores_dispatch_on_gold_or_question_language():
    from eval.zh import answer_scores

    assert answer_scores("用 apt-get 安装", ["apt-get"], "zh")["contains"] == 1.0
    assert answer_scores("用apt-get安装", ["apt-get"], "en")["contains"] == 0.0  # SQuAD tokens
    assert answer_scores("它是dpkg命令", ["dpkg命令"])["f1"] == pytest.approx(2 * 0.6 / 1.6)
    assert answer_scores("the dpkg command", ["dpkg command"]) == {"em": 1.0, "f1": 1.0,
                                                                    "contains": 1.0}
