"""Faithfulness in one judge call: ragas' definition (the share of an answer's claims that can
be inferred from the context it was shown), priced for a CPU judge.

ragas' own ``Faithfulness`` makes two calls per answer with long few-shot prompts (statements,
then verdicts): 60 s a verdict with the 1.5B on this CPU, so 50 questions x 4 systems would take
3.4 hours. Here the claims come from ``rag.claims.split_claims`` (no call) and the judge decides
all of them in one typed request whose JSON schema demands exactly one verdict per claim. A
short extractive answer ("1958") asserts nothing alone, so such a claim is judged as
"question — answer", as ``eval/ragas_judge.py`` does for factual correctness.

It quacks like a ragas collections metric (``ascore(...)`` returning an object with ``.value``)
so ``RagasJudge`` runs it, records it and counts its failures like the others; the report puts
it beside ragas' ``faithfulness`` where both judged the same answers (their agreement).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from rag.claims import split_claims
from rag.entail import EntailOut, verdicts_model
from smallbatch.prompting import TypedPrompt, call_typed

SHORT_CLAIM_WORDS = 6  # a claim this short is judged with its question
MAX_CONTEXT_CHARS = 6000  # what the judge reads of the context (top_k 1-2 passages fit)


class FaithIn(BaseModel):
    context: str
    claims: list[str]


FAITHFULNESS = TypedPrompt(
    name="faithfulness",
    version="faithfulness-one-call-v1",
    instruction=(
        "You check an answer against the context it was given. For each claim, decide whether "
        "it can be inferred from the context alone: the same numbers, dates and names, about "
        "the same subject. General knowledge that the context does not state does not count.\n"
        'Reply with JSON: {"supported": [true|false, ...]}, one verdict per claim, in order.'),
    input_model=FaithIn,
    output_model=EntailOut,  # one verdict per claim, in order, as the entailment judge's
    examples=[(FaithIn(
        context="[1] The duchy of Normandy began in 911 under Rollo, a Viking leader.",
        claims=["When did Rollo die? — 911", "Rollo was a Viking leader."]),
        EntailOut(supported=[False, True]))],
)


def claims_of(question: str, answer: str) -> list[str]:
    """The answer's claims (markers removed); a short one carries its question."""
    out = []
    for c in split_claims(answer):
        text = c.text.strip()
        if not text:
            continue
        out.append(f"{question.strip()} — {text}" if len(text.split()) <= SHORT_CLAIM_WORDS
                   else text)
    return out


def context_of(contexts: list[str]) -> str:
    return "\n\n".join(f"[{i}] {c}" for i, c in enumerate(contexts, 1))[:MAX_CONTEXT_CHARS]


@dataclass(slots=True)
class Result:
    value: float
    verdicts: list[bool]


class OneCallFaithfulness:
    """``ascore(user_input, response, retrieved_contexts)`` -> Result(value = supported share)."""

    def __init__(self, client, model: str, prompt: TypedPrompt = FAITHFULNESS):
        self.client, self.model, self.prompt = client, model, prompt
        self.usage: dict = {}

    async def ascore(self, user_input: str, response: str,
                     retrieved_contexts: list[str]) -> Result:
        claims = claims_of(user_input, response)
        if not claims:
            raise ValueError("the answer has no claim to judge")
        if not retrieved_contexts:
            raise ValueError("no context to judge against")
        prompt = replace(self.prompt, output_model=verdicts_model(len(claims)))
        out = await call_typed(self.client, self.model, prompt,
                               FaithIn(context=context_of(retrieved_contexts), claims=claims),
                               max_tokens=16 + 8 * len(claims), retries=1, usage=self.usage)
        return Result(sum(out.supported) / len(claims), list(out.supported))
