"""The answer prompt asks for a Chinese answer when, and only when, the question is Chinese."""

from rag.prompt import ANSWER_IN_CHINESE, PROMPT, SHORT_ANSWER_IN_CHINESE, SHORT_PROMPT


def test_a_chinese_question_ends_with_the_chinese_answer_rule_of_its_style():
    for prompt, line in ((PROMPT, ANSWER_IN_CHINESE), (SHORT_PROMPT, SHORT_ANSWER_IN_CHINESE)):
        message = prompt.user_message("apt update 命令下载什么文件？", ["APT downloads Packages files."])
        assert message.endswith(line)
        assert message.index("Question: apt update") < message.index(line)
    short = SHORT_PROMPT.user_message("apt update 命令下载什么文件？", ["x"])
    assert ANSWER_IN_CHINESE not in short and "最短片段" in short


def test_an_english_question_gets_no_language_rule():
    message = PROMPT.user_message("What does apt update download?", ["安装软件包。"])
    assert ANSWER_IN_CHINESE not in message and message.endswith("What does apt update download?")
