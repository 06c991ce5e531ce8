"""The one-call faithfulness judge (eval/faithful_one_call.py) against a fake judge client, and
how the faithfulness measures are compared (eval/faithfulness.py agreement)."""

import asyncio
import json
from types import SimpleNamespace

import pytest

from eval.faithful_one_call import OneCallFaithfulness, claims_of
from eval.faithfulness import agreement, agreement_markdown
from smallbatch.prompting import TypedCallError


class FakeJudge:
    """An AsyncOpenAI-shaped client that replies with the given verdicts and keeps each request."""

    def __init__(self, *replies: list):
        self.replies, self.requests = list(replies), []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))

    async def create(self, **kw):
        self.requests.append(kw)
        content = json.dumps({"supported": self.replies.pop(0)})
        return SimpleNamespace(usage=None, choices=[SimpleNamespace(
            finish_reason="stop", message=SimpleNamespace(content=content))])


def test_short_answers_are_judged_with_their_question_and_long_claims_alone():
    claims = claims_of("When did Rollo die?", "911 [1]")
    assert claims == ["When did Rollo die? — 911"]
    long = claims_of("Who was Rollo?", "Rollo was a Viking leader in Normandy [1]. He founded "
                     "the duchy in the year 911 [2].")
    assert long == ["Rollo was a Viking leader in Normandy.",
                    "He founded the duchy in the year 911."]


def test_one_request_judges_every_claim_and_the_score_is_the_supported_share():
    judge = FakeJudge([True, False])
    out = asyncio.run(OneCallFaithfulness(judge, "judge").ascore(
        "Who was Rollo?", "Rollo was a Viking leader in Normandy. He died in the year 911 AD.",
        ["Rollo, a Viking leader, settled in Normandy."]))
    assert out.value == 0.5 and out.verdicts == [True, False]
    assert len(judge.requests) == 1
    req = judge.requests[0]
    schema = req["response_format"]["json_schema"]["schema"]["properties"]["supported"]
    assert schema["minItems"] == schema["maxItems"] == 2  # exactly one verdict per claim
    user = req["messages"][-1]["content"]
    assert "[1] Rollo, a Viking leader, settled in Normandy." in user
    assert "He died in the year 911 AD." in user


def test_a_judge_that_miscounts_its_verdicts_fails_instead_of_scoring():
    judge = FakeJudge([True], [True])  # one verdict for two claims, twice (one retry)
    with pytest.raises(TypedCallError):
        asyncio.run(OneCallFaithfulness(judge, "judge").ascore(
            "Q?", "Rollo was a Viking leader in Normandy. He died in the year 911 AD.", ["ctx"]))


def test_an_answer_without_claims_or_without_context_is_not_scored():
    with pytest.raises(ValueError, match="no claim"):
        asyncio.run(OneCallFaithfulness(FakeJudge(), "judge").ascore("Q?", " ", ["ctx"]))
    with pytest.raises(ValueError, match="no context"):
        asyncio.run(OneCallFaithfulness(FakeJudge(), "judge").ascore("Q?", "911 [1]", []))


def _verdict(system, qid, metric, value, status="scored"):
    return {"system": system, "qid": qid, "metric": metric, "judge": "j", "status": status,
            "value": value}


def test_agreement_compares_measures_on_the_answers_both_scored():
    rows = [_verdict("a", "q1", "faithfulness", 1.0),
            _verdict("a", "q1", "faithfulness_one_call", 1.0),
            _verdict("a", "q2", "faithfulness", 0.0),
            _verdict("a", "q2", "faithfulness_one_call", 1.0),
            _verdict("a", "q3", "faithfulness_one_call", 0.0),
            _verdict("a", "q4", "faithfulness", None, status="failed")]
    src = ["The duchy began in 911 under Rollo."]
    records = [{"system": "a", "qid": "q1", "answer": "911 [1]", "context_text": src},
               {"system": "a", "qid": "q3", "answer": "912 [1]", "context_text": src},
               {"system": "a", "qid": "q2", "answer": "912 [1]", "context_text": src,
                "abstained": True}]
    out = {(r["reference"], r["measure"]): r for r in agreement(rows, records)}
    one = out["faithfulness", "faithfulness_one_call"]
    assert (one["n"], one["agree"], one["mae"]) == (2, 0.5, 0.5)
    cite = out["faithfulness_one_call", "citation check"]
    assert (cite["n"], cite["agree"]) == (2, 1.0)  # q1 both faithful, q3 both not
    assert out["faithfulness", "citation check"]["n"] == 1
    assert "| faithfulness | faithfulness_one_call | 2 | 0.500 | 0.500 |" in agreement_markdown(
        agreement(rows, records))
