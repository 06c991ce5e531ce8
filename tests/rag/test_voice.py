"""A Chinese question hears the answerer's own words in Chinese: the abstention (the model's
exact English sentence replaced, streamed or not) and the withdrawal note."""

import asyncio

from rag.answer import Answer, Answerer
from rag.citations import is_abstention
from rag.prompt import ABSTAIN
from rag.voice import CHINESE, ENGLISH, in_voice, voice_for
from tests.fakes import FakeOpenAI, FakeRetriever, unit

UNITS = [unit("u0", "Debian 10 于 2019 年 7 月发布，代号 buster。", "handbook/release.md")]
QUESTION = "Debian 10 是哪一年发布的？"


def ask(reply, stream):
    answerer = Answerer(FakeRetriever(UNITS), FakeOpenAI(reply), "m", 0.2)
    if not stream:
        return asyncio.run(answerer.answer(QUESTION)), None

    async def run():
        return [item async for item in answerer.stream(QUESTION)]
    items = asyncio.run(run())
    assert isinstance(items[-1], Answer)
    return items[-1], "".join(i for i in items[:-1] if isinstance(i, str))


def collect(deltas, voice):
    async def gen():
        for d in deltas:
            yield d

    async def run():
        return [d async for d in in_voice(gen(), voice)]
    return asyncio.run(run())


def test_the_voice_follows_the_question():
    assert voice_for(QUESTION) is CHINESE and voice_for("When was Debian 10 released?") is ENGLISH
    assert is_abstention(CHINESE.abstain)  # still detected as an abstention (eval, page)


def test_an_english_abstention_to_a_chinese_question_is_said_in_chinese():
    ans, _ = ask(ABSTAIN, stream=False)
    assert ans.abstained and ans.text == CHINESE.abstain
    ans, streamed = ask(ABSTAIN, stream=True)
    assert ans.abstained and streamed == CHINESE.abstain == ans.text


def test_a_chinese_answer_streams_unchanged():
    reply = "2019 年 [1]"
    ans, streamed = ask(reply, stream=True)
    assert not ans.abstained and streamed == reply and ans.citations[0].source_id == "handbook/release.md"


def test_a_withdrawn_chinese_answer_gets_the_chinese_note():
    ans, _ = ask("2021 年 [1]", stream=False)  # 2021 is not in the source
    assert ans.abstained and ans.text == CHINESE.abstain and ans.draft == "2021 年 [1]"
    ans, streamed = ask("2021 年 [1]", stream=True)
    assert streamed == "2021 年 [1]" + CHINESE.unsupported and ans.abstained


def test_held_text_is_released_once_it_cannot_be_the_abstention():
    assert collect(["I", " don", "'t know based on the provided sources."], CHINESE) == [
        CHINESE.abstain]
    assert "".join(collect(["I", " think", " so"], CHINESE)) == "I think so"
    assert collect(["I", " don", "'t"], ENGLISH) == ["I", " don", "'t"]  # English: untouched
    assert collect(["2019", " 年"], CHINESE) == ["2019", " 年"]  # released at once
