"""The answerer's guards on fakes: echoing answers re-asked then withdrawn, unsupported claims
dropped or the answer withdrawn, streamed or not."""

import asyncio

from rag.answer import REASKED_NOTE, UNSUPPORTED_NOTE, Answer, Answerer
from rag.prompt import ABSTAIN
from tests.fakes import FakeOpenAI, FakeRetriever, unit

UNITS = [unit("u0", "Before Rollo's arrival, Viking settlers had begun arriving in the 880s.",
              "Normans/4"),
         unit("u1", "The Duchy of Normandy began in 911 as a fiefdom granted to the Viking "
              "ruler Rollo.", "Normans/1")]
ECHO = "Rollo was the Viking ruler [2]."  # "Who was the Viking ruler Rollo?" adds nothing


def replies(*texts):
    """A fake model answering with ``texts`` in turn (the last one repeats)."""
    calls = []

    def reply(messages):
        calls.append(messages)
        return texts[min(len(calls), len(texts)) - 1]
    return FakeOpenAI(reply), calls


def ask(fake, question, stream=False):
    answerer = Answerer(FakeRetriever(UNITS), fake, "m", 0.2)
    if not stream:
        return asyncio.run(answerer.answer(question)), []

    async def run():
        return [item async for item in answerer.stream(question)]
    items = asyncio.run(run())
    assert isinstance(items[-1], Answer)
    return items[-1], [i for i in items[:-1] if isinstance(i, str)]


def test_an_echo_is_asked_again_with_the_rule_restated():
    fake, calls = replies(ECHO, "It began in 911 [2].")
    ans, _ = ask(fake, "Who was the Viking ruler Rollo?")
    assert ans.echo == "reasked" and ans.text == "It began in 911 [2]." and not ans.abstained
    assert len(calls) == 2 and "only repeated the question" in calls[1][-1]["content"]
    assert ans.usage["completion_tokens"] == 10  # both calls counted


def test_a_second_echo_is_withdrawn():
    fake, _ = replies(ECHO)
    ans, _ = ask(fake, "Who was the Viking ruler Rollo?")
    assert ans.abstained and ans.text == ABSTAIN and ans.echo == "withdrawn"
    assert ans.draft == ECHO and ans.unsupported[0].startswith("echo")
    ans, deltas = ask(replies(ECHO)[0], "Who was the Viking ruler Rollo?", stream=True)
    assert REASKED_NOTE in deltas and deltas[-1] == UNSUPPORTED_NOTE and ans.echo == "withdrawn"


def test_a_year_from_another_source_withdraws_the_answer():
    ans, _ = ask(FakeOpenAI("Rollo died in 911 [1]."), "When did Rollo die?")
    assert ans.abstained and ans.text == ABSTAIN and ans.draft == "Rollo died in 911 [1]."
    assert ans.unsupported == ['"Rollo died in 911." against source [1]: 911 not in the source']
    assert ans.citations == []


def test_an_unsupported_claim_is_dropped_and_named():
    text = "Rollo was a Viking ruler [2]. He ruled in the 880s [1]."
    ans, _ = ask(FakeOpenAI(text), "Who was Rollo?")
    assert ans.text == "Rollo was a Viking ruler [2]." and not ans.abstained
    assert ans.dropped == ["He ruled in the 880s."] and "source [1]" in ans.unsupported[0]
    assert [c.source_id for c in ans.citations] == ["Normans/1"]
    ans, deltas = ask(FakeOpenAI(text), "Who was Rollo?", stream=True)
    assert ans.text == "Rollo was a Viking ruler [2]." and "880s" in deltas[-1]


def test_an_uncited_answer_cites_the_source_that_supports_it():
    ans, _ = ask(FakeOpenAI("The duchy began in 911."), "When did the duchy begin?")
    assert ans.text == "The duchy began in 911 [2]."
    assert [(c.source_id, c.method) for c in ans.citations] == [("Normans/1", "support")]


def test_a_claim_naming_the_title_is_supported_by_the_header():
    """The reader sees 'Title › Section' on top of a source; a claim using the title's words is
    checked against that header too, not withdrawn."""
    import asyncio

    from rag.faithful import check_answer
    from rag.prompt import source_text
    from smallbatch.records import Doc

    unit = Doc("u1", "It was founded in 1831 on the river.",
               {"header": "Warsaw University › History"})
    answer = "Warsaw University was founded in 1831 [1]."
    shown = asyncio.run(check_answer(answer, "When was it founded?", [source_text(unit)], None,
                                     "keep"))
    bare = asyncio.run(check_answer(answer, "When was it founded?", [unit.text], None, "keep"))
    assert shown.kept and not shown.failed
    assert bare.failed  # without the header the name is nowhere in the source


def test_an_answer_adding_only_a_number_is_no_echo():
    """'The atomic number … for oxygen is 8' repeats the question but the 8 is the answer."""
    from rag.echo import is_echo

    q = "The atomic number of the periodic table for oxygen?"
    assert not is_echo("The atomic number of the periodic table for oxygen is 8 [1].", q)
    assert is_echo("The atomic number of the periodic table for oxygen [1].", q)
