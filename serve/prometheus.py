"""Prometheus metrics: requests, latencies (request, retrieval, generation, first token), tokens,
errors by kind, answer outcomes and the snapshot being served. ``GET /metrics`` exposes them
(serve/routes/prometheus.py).

Each app has its own registry, so several apps in one process (tests) do not collide. Each API
process exposes its own numbers; scrape every process (Prometheus adds an ``instance`` label).
"""

from __future__ import annotations

import json

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from starlette.routing import BaseRoute, Match

from rag.answer import Answer

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.requests = Counter("smallbatch_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("smallbatch_request_seconds", "HTTP request duration "
                                 "(streams: until the last byte)", ["route"], buckets=_SECONDS,
                                 registry=r)
        self.in_flight = Gauge("smallbatch_requests_in_flight", "requests being served",
                               registry=r)
        self.retrieval = Histogram("smallbatch_retrieval_seconds", "hybrid retrieval time",
                                   buckets=_SECONDS, registry=r)
        self.generation = Histogram("smallbatch_generation_seconds", "model call time "
                                    "(answers that called the model)", buckets=_SECONDS, registry=r)
        self.ttft = Histogram("smallbatch_time_to_first_token_seconds", "streamed answers: request "
                              "start to first token", buckets=_SECONDS, registry=r)
        self.tokens = Counter("smallbatch_tokens", "model tokens, in (prompt) and out (completion)",
                              ["direction"], registry=r)
        self.answers = Counter("smallbatch_answers", "answers by outcome", ["outcome"], registry=r)
        self.errors = Counter("smallbatch_errors", "error responses and in-band stream errors by "
                              "kind (the OpenAI error code, else its type)", ["kind"], registry=r)
        self.snapshot = Info("smallbatch_snapshot", "the knowledge base and snapshot served",
                             registry=r)
        self.swaps = Counter("smallbatch_snapshot_swaps", "snapshot swaps by result", ["result"],
                             registry=r)
        self.query_log_errors = Counter("smallbatch_query_log_errors", "query log rows that "
                                        "could not be written", registry=r)

    def observe(self, ans: Answer) -> None:
        t = ans.timings or {}
        if t.get("retrieve_s") is not None:
            self.retrieval.observe(t["retrieve_s"])
        if t.get("total_s") is not None:
            self.generation.observe(max(0.0, t["total_s"] - t.get("retrieve_s", 0.0)))
        if t.get("ttft_s") is not None:
            self.ttft.observe(t["ttft_s"])
        u = ans.usage or {}
        self.tokens.labels("in").inc(int(u.get("prompt_tokens") or 0))
        self.tokens.labels("out").inc(int(u.get("completion_tokens") or 0))
        outcome = "withdrawn" if ans.draft is not None else (
            "abstained" if ans.abstained else "answered")
        self.answers.labels(outcome).inc()

    def error(self, body: bytes) -> None:
        try:
            err = json.loads(body)["error"]
            kind = err.get("code") or err.get("type") or "unknown"
        except (ValueError, KeyError, TypeError, AttributeError):
            kind = "unknown"
        self.errors.labels(str(kind)).inc()


class ObservedAnswerer:
    """The served snapshot's answerer, with every finished Answer recorded in the metrics."""

    def __init__(self, inner, metrics: Metrics):
        self._inner, self._metrics = inner, metrics

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def answer(self, *args, **kwargs) -> Answer:
        ans = await self._inner.answer(*args, **kwargs)
        self._metrics.observe(ans)
        return ans

    async def stream(self, *args, **kwargs):
        async for item in self._inner.stream(*args, **kwargs):
            if isinstance(item, Answer):
                self._metrics.observe(item)
            yield item


class MetricsMiddleware:
    """ASGI middleware: counts and times every request by its route template (not the raw
    path, which would make unbounded label values), and errors by kind, including the error
    events a stream sends in-band after its 200."""

    def __init__(self, app, metrics: Metrics, routes: Callable[[], Iterable[BaseRoute]]):
        self.app, self.metrics, self.routes = app, metrics, routes

    def _route(self, scope) -> str:
        for r in self.routes():
            if r.matches(scope)[0] == Match.FULL:
                return getattr(r, "path", "other")
        return "unmatched"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        m, status, body, kind = self.metrics, 500, [], ""
        route = self._route(scope)
        m.in_flight.inc()

        async def watch(msg):
            nonlocal status, kind
            if msg["type"] == "http.response.start":
                status = msg["status"]
                ctype = dict(msg.get("headers", ())).get(b"content-type", b"")
                kind = "sse" if ctype.startswith(b"text/event-stream") else "json"
            elif msg["type"] == "http.response.body":
                chunk = msg.get("body", b"")
                if kind == "sse" and chunk.startswith(b'data: {"error"'):
                    m.error(chunk[6:].strip())
                elif status >= 400:
                    body.append(chunk)
            await send(msg)

        with m.latency.labels(route).time():
            try:
                await self.app(scope, receive, watch)
            finally:
                m.in_flight.dec()
                m.requests.labels(route, scope["method"], str(status)).inc()
                if status >= 400:
                    m.error(b"".join(body))

