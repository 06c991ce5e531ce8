"""``POST /v1/chat/completions``: OpenAI's chat API over the knowledge base, with citations.

Thin: the body is checked against the configured limits (serve/limits.py), the model name
against the KB's, and serve/completions.py answers — one completion, or SSE chunks with
``stream``. The extra ``citations`` and ``smallbatch`` fields are described in
serve/protocol.py.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends

from serve import completions
from serve.deps import QueryLogDep, ServedDep
from serve.errors import APIError
from serve.limits import check_chat_limits
from serve.protocol import ChatCompletion, ChatRequest

router = APIRouter()


@router.post("/v1/chat/completions", dependencies=[Depends(check_chat_limits)],
             response_model=None, responses={200: {"model": ChatCompletion, "description":
                 "a chat completion; with stream=true, text/event-stream chat.completion.chunk "
                 "events ending with data: [DONE]"}})
async def chat(req: ChatRequest, served: ServedDep, qlog: QueryLogDep, later: BackgroundTasks):
    if req.model != served.kb:
        raise APIError(404, f"model {req.model!r} not found; this server serves {served.kb!r}",
                       param="model", code="model_not_found")
    kwargs = {"max_tokens": req.token_limit(), "temperature": req.temperature or 0.0,
              "history": req.history()}
    record = completions.recorder(qlog, served, req.question())
    if req.stream:
        return completions.stream(served, req, kwargs, record)
    completion, ans = await completions.complete(served, req, kwargs)
    later.add_task(record, ans)  # after the response is sent
    return completion
