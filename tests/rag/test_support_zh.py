"""The claim checks on Chinese: numerals as numbers, Han words found by characters, Chinese
answers over English sources left to the judge, Chinese abstentions and echoes."""

import asyncio

from rag.citations import is_abstention
from rag.claims import Claim, numbers
from rag.echo import is_echo
from rag.faithful import check_answer
from rag.numerals import chinese_numbers, value
from rag.support import Source, Vocab, check_claim
from tests.fakes import FakeOpenAI
from rag.entail import Entailer

DPKG = ("dpkg 是处理 .deb 文件的基础命令，它负责解包和安装软件包。"
        "Debian 在二〇二三年发布了第十二版，仓库中有三千多个软件包。")
APT_EN = "APT (Advanced Packaging Tool) is a program that manages packages and their dependencies."


def check(answer, question, sources, **kw):
    return asyncio.run(check_answer(answer, question, sources, **kw))


def test_chinese_numerals_read_as_digits():
    assert [value(r) for r in ("二〇二三", "三千", "三千零五", "十五", "两万", "一百二十")] == [
        2023, 3000, 3005, 15, 20000, 120]
    assert numbers("第五章写于二〇二三年，共三千字，有 42 页") == ["42", "5", "2023", "3000"]


def test_words_that_hold_numerals_are_not_numbers():
    assert chinese_numbers("一个工具，一些命令，统一管理，千万不要，十分重要") == []
    assert chinese_numbers("三个软件包，第一步") == ["3", "1"]


def test_a_chinese_numeral_is_checked_against_the_source_digits_or_numerals():
    src = Source.of(DPKG)
    q = "Debian 哪一年发布了第十二版？"
    assert check_claim(Claim("Debian 在2023年发布了第12版"), q, src).status == "supported"
    assert check_claim(Claim("Debian 在二〇二二年发布了第十二版"), q, src).status == "unsupported"


def test_a_han_word_is_found_by_characters_when_jieba_cuts_differently():
    vocab = Vocab.of(DPKG)
    assert vocab.has("软件包") and vocab.has("基础命令") and vocab.has("安装软件包")
    assert vocab.has("处理文件")  # bigrams 处理, 理文?, 文件: most of them are there
    assert not vocab.has("编译内核") and not vocab.has("卸载")


def test_a_correct_chinese_answer_is_kept_and_an_invented_one_dropped():
    q = "dpkg 是做什么的？"
    assert check("dpkg 是处理 .deb 文件的基础命令 [1]。", q, [DPKG]).kept
    assert check("dpkg 负责解包和安装软件包 [1]。", q, [DPKG]).kept
    assert not check("dpkg 用于编译内核和配置网络防火墙 [1]。", q, [DPKG]).kept


def test_a_chinese_answer_over_an_english_source_is_left_to_the_judge():
    q = "APT 是什么的缩写？"
    claim = "APT 是高级软件包工具的缩写 [1]。"
    s = check(claim, q, [APT_EN])
    assert s.kept and "different languages" in s.kept[0].verdict.reason  # no judge: kept
    assert not check(claim, q, [APT_EN], unsure="drop").kept
    no = FakeOpenAI('{"supported": [false]}')
    assert not check(claim, q, [APT_EN], judge=Entailer(no, "judge")).kept
    # digits and Latin names still have to be in the English source
    assert not check("APT 于1993年由 Murdock 编写 [1]。", q, [APT_EN]).kept


def test_chinese_abstentions_are_recognised():
    for text in ("我不知道。", "资料中没有提到 dpkg 的作者。", "根据提供的资料，无法回答这个问题。",
                 "资料未提及此事。", "无法根据这些资料回答。"):
        assert is_abstention(text), text
    assert not is_abstention("dpkg 是处理 .deb 文件的命令 [1]。")
    assert not is_abstention("如果不知道软件包的名字，可以用 apt-cache search 查找 [1]。")


def test_a_chinese_answer_is_an_echo_only_when_it_adds_no_characters():
    assert not is_echo("dpkg 是处理 .deb 文件的命令 [1]", "dpkg 是做什么的？")
    assert not is_echo("dpkg 命令用于处理 .deb 文件 [1]", "dpkg 命令用于处理什么文件？")
    assert is_echo("dpkg 是做什么的 [1]。", "dpkg 是做什么的？")
    assert is_echo("APT 是一个缩写 [1]", "APT 是什么的缩写？")
    assert is_echo("Rollo was the Viking ruler [2].", "Who was the Viking ruler Rollo?")
