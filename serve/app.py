"""The HTTP layer: OpenAI-compatible chat completions over the knowledge base, with citations.

Routes are thin; the heavy objects (snapshot, embedder, model client) are built once at start-up
into ``app.state`` and injected through ``Annotated`` dependencies.

Citations: every chat completion (and the last streamed chunk) carries an extra top-level
``citations`` list — ``{number, unit_id, source_id, source_path, span, kind, text, method}`` —
and ``smallbatch`` — ``{kb, snapshot, abstained, invalid_citations, unsupported, draft}``
(``draft`` is the model's text when it was withdrawn because the sources do not support it). OpenAI clients ignore
unknown fields, so they work unchanged; read them with ``resp.model_extra["citations"]``.

With ``serve.query_log`` on, each answered question is appended, PII-masked, to the query log
once its response has been sent (querylog/log.py).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
import openai
from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from rag.answer import Answer, Answerer
from serve import errors, logs, page, stack, swap
from serve.errors import APIError
from serve.limits import check_chat_limits
from serve.protocol import ChatRequest
from querylog.log import QueryLog

log = logging.getLogger("smallbatch.serve")


@dataclass
class Engine:
    """What the routes need: the KB's name, its open snapshot's id, and the answerer."""

    kb: str
    snapshot_id: str
    answerer: Answerer
    model_base_url: str
    close: Callable[[], None] | None = None  # releases the snapshot (see serve/swap.py)


def build_engine(settings, snapshot_path=None) -> Engine:
    """The KB's current snapshot, or ``snapshot_path`` when given (a hot swap)."""
    from rag.assemble import current_snapshot, open_answerer
    from smallbatch.llm import endpoint

    ep = endpoint(settings, "small")
    path = snapshot_path or current_snapshot(settings, settings.kb)
    answerer, snapshot = open_answerer(settings, path, ep)
    return Engine(settings.kb, snapshot.id, answerer, ep.base_url, snapshot.close)


def get_engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        raise APIError(503, "the knowledge base is not loaded yet", code="not_ready")
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_query_log(request: Request) -> QueryLog | None:
    return getattr(request.app.state, "query_log", None)


QueryLogDep = Annotated[QueryLog | None, Depends(get_query_log)]


def _logger(qlog: QueryLog | None, eng: Engine, question: str) -> Callable[[Answer], None]:
    """Records an answer in the query log (when it is on); never raises."""
    rid = logs.request_id.get()

    def record(ans: Answer) -> None:
        if qlog is not None:
            qlog.record(kb=eng.kb, snapshot=eng.snapshot_id, question=question, answer=ans,
                        request_id=rid)

    return record


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def _extras(engine: Engine, ans: Answer) -> dict:
    return {
        "citations": [c.to_json() for c in ans.citations],
        "smallbatch": {"kb": engine.kb, "snapshot": engine.snapshot_id,
                       "abstained": ans.abstained, "invalid_citations": ans.invalid_citations,
                       "unsupported": ans.unsupported, "draft": ans.draft,
                       "rewrite": ans.rewrite.report() if ans.rewrite else None},
    }


def _usage(ans: Answer) -> dict:
    u = ans.usage or {}
    p, c = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _upstream_error(exc: Exception) -> APIError:
    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError,
                        *errors.TRANSPORT_ERRORS)):
        return APIError(503, f"the model server is unreachable: {exc}", code="model_unavailable")
    if isinstance(exc, openai.BadRequestError):
        return APIError(400, f"the model server rejected the request: {exc.message}",
                        code="model_rejected")
    return APIError(502, f"the model server failed: {exc}", code="model_error")


def create_app(settings=None, engine: Engine | None = None) -> FastAPI:
    """``engine`` may be injected (tests); otherwise the KB's current snapshot is opened at
    start-up and followed: a publish or rollback swaps it in while serving (serve/swap.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if engine is not None:
            stack.put_in_service(app, engine)
            yield
            return
        async with swap.following(app, settings, build_engine,
                                  lambda eng: stack.put_in_service(app, eng),
                                  app.state.metrics.swaps.labels("failed").inc):
            yield

    app = FastAPI(title="smallbatch", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    stack.install(app, settings)  # request ids, metrics, CORS, keys, rate and size limits
    page.install(app)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request):
        eng = getattr(request.app.state, "engine", None)
        model_ok = False
        if eng is not None:
            try:
                async with httpx.AsyncClient(timeout=2.0) as c:
                    model_ok = (await c.get(f"{eng.model_base_url}/models")).status_code == 200
            except httpx.HTTPError:
                model_ok = False
        ready = eng is not None and model_ok
        body = {"ready": ready, "store": eng is not None, "model": model_ok,
                "snapshot": eng.snapshot_id if eng else None}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/v1/models")
    async def models(eng: EngineDep) -> dict:
        return {"object": "list", "data": [
            {"id": eng.kb, "object": "model", "created": 0, "owned_by": "smallbatch",
             "snapshot": eng.snapshot_id}]}

    @app.post("/v1/chat/completions", dependencies=[Depends(check_chat_limits)])
    async def chat(req: ChatRequest, eng: EngineDep, qlog: QueryLogDep, later: BackgroundTasks):
        if req.model != eng.kb:
            raise APIError(404, f"model {req.model!r} not found; this server serves {eng.kb!r}",
                           param="model", code="model_not_found")
        kwargs = {"max_tokens": req.token_limit(), "temperature": req.temperature or 0.0,
                  "history": req.history()}
        record = _logger(qlog, eng, req.question())
        if req.stream:
            return _stream(eng, req, kwargs, record)
        try:
            ans = await eng.answerer.answer(req.question(), **kwargs)
        except openai.OpenAIError as exc:
            raise _upstream_error(exc) from exc
        later.add_task(record, ans)  # after the response is sent
        return {
            "id": _completion_id(), "object": "chat.completion", "created": int(time.time()),
            "model": eng.kb,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ans.text},
                         "finish_reason": ans.finish_reason or "stop"}],
            "usage": _usage(ans), **_extras(eng, ans),
        }

    return app


def _stream(eng: Engine, req: ChatRequest, kwargs: dict,
            record: Callable[[Answer], None]) -> StreamingResponse:
    cid, created = _completion_id(), int(time.time())

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": eng.kb, "choices": [{"index": 0, "delta": delta,
                                              "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body)}\n\n"

    answered: list[Answer] = []

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            async for item in eng.answerer.stream(req.question(), **kwargs):
                if isinstance(item, Answer):
                    answered.append(item)
                    yield chunk({}, item.finish_reason or "stop", **_extras(eng, item))
                    if req.stream_options and req.stream_options.include_usage:
                        body = {"id": cid, "object": "chat.completion.chunk", "created": created,
                                "model": eng.kb, "choices": [], "usage": _usage(item)}
                        yield f"data: {json.dumps(body)}\n\n"
                else:
                    yield chunk({"content": item})
        except Exception as exc:  # headers are sent: report in-band, as OpenAI does
            upstream = isinstance(exc, (openai.OpenAIError, *errors.TRANSPORT_ERRORS))
            err = _upstream_error(exc) if upstream else APIError(
                500, f"internal error: {type(exc).__name__}")
            log.warning("stream failed: %s", err.message)
            yield f"data: {json.dumps(errors.error_body(err.status, err.message, code=err.code))}\n\n"
        yield "data: [DONE]\n\n"

    def record_answer() -> None:
        for ans in answered:
            record(ans)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"},
                             background=BackgroundTask(record_answer))  # after the last byte
