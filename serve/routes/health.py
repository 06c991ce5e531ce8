"""Liveness and readiness, public (no key needed: see ``ServeSettings.public_paths``).

``/healthz``: the process answers. ``/readyz``: a snapshot is in service and the model server
answers; 503 otherwise, so a load balancer sends nothing here until both are true.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from serve.deps import MaybeServedDep
from serve.protocol import Health, Readiness

router = APIRouter()


@router.get("/healthz")
async def healthz() -> Health:
    return Health()


async def _model_answers(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as c:
            return (await c.get(f"{base_url}/models")).status_code == 200
    except httpx.HTTPError:
        return False


@router.get("/readyz", response_model=None,
            responses={200: {"model": Readiness}, 503: {"model": Readiness}})
async def readyz(served: MaybeServedDep) -> JSONResponse:
    model_ok = served is not None and await _model_answers(served.model_base_url)
    body = Readiness(ready=served is not None and model_ok, store=served is not None,
                     model=model_ok, snapshot=served.snapshot_id if served else None)
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)
