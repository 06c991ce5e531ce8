"""Test doubles for plumbing tests: a fake OpenAI client and an in-memory retriever."""

from __future__ import annotations

import time

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from rag.retrieve import Hit
from smallbatch.records import Doc


def unit(uid: str, text: str, source: str = "doc.md", span=(0, 10)) -> Doc:
    return Doc(uid, text, {"source_id": source, "source_path": source, "span": list(span),
                           "kind": "passage"})


class FakeRetriever:
    def __init__(self, units: list[Doc], similarity: float = 0.8):
        self.units, self.similarity = units, similarity
        self.queries: list[str] = []

    def search(self, query: str, top_k: int | None = None) -> list[Hit]:
        self.queries.append(query)
        return [Hit(u, 1.0 / (i + 1), i + 1, i + 1, self.similarity) for i, u in enumerate(self.units)]


class _Completions:
    def __init__(self, reply: str, fail: Exception | None):
        self.reply, self.fail, self.calls = reply, fail, []

    async def create(self, *, model, messages, stream=False, **kw):
        self.calls.append({"model": model, "messages": messages, "stream": stream, **kw})
        if self.fail:
            raise self.fail
        reply = self.reply(messages) if callable(self.reply) else self.reply
        if not stream:
            return ChatCompletion.model_validate({
                "id": "x", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
        return self._stream(model, reply)

    async def _stream(self, model, reply):
        words = reply.split(" ")
        for i, w in enumerate(words):
            yield ChatCompletionChunk.model_validate({
                "id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": {"content": w if i == 0 else " " + w},
                             "finish_reason": "stop" if i == len(words) - 1 else None}]})


class FakeOpenAI:
    """Quacks like AsyncOpenAI for chat.completions.create (streaming or not). ``reply`` is a
    string or a function of the request's messages."""

    def __init__(self, reply="Paris is the capital [1].", fail: Exception | None = None):
        self.chat = type("Chat", (), {})()
        self.chat.completions = _Completions(reply, fail)
