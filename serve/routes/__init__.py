"""The app's routes, one router per concern. ``include_routers`` adds them in one order, the
order /openapi.json lists them."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import BaseRoute

from serve.routes import chat, health, model_list, page, prometheus

ROUTERS = (page.router, health.router, model_list.router, chat.router)


def include_routers(app: FastAPI) -> None:
    app.include_router(prometheus.router)
    page.mount_static(app)
    for router in ROUTERS:
        app.include_router(router)


def every_route(app: FastAPI) -> list[BaseRoute]:
    """The app's routes, flat, for matching a request to its route template (the metrics'
    label). Newer FastAPI keeps an included router as one opaque entry of ``app.routes``, so
    the routers' own routes are listed after the app's entries that have a path."""
    own = [r for r in app.router.routes if hasattr(r, "path")]
    return [*own, *prometheus.router.routes, *(r for router in ROUTERS for r in router.routes)]
