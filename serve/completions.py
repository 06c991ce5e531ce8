"""From the answerer's ``Answer`` to OpenAI's chat JSON: one ``ChatCompletion``, or a stream of
``ChatCompletionChunk`` events (SSE) whose last content chunk carries the citations. The router
(serve/routes/chat.py) only checks the request and picks one; vLLM splits its chat route the
same way (a thin api_router over the serving code).

With ``serve.query_log`` on, each answered question is appended, PII-masked, to the query log
once its response has been sent (querylog/log.py).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable

import openai
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from querylog.log import QueryLog
from rag.answer import Answer
from serve import errors, logs
from serve.errors import APIError
from serve.protocol import (AssistantMessage, ChatChoice, ChatCitation, ChatCompletion,
                            ChatCompletionChunk, ChatRequest, ChunkChoice, ChunkDelta,
                            CompletionUsage, RewriteInfo, SmallbatchInfo)
from serve.serving import ServedSnapshot

log = logging.getLogger("smallbatch.serve")


def recorder(qlog: QueryLog | None, served: ServedSnapshot,
             question: str) -> Callable[[Answer], None]:
    """Records an answer in the query log (when it is on); never raises. Made while the
    request runs, so the row carries its request id."""
    rid = logs.request_id.get()

    def record(ans: Answer) -> None:
        if qlog is not None:
            qlog.record(kb=served.kb, snapshot=served.snapshot_id, question=question, answer=ans,
                        request_id=rid)

    return record


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def usage_of(ans: Answer) -> CompletionUsage:
    u = ans.usage or {}
    p, c = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0)
    return CompletionUsage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c)


def citations_of(ans: Answer) -> list[ChatCitation]:
    return [ChatCitation(**c.to_json()) for c in ans.citations]


def info_of(served: ServedSnapshot, ans: Answer) -> SmallbatchInfo:
    rewrite = RewriteInfo(**ans.rewrite.report()) if ans.rewrite else None
    return SmallbatchInfo(kb=served.kb, snapshot=served.snapshot_id, abstained=ans.abstained,
                          invalid_citations=ans.invalid_citations, unsupported=ans.unsupported,
                          draft=ans.draft, rewrite=rewrite, dropped=ans.dropped, echo=ans.echo)


def upstream_error(exc: Exception) -> APIError:
    """The model server's failure as the client's error: unreachable 503, refused 400, else 502."""
    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError,
                        *errors.TRANSPORT_ERRORS)):
        return APIError(503, f"the model server is unreachable: {exc}", code="model_unavailable")
    if isinstance(exc, openai.BadRequestError):
        return APIError(400, f"the model server rejected the request: {exc.message}",
                        code="model_rejected")
    return APIError(502, f"the model server failed: {exc}", code="model_error")


async def complete(served: ServedSnapshot, req: ChatRequest,
                   kwargs: dict) -> tuple[ChatCompletion, Answer]:
    try:
        ans = await served.answerer.answer(req.question(), **kwargs)
    except openai.OpenAIError as exc:
        raise upstream_error(exc) from exc
    choice = ChatChoice(message=AssistantMessage(content=ans.text),
                        finish_reason=ans.finish_reason or "stop")
    completion = ChatCompletion(id=completion_id(), created=int(time.time()), model=served.kb,
                                choices=[choice], usage=usage_of(ans),
                                citations=citations_of(ans), smallbatch=info_of(served, ans))
    return completion, ans


def _event(body: dict) -> str:
    return f"data: {json.dumps(body)}\n\n"


def stream(served: ServedSnapshot, req: ChatRequest, kwargs: dict,
           record: Callable[[Answer], None]) -> StreamingResponse:
    cid, created = completion_id(), int(time.time())

    def chunk(delta: ChunkDelta, finish: str | None = None, **extra) -> str:
        return _event(ChatCompletionChunk(
            id=cid, created=created, model=served.kb,
            choices=[ChunkChoice(delta=delta, finish_reason=finish)], **extra).model_dump())

    answered: list[Answer] = []

    async def events() -> AsyncIterator[str]:
        yield chunk(ChunkDelta(role="assistant", content=""))
        try:
            async for item in served.answerer.stream(req.question(), **kwargs):
                if not isinstance(item, Answer):
                    yield chunk(ChunkDelta(content=item))
                    continue
                answered.append(item)
                yield chunk(ChunkDelta(), item.finish_reason or "stop",
                            citations=citations_of(item), smallbatch=info_of(served, item))
                if req.stream_options and req.stream_options.include_usage:
                    yield _event(ChatCompletionChunk(id=cid, created=created, model=served.kb,
                                                     choices=[], usage=usage_of(item)).model_dump())
        except Exception as exc:  # headers are sent: report in-band, as OpenAI does
            upstream = isinstance(exc, (openai.OpenAIError, *errors.TRANSPORT_ERRORS))
            err = upstream_error(exc) if upstream else APIError(
                500, f"internal error: {type(exc).__name__}")
            log.warning("stream failed: %s", err.message)
            yield _event(errors.error_body(err.status, err.message, code=err.code))
        yield "data: [DONE]\n\n"

    def record_answers() -> None:
        for ans in answered:
            record(ans)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"},
                             background=BackgroundTask(record_answers))  # after the last byte
