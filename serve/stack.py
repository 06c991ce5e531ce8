"""What stands between a request and the routes, in one place.

Outermost first: request id + access log -> metrics -> CORS -> API key + rate limit -> body size
-> the routes. Logging and metrics see every answer, refusals included; CORS headers reach
refusals too, and preflights never need a key; an unauthenticated client never gets its body
read.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from querylog.log import QueryLog
from serve import swap
from serve.auth import Guard, KeyStore
from serve.limits import BodyLimit, RateLimiter
from serve.logs import RequestLog
from serve.prometheus import Metrics, MetricsMiddleware, ObservedAnswerer
from serve.routes import every_route, page
from serve.serving import ServedSnapshot
from smallbatch.settings import ServeSettings


def install(app: FastAPI, settings=None) -> None:
    """``settings`` None (tests with an injected snapshot): defaults, and no keys file."""
    cfg = settings.serve if settings is not None else ServeSettings()
    keys = KeyStore(settings.keys_path() if settings is not None else None)
    metrics = Metrics()
    app.state.serve_settings, app.state.keys, app.state.metrics = cfg, keys, metrics
    app.state.query_log = (QueryLog(settings.query_log_path(), metrics.query_log_errors.inc)
                           if cfg.query_log and settings is not None else None)
    # add_middleware puts each new one outside the previous: list them innermost first.
    app.add_middleware(BodyLimit, max_bytes=cfg.max_body_bytes)
    app.add_middleware(Guard, keys=keys, limiter=RateLimiter(cfg.rate_per_minute, cfg.burst),
                       public=[*cfg.public_paths, *page.PUBLIC_PATHS])
    if cfg.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cfg.cors_origins,
                           allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=lambda: every_route(app))
    app.add_middleware(RequestLog)


def put_in_service(app: FastAPI, served: ServedSnapshot) -> None:
    """Make ``served`` the one new requests get; the previous one closes when released."""
    metrics: Metrics = app.state.metrics
    if not isinstance(served.answerer, ObservedAnswerer):
        served.answerer = ObservedAnswerer(served.answerer, metrics)
    old = getattr(app.state, "served", None)
    app.state.served = served
    metrics.snapshot.info({"kb": served.kb, "snapshot": served.snapshot_id})
    if old is not None:
        metrics.swaps.labels("ok").inc()
        swap.close_when_released(old)
