"""``GET /v1/models``: the one model this server offers — the knowledge base, by its name —
with the snapshot in service (a client can see a hot swap)."""

from __future__ import annotations

from fastapi import APIRouter

from serve.deps import ServedDep
from serve.protocol import ModelCard, ModelList

router = APIRouter()


@router.get("/v1/models")
async def models(served: ServedDep) -> ModelList:
    return ModelList(data=[ModelCard(id=served.kb, snapshot=served.snapshot_id)])
