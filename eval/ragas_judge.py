"""ragas (pinned 0.4.3) with a local judge, wrapped once: one (metric, sample) in, one verdict
out. ``eval/ragas_run.py`` runs it over the answer records.

The judge is any OpenAI-compatible server (the ``judge`` role): ``ragas.llms.llm_factory`` over
our ``AsyncOpenAI`` client, in ragas' default instructor JSON mode — vLLM enforces the
``response_format`` it sends (DESIGN.md). Metrics are ragas' collections metrics, called through
``ascore``. Every (metric, sample) call is tried on its own: a failure or a NaN is a ``Verdict``
without a value and with the reason — counted per metric, never averaged in, never dropped.
Metrics that need embeddings get our local embedder (``smallbatch/embed.py``), never a download.
``faithfulness_one_call`` is ours (``eval/faithful_one_call.py``): ragas' faithfulness in one
judge request, run through the same wrapper.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass

from eval.faithful_one_call import OneCallFaithfulness
from smallbatch.llm import Endpoint, async_client

RAGAS_METRICS = ("faithfulness", "faithfulness_one_call", "factual_correctness",
                 "answer_correctness", "context_precision", "context_recall")
NEEDS_CONTEXT = {"faithfulness", "faithfulness_one_call", "context_precision", "context_recall"}
JUDGES_RESPONSE = {"faithfulness", "faithfulness_one_call", "factual_correctness",
                   "answer_correctness"}


@dataclass(slots=True)
class Sample:
    question: str
    response: str  # the system's answer, citation markers removed
    contexts: list[str]  # what the system was shown ([] = closed-book)
    reference: str  # the gold answer


@dataclass(slots=True)
class Verdict:
    value: float | None  # None = unscored; ``reason`` says why
    reason: str | None = None  # short category: counted in the summary
    detail: str = ""  # the error message, for the records
    seconds: float = 0.0


def applicable(metric: str, sample: Sample, abstained: bool) -> str | None:
    """Why ``metric`` does not apply to this sample (not a failure), or None when it does."""
    if metric in NEEDS_CONTEXT and not sample.contexts:
        return "no context (closed-book)"
    if metric in JUDGES_RESPONSE and (abstained or not sample.response.strip()):
        return "abstained"
    return None


def failure_reason(exc: BaseException) -> str:
    """A short, countable category for a judge failure (the message goes into ``detail``)."""
    import openai

    chain, e = [], exc
    while e is not None and len(chain) < 5:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, openai.APIStatusError):
            return f"HTTP {e.status_code}"
        if isinstance(e, openai.APITimeoutError):
            return "timeout"
        if isinstance(e, openai.APIConnectionError):
            return "connection error"
    names = {type(e).__name__ for e in chain}
    if names & {"InstructorRetryException", "ValidationError", "JSONDecodeError",
                "IncompleteOutputException"}:
        return "invalid judge output"
    if isinstance(exc, ValueError):
        return "invalid input"
    return type(exc).__name__


def _claim(question: str, answer: str) -> str:
    """Short extractive answers carry no claim on their own: judge "question — answer"."""
    return f"{question.strip()} — {answer.strip()}"


def local_embeddings(name: str):
    """Our sentence-transformers embedder behind ragas' modern embeddings interface."""
    from anyio import to_thread
    from ragas.embeddings.base import BaseRagasEmbedding

    from smallbatch.embed import get_embedder

    class LocalEmbeddings(BaseRagasEmbedding):
        def __init__(self):
            super().__init__()
            self.embedder = get_embedder(name)

        def embed_text(self, text: str, **kw) -> list[float]:
            return self.embedder.encode([text])[0].tolist()

        async def aembed_text(self, text: str, **kw) -> list[float]:
            return await to_thread.run_sync(self.embed_text, text)

    return LocalEmbeddings()


class RagasJudge:
    """The ragas metrics named in ``metrics``, built once over the judge endpoint."""

    def __init__(self, ep: Endpoint, metrics: list[str], embedder: str = "all-MiniLM-L6-v2",
                 max_tokens: int = 1024):
        os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas' usage telemetry: off
        from ragas.llms import llm_factory
        from ragas.metrics import collections as rc

        unknown = set(metrics) - set(RAGAS_METRICS)
        if unknown:
            raise ValueError(f"unknown ragas metrics {sorted(unknown)}; "
                             f"choose from {RAGAS_METRICS}")
        self.endpoint = ep
        self.llm = llm_factory(ep.model, client=async_client(ep), max_tokens=max_tokens)
        build = {
            "faithfulness": lambda: rc.Faithfulness(llm=self.llm),
            "faithfulness_one_call": lambda: OneCallFaithfulness(async_client(ep), ep.model),
            "factual_correctness": lambda: rc.FactualCorrectness(llm=self.llm),
            "answer_correctness": lambda: rc.AnswerCorrectness(
                llm=self.llm, embeddings=local_embeddings(embedder)),
            "context_precision": lambda: rc.ContextPrecision(llm=self.llm),
            "context_recall": lambda: rc.ContextRecall(llm=self.llm),
        }
        self.metrics = {m: build[m]() for m in metrics}

    async def score(self, metric: str, s: Sample) -> Verdict:
        args = {
            "faithfulness": dict(user_input=s.question, response=s.response,
                                 retrieved_contexts=s.contexts),
            "faithfulness_one_call": dict(user_input=s.question, response=s.response,
                                          retrieved_contexts=s.contexts),
            "factual_correctness": dict(response=_claim(s.question, s.response),
                                        reference=_claim(s.question, s.reference)),
            "answer_correctness": dict(user_input=s.question, response=s.response,
                                       reference=s.reference),
            "context_precision": dict(user_input=s.question, reference=s.reference,
                                      retrieved_contexts=s.contexts),
            "context_recall": dict(user_input=s.question, reference=s.reference,
                                   retrieved_contexts=s.contexts),
        }[metric]
        t0 = time.perf_counter()
        try:
            result = await self.metrics[metric].ascore(**args)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # counted with its reason, never scored
            return Verdict(None, failure_reason(exc), f"{type(exc).__name__}: {exc}"[:500],
                           time.perf_counter() - t0)
        value = result.value
        if not isinstance(value, (int, float)) or math.isnan(value):
            return Verdict(None, "no score (NaN)", f"ragas returned {value!r}",
                           time.perf_counter() - t0)
        return Verdict(float(value), seconds=time.perf_counter() - t0)
