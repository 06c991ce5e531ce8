"""Follow-up rewriting with a fake model client: when the model is called, what it is sent, and
how its answer becomes the query."""

import asyncio
import json

import pytest

from rag.answer import Answerer
from rag.rewrite import MAX_TURN_CHARS, MAX_TURNS, Rewriter, Turn, needs_rewrite, substitute
from tests.fakes import FakeOpenAI, FakeRetriever, unit

HISTORY = [Turn(role="user", content="Who gave the Viking settlers a common identity?"),
           Turn(role="assistant", content="Rollo gave them a common identity [1].")]


def reply(refers_to: str, question: str) -> FakeOpenAI:
    return FakeOpenAI(json.dumps({"refers_to": refers_to, "question": question}))


def rewrite(client, history, question):
    return asyncio.run(Rewriter(client, "m").rewrite(history, question))


def test_no_history_means_no_model_call():
    client = reply("x", "y")
    out = rewrite(client, [], "When did he die?")
    assert (out.query, out.method) == ("When did he die?", "none")
    assert client.chat.completions.calls == []


def test_standalone_follow_up_skips_the_model():
    client = reply("x", "y")
    out = rewrite(client, HISTORY, "Who introduced plague to Europe?")
    assert out.method == "none" and client.chat.completions.calls == []


@pytest.mark.parametrize("question,expected", [
    ("When did he die?", True), ("And Norway?", True), ("Why?", True),
    ("What was their religion?", True), ("Who proved that air is necessary?", False),
    ("Where is Normandy located?", False), ("What about the Danes?", True)])
def test_which_follow_ups_need_the_history(question, expected):
    assert needs_rewrite(HISTORY, question) is expected
    assert needs_rewrite([], question) is False


def test_a_standalone_model_question_is_used():
    out = rewrite(reply("Rollo", "When did Rollo die?"), HISTORY, "When did he die?")
    assert (out.query, out.method, out.error) == ("When did Rollo die?", "model", None)
    assert out.usage["calls"] == 1


def test_a_copied_question_gets_the_resolved_or_the_named_referent():
    out = rewrite(reply("Rollo", "When did he die?"), HISTORY, "When did he die?")
    assert (out.query, out.method) == ("When did Rollo die?", "resolved")
    nameless = [Turn(role="user", content="who was the first duke?"),
                Turn(role="assistant", content="rollo was [1].")]  # no capitals: no rule
    out = rewrite(reply("rollo", "When did he die?"), nameless, "When did he die?")
    assert (out.query, out.method) == ("When did rollo die?", "referent")
    assert substitute("What was his title and when did they marry her?", "Rollo") == \
        "What was Rollo's title and when did Rollo marry Rollo's?"
    assert substitute("Where did they land?", "Genoese traders") == "Where did Genoese traders land?"
    assert substitute("What were their goods?", "Genoese traders") == \
        "What were Genoese traders' goods?"


def test_the_subject_the_user_asked_about_beats_the_assistants_wording():
    history = [Turn(role="user", content="Who was Rollo?"),
               Turn(role="assistant", content="A Viking.")]
    out = rewrite(reply("A Viking", "When did A Viking die?"), history, "When did he die?")
    assert (out.query, out.method) == ("When did Rollo die?", "resolved")


def test_a_referent_not_in_the_history_is_not_trusted():
    nameless = [Turn(role="user", content="tell me something."),
                Turn(role="assistant", content="rollo was a viking [1].")]
    out = rewrite(reply("Napoleon", "When did Napoleon die?"), nameless, "When did he die?")
    assert out.method == "history" and out.query == "tell me something. When did he die?"


def test_malformed_model_output_falls_back_and_says_why():
    out = rewrite(FakeOpenAI("not json"), HISTORY, "When did he die?")
    assert out.method == "resolved" and "invalid JSON" in out.error
    assert out.query == "When did Rollo die?"


def test_the_model_sees_recent_turns_only_and_cut():
    long = [Turn(role="user" if i % 2 == 0 else "assistant", content=f"turn {i} " + "x" * 2000)
            for i in range(10)]
    client = reply("x", "When did Rollo die?")
    rewrite(client, long, "When did he die?")
    sent = json.loads(client.chat.completions.calls[0]["messages"][-1]["content"])
    assert len(sent["history"]) == MAX_TURNS
    assert sent["history"][0]["content"].startswith(f"turn {10 - MAX_TURNS} ")
    assert all(len(t["content"]) == MAX_TURN_CHARS for t in sent["history"])
    assert sent["follow_up"] == "When did he die?"


def test_answerer_retrieves_and_prompts_with_the_rewritten_question():
    fake = reply("Rollo", "When did Rollo die?")
    retriever = FakeRetriever([unit("u0", "Rollo died around 930.")])
    answerer = Answerer(retriever, fake, "m", 0.2, rewriter=Rewriter(fake, "m"))
    ans = asyncio.run(answerer.answer("When did he die?", history=HISTORY))
    assert retriever.queries == ["When did Rollo die?"]
    assert fake.chat.completions.calls[-1]["messages"][-1]["content"].endswith(
        "Question: When did Rollo die?")
    assert ans.rewrite.report() == {"query": "When did Rollo die?", "method": "model",
                                    "error": None}
