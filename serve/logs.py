"""Structured logs: one JSON object per line, every line of a request tagged with its id.

The request id comes from the client's ``X-Request-ID`` (when it is a sane token) or is made
here; it is echoed in the response's ``X-Request-ID`` and carried by a context variable, so any
logger used while serving the request adds it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
access = logging.getLogger("smallbatch.access")

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
               + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name,
               "msg": record.getMessage()}
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            out["request_id"] = rid
        out.update({k: v for k, v in vars(record).items()
                    if k not in _STANDARD and k != "request_id"})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure(level: str = "INFO", as_json: bool = True) -> None:
    """Send the product's logs (``smallbatch.*``, and the model client's retries) to stderr, as
    JSON lines or plain text."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("smallbatch")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    # The model client's retries ("Retrying request to /chat/completions in 0.45 seconds", its
    # only INFO lines), tagged with the request id like ours; never its DEBUG lines (prompts).
    lib = logging.getLogger("openai")
    lib.handlers[:] = [handler]
    lib.setLevel(max(logging.INFO, root.level))
    lib.propagate = False


def _incoming_id(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            rid = value.decode("latin-1").strip()
            return rid if _SANE_ID.fullmatch(rid) else None
    return None


class RequestLog:
    """ASGI middleware (outermost): request id in and out, one access line per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = _incoming_id(scope) or uuid.uuid4().hex
        token = request_id.set(rid)
        t0, status = time.perf_counter(), 500

        async def send_with_id(msg):
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
                msg["headers"] = [*msg.get("headers", []), (b"x-request-id", rid.encode())]
            await send(msg)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            state = scope.get("state") or {}
            access.info("request", extra={
                "method": scope["method"], "path": scope["path"], "status": status,
                "duration_ms": round((time.perf_counter() - t0) * 1000, 1),
                "api_key": state.get("api_key"),
                "client": (scope.get("client") or [None])[0]})
            request_id.reset(token)
