"""Request limits: per-key token buckets (429), body size (413), message count and tokens (400).

Limits are per process: with N API processes behind a load balancer a key gets up to N times
its rate (put a shared limiter in the load balancer when that matters).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from serve.deps import ServeSettingsDep
from serve.errors import APIError, error_response
from serve.protocol import ChatRequest


class TokenBucket:
    """``rate`` tokens per second refill a bucket of ``burst``; a request takes one."""

    def __init__(self, rate: float, burst: int, now: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), now

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, clock=time.monotonic, max_keys: int = 10_000):
        self.per_minute, self.burst, self.clock, self.max_keys = per_minute, burst, clock, max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, who: str, per_minute: float | None = None) -> float:
        rate = (per_minute or self.per_minute) / 60.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(who)
            if bucket is None or bucket.rate != rate:
                bucket = self._buckets[who] = TokenBucket(rate, self.burst, now)
            self._buckets.move_to_end(who)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return bucket.take(now)


class BodyLimit:
    """ASGI middleware: a body over ``max_bytes`` is refused with 413 before the app parses
    it — by its Content-Length, or by counting when the body is sent chunked."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def _too_large(self, scope, receive, send, size: str):
        return error_response(413, f"request body is {size} bytes; the limit is "
                              f"{self.max_bytes}", code="request_too_large")(scope, receive, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                return await self._too_large(scope, receive, send, length.decode("latin-1"))
            return await self.app(scope, receive, send)
        # No length given: buffer up to the limit, then replay the body to the app.
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                return
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            more = msg.get("more_body", False)
            if size > self.max_bytes:
                return await self._too_large(scope, receive, send, f"more than {self.max_bytes}")
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def estimate_tokens(text: str) -> int:
    """About 4 UTF-8 bytes per token for BPE vocabularies on English text; an estimate, no
    tokenizer call (the model may be remote)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def check_chat_limits(req: ChatRequest, cfg: ServeSettingsDep) -> None:
    """Route dependency for /v1/chat/completions (its parameter name ``req`` matches the
    route's, so FastAPI parses the body once). The limits are the configured ones, only:
    ``ChatRequest`` holds none, so raising a setting raises the limit."""
    if len(req.messages) > cfg.max_messages:
        raise APIError(400, f"{len(req.messages)} messages; the limit is {cfg.max_messages}",
                       param="messages", code="too_many_messages")
    tokens = sum(estimate_tokens(m.text()) for m in req.messages)
    if tokens > cfg.max_input_tokens:
        raise APIError(400, f"messages hold about {tokens} tokens; the limit is "
                       f"{cfg.max_input_tokens}", param="messages", code="context_length_exceeded")
    asked = req.token_limit()
    if asked is not None and asked > cfg.max_completion_tokens:
        raise APIError(400, f"max_tokens {asked} is over this server's limit of "
                       f"{cfg.max_completion_tokens}", param="max_tokens",
                       code="max_tokens_too_large")
