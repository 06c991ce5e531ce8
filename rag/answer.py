"""Question in, cited answer out: retrieve, prompt, generate (streaming or not), cite."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from anyio import to_thread

from rag.citations import Citation, is_abstention, map_citations, strip_markers
from rag.prompt import ABSTAIN, PROMPT, AnswerPrompt
from rag.retrieve import Hit, Retriever
from rag.rewrite import Rewrite, Rewriter, Turn
from rag.support import is_supported, unsupported_terms
from smallbatch.llm import ChatStream

UNSUPPORTED_NOTE = "\n\n(Withdrawn: the sources do not support this answer.)"


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    hits: list[Hit]
    abstained: bool
    invalid_citations: list[int] = field(default_factory=list)
    usage: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    finish_reason: str = "stop"
    draft: str | None = None  # the model's text when it was withdrawn as unsupported
    unsupported: list[str] = field(default_factory=list)
    rewrite: Rewrite | None = None  # the standalone question retrieval and the prompt used


def fit_words(hits: list[Hit], budget: int | None) -> list[Hit]:
    """The leading hits whose texts fit ``budget`` words together (at least the first)."""
    if budget is None:
        return hits
    kept, used = [], 0
    for h in hits:
        used += len(h.unit.text.split())
        if kept and used > budget:
            break
        kept.append(h)
    return kept


class Answerer:
    """Holds a retriever and an AsyncOpenAI client for the answering model (injected)."""

    def __init__(self, retriever: Retriever, client, model: str, min_similarity: float,
                 max_tokens: int = 256, prompt: AnswerPrompt = PROMPT,
                 rewriter: Rewriter | None = None, context_words: int | None = None):
        self.prompt = prompt
        self.context_words = context_words
        self.rewriter = rewriter
        self.retriever = retriever
        self.client = client
        self.model = model
        self.min_similarity = min_similarity
        self.max_tokens = max_tokens

    async def _retrieve(self, question: str) -> tuple[list[Hit], bool]:
        hits = fit_words(await to_thread.run_sync(self.retriever.search, question),
                         self.context_words)
        sims = [h.similarity for h in hits if h.similarity is not None]
        grounded = bool(hits) and (not sims or max(sims) >= self.min_similarity)
        return hits, grounded

    async def _standalone(self, question: str, history: list[Turn] | None) -> Rewrite:
        """The follow-up rewritten with the conversation (no model call without history)."""
        if self.rewriter is None or not history:
            return Rewrite(question)
        return await self.rewriter.rewrite(history, question)

    def _request(self, question: str, hits: list[Hit], max_tokens: int | None,
                 temperature: float) -> dict:
        return {"model": self.model, "messages": self.prompt.messages(question, hits),
                "max_tokens": max_tokens or self.max_tokens, "temperature": temperature}

    def _finish(self, question: str, text: str, hits: list[Hit], streamed: bool = False,
                **extra) -> Answer:
        """Cite, then withdraw an answer the sources do not support (it becomes an abstention;
        a streamed one, already sent, gets a closing note instead)."""
        if not is_abstention(text):
            plain, sources = strip_markers(text), [h.unit.text for h in hits]
            if not is_supported(plain, question, sources):
                missing = unsupported_terms(plain, question, sources)
                final = text + UNSUPPORTED_NOTE if streamed else ABSTAIN
                return Answer(final, [], hits, True, draft=text, unsupported=missing, **extra)
        cites, invalid = map_citations(text, hits)
        return Answer(text, cites, hits, is_abstention(text), invalid, **extra)

    async def answer(self, question: str, max_tokens: int | None = None,
                     temperature: float = 0.0, history: list[Turn] | None = None) -> Answer:
        """``history``: earlier user/assistant turns; a follow-up is rewritten with them."""
        rewrite = await self._standalone(question, history)
        question = rewrite.query
        t0 = time.perf_counter()  # timings cover retrieval and generation, not the rewrite
        hits, grounded = await self._retrieve(question)
        t_ret = time.perf_counter() - t0
        if not grounded:
            return Answer(ABSTAIN, [], hits, True, timings={"retrieve_s": t_ret}, rewrite=rewrite)
        resp = await self.client.chat.completions.create(
            **self._request(question, hits, max_tokens, temperature))
        text = resp.choices[0].message.content or ""
        usage = resp.usage.model_dump() if resp.usage else {}
        return self._finish(question, text, hits, usage=usage, rewrite=rewrite,
                            finish_reason=resp.choices[0].finish_reason, timings={"retrieve_s": t_ret, "total_s": time.perf_counter() - t0})

    async def stream(self, question: str, max_tokens: int | None = None,
                     temperature: float = 0.0,
                     history: list[Turn] | None = None) -> AsyncIterator[str | Answer]:
        """Yields text deltas as they arrive, then the finished Answer last."""
        rewrite = await self._standalone(question, history)
        question = rewrite.query
        t0 = time.perf_counter()  # timings cover retrieval and generation, not the rewrite
        hits, grounded = await self._retrieve(question)
        t_ret = time.perf_counter() - t0
        if not grounded:
            yield ABSTAIN
            yield Answer(ABSTAIN, [], hits, True, timings={"retrieve_s": t_ret}, rewrite=rewrite)
            return
        chat = ChatStream(self.client, **self._request(question, hits, max_tokens, temperature))
        async for delta in chat:
            yield delta
        answer = self._finish(question, chat.text, hits, streamed=True, usage=chat.usage,
                              rewrite=rewrite,
                              finish_reason=chat.finish_reason,
                              timings={"retrieve_s": t_ret,
                                       "ttft_s": t_ret + chat.ttft_s if chat.ttft_s else None,
                                       "total_s": time.perf_counter() - t0})
        if answer.draft is not None:
            yield UNSUPPORTED_NOTE
        yield answer
