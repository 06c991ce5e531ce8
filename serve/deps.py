"""What routes may ask for: the objects built once at start-up into ``app.state``, each behind
an ``Annotated`` alias, so a route's signature says what it uses and tests can swap them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from querylog.log import QueryLog
from serve.errors import APIError
from serve.prometheus import Metrics
from serve.serving import ServedSnapshot
from smallbatch.settings import ServeSettings


def find_served(request: Request) -> ServedSnapshot | None:
    """None until a snapshot is in service (a KB with nothing published yet)."""
    return getattr(request.app.state, "served", None)


def get_served(request: Request) -> ServedSnapshot:
    served = find_served(request)
    if served is None:
        raise APIError(503, "the knowledge base is not loaded yet", code="not_ready")
    return served


def get_query_log(request: Request) -> QueryLog | None:
    return getattr(request.app.state, "query_log", None)


def get_serve_settings(request: Request) -> ServeSettings:
    return request.app.state.serve_settings


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


ServedDep = Annotated[ServedSnapshot, Depends(get_served)]
MaybeServedDep = Annotated[ServedSnapshot | None, Depends(find_served)]
QueryLogDep = Annotated[QueryLog | None, Depends(get_query_log)]
ServeSettingsDep = Annotated[ServeSettings, Depends(get_serve_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
