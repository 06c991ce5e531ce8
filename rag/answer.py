"""Question in, cited answer out: retrieve, prompt, generate (streaming or not), cite."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from anyio import to_thread

from rag.citations import Citation, is_abstention, map_citations, strip_markers
from rag.prompt import ABSTAIN, PROMPT, AnswerPrompt, source_text
from rag.retrieve import Hit, Retriever
from rag.rewrite import Rewrite, Rewriter, Turn
from rag.echo import is_echo, reask_messages
from rag.entail import Entailer
from rag.faithful import check_answer
from rag.voice import ENGLISH, Voice, in_voice, voice_for
from smallbatch.llm import ChatStream

UNSUPPORTED_NOTE, DROPPED_NOTE, REASKED_NOTE = ENGLISH.unsupported, ENGLISH.dropped, ENGLISH.reasked


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
    dropped: list[str] = field(default_factory=list)  # claims removed as unsupported
    echo: str | None = None  # "reasked" (the first answer echoed the question) or "withdrawn"


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
                 rewriter: Rewriter | None = None, context_words: int | None = None,
                 judge: Entailer | None = None, unsure: str = "keep"):
        """``judge``: the entailment judge for claims the lexical check is unsure of (None:
        the ``unsure`` policy, "keep" or "drop", decides them; rag/faithful.py)."""
        self.judge, self.unsure = judge, unsure
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

    async def _check(self, question: str, text: str, hits: list[Hit], streamed: bool,
                     voice: Voice, **extra) -> tuple[Answer, str]:
        """Cite, and drop the claims their sources do not support; withdraw the answer when none
        is left. Returns the Answer and the note a streamed answer (already sent) ends with."""
        if is_abstention(text):
            cites, invalid = map_citations(text, hits)
            shown = text if voice is ENGLISH else voice.abstain
            return Answer(shown, cites, hits, True, invalid, **extra), ""
        # checked against what the model was shown: the header (title › section) included
        support = await check_answer(text, question, [source_text(h.unit) for h in hits],
                                     self.judge, self.unsure)
        why = support.reasons()
        if not support.kept:
            final = text + voice.unsupported if streamed else voice.abstain
            return Answer(final, [], hits, True, draft=text, unsupported=why, **extra), (
                voice.unsupported if streamed else "")
        found = [c.source for c in support.kept if c.method == "support"]
        final = text if streamed else support.text()
        cites, invalid = map_citations(support.written(), hits, found)
        dropped = [c.claim.text for c in support.failed]
        note = voice.dropped.format(claims="; ".join(f'"{d}"' for d in dropped))
        if streamed and dropped:
            final = support.text()
        return (Answer(final, cites, hits, False, invalid, unsupported=why, dropped=dropped,
                       **extra), note if streamed and dropped else "")

    async def _generate(self, request: dict) -> tuple[str, dict, str]:
        resp = await self.client.chat.completions.create(**request)
        usage = resp.usage.model_dump() if resp.usage else {}
        return resp.choices[0].message.content or "", usage, resp.choices[0].finish_reason

    def _echoed(self, text: str, hits: list[Hit], streamed: bool, voice: Voice,
                **extra) -> Answer:
        """The re-asked answer echoed the question again: withdrawn."""
        final = text + voice.unsupported if streamed else voice.abstain
        return Answer(final, [], hits, True, draft=text, echo="withdrawn",
                      unsupported=["echo: the answer repeats the question's own words"], **extra)

    async def answer(self, question: str, max_tokens: int | None = None,
                     temperature: float = 0.0, history: list[Turn] | None = None) -> Answer:
        """``history``: earlier user/assistant turns; a follow-up is rewritten with them."""
        rewrite = await self._standalone(question, history)
        question = rewrite.query
        t0 = time.perf_counter()  # timings cover retrieval and generation, not the rewrite
        hits, grounded = await self._retrieve(question)
        t_ret = time.perf_counter() - t0
        voice = voice_for(question)
        if not grounded:
            return Answer(voice.abstain, [], hits, True, timings={"retrieve_s": t_ret},
                          rewrite=rewrite)
        request = self._request(question, hits, max_tokens, temperature)
        text, usage, finish = await self._generate(request)
        echo = None
        if not is_abstention(text) and is_echo(text, question):
            echo, first = "reasked", text
            text, more, finish = await self._generate(
                {**request, "messages": reask_messages(request["messages"], first, ABSTAIN)})
            usage = add_usage(usage, more)
        extra = {"usage": usage, "rewrite": rewrite, "finish_reason": finish,
                 "timings": {"retrieve_s": t_ret, "total_s": time.perf_counter() - t0}}
        if echo and not is_abstention(text) and is_echo(text, question):
            return self._echoed(text, hits, False, voice, **extra)
        answer, _ = await self._check(question, text, hits, False, voice, echo=echo, **extra)
        return answer

    async def stream(self, question: str, max_tokens: int | None = None,
                     temperature: float = 0.0,
                     history: list[Turn] | None = None) -> AsyncIterator[str | Answer]:
        """Yields text deltas as they arrive, then the finished Answer last. An echoing answer
        is followed by a note and the re-asked answer."""
        rewrite = await self._standalone(question, history)
        question = rewrite.query
        t0 = time.perf_counter()  # timings cover retrieval and generation, not the rewrite
        hits, grounded = await self._retrieve(question)
        t_ret = time.perf_counter() - t0
        voice = voice_for(question)
        if not grounded:
            yield voice.abstain
            yield Answer(voice.abstain, [], hits, True, timings={"retrieve_s": t_ret},
                         rewrite=rewrite)
            return
        request = self._request(question, hits, max_tokens, temperature)
        chat = ChatStream(self.client, **request)
        async for delta in in_voice(chat, voice):
            yield delta
        ttft, usage, echo, text = chat.ttft_s, chat.usage, None, chat.text
        if not is_abstention(text) and is_echo(text, question):
            echo = "reasked"
            yield voice.reasked
            chat = ChatStream(self.client, **{**request, "messages": reask_messages(
                request["messages"], text, ABSTAIN)})
            async for delta in in_voice(chat, voice):
                yield delta
            text, usage = chat.text, add_usage(usage, chat.usage)
        extra = {"usage": usage, "rewrite": rewrite, "finish_reason": chat.finish_reason,
                 "timings": {"retrieve_s": t_ret, "ttft_s": t_ret + ttft if ttft else None,
                             "total_s": time.perf_counter() - t0}}
        if echo and not is_abstention(text) and is_echo(text, question):
            yield voice.unsupported
            yield self._echoed(text, hits, True, voice, **extra)
            return
        answer, note = await self._check(question, text, hits, True, voice, echo=echo, **extra)
        if note:
            yield note
        yield answer


def add_usage(a: dict, b: dict) -> dict:
    """Token counts of two calls added (the re-asked answer costs both)."""
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {**a, **{k: int(a.get(k) or 0) + int(b.get(k) or 0) for k in keys if k in a or k in b}}
