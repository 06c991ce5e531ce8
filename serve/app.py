"""The HTTP layer: OpenAI-compatible chat completions over the knowledge base, with citations.

``create_app`` assembles it: OpenAI-shaped errors (serve/errors.py), what stands before the
routes (serve/stack.py: request ids, metrics, CORS, keys, limits), and the routers
(serve/routes/). The heavy object — the served snapshot and its answerer (serve/serving.py) — is
built once at start-up into ``app.state`` and injected into routes through ``Annotated``
dependencies (serve/deps.py); request and response shapes are in serve/protocol.py.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from serve import errors, routes, serving, stack, swap
from serve.serving import ServedSnapshot


def create_app(settings=None, served: ServedSnapshot | None = None) -> FastAPI:
    """``served`` may be injected (tests); otherwise the KB's current snapshot is opened at
    start-up and followed: a publish or rollback swaps it in while serving (serve/swap.py)."""
    app = FastAPI(title="smallbatch", version="0.1.0", lifespan=_lifespan(settings, served))
    errors.install(app)
    stack.install(app, settings)  # request ids, metrics, CORS, keys, rate and size limits
    routes.include_routers(app)
    return app


def _lifespan(settings, served: ServedSnapshot | None):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if served is not None:
            stack.put_in_service(app, served)
            yield
            return
        # serving.open_served looked up now, not at import: tests replace it with a fake
        async with swap.following(app, settings, serving.open_served,
                                  lambda new: stack.put_in_service(app, new),
                                  app.state.metrics.swaps.labels("failed").inc):
            yield

    return lifespan

