"""The web chat page: plain HTML, JS and CSS from ``serve/static/``, no build step, no CDN.

The page talks to the same OpenAI-compatible routes as any client (``/v1/models``,
``/v1/chat/completions`` streamed), so it needs no routes of its own beyond its files. Those
files hold no secrets and must load before the user has typed an API key: ``PUBLIC_PATHS``
lists them for the key check.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"
PUBLIC_PATHS = ["/", *sorted(f"/static/{p.name}" for p in STATIC.iterdir() if p.is_file())]

router = APIRouter()


def mount_static(app: FastAPI) -> None:
    """The page's files (a mount: a router cannot carry one into the app)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
