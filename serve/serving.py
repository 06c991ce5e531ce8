"""What the server serves: one knowledge base's open snapshot and the answerer over it.

Built once (at start-up, and again on each hot swap: serve/swap.py) and kept in
``app.state.served``; the routes get it through ``ServedDep`` (serve/deps.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.answer import Answerer
from rag.assemble import current_snapshot, open_answerer
from smallbatch.llm import endpoint


@dataclass
class ServedSnapshot:
    """What the routes need: the KB's name, its open snapshot's id, the answerer, and the model
    server's URL (``/readyz`` asks it)."""

    kb: str
    snapshot_id: str
    answerer: Answerer
    model_base_url: str
    close: Callable[[], None] | None = None  # releases the snapshot (see serve/swap.py)


def open_served(settings, snapshot_path=None) -> ServedSnapshot:
    """The KB's current snapshot, or ``snapshot_path`` when given (a hot swap)."""
    ep = endpoint(settings, "small")
    path = snapshot_path or current_snapshot(settings, settings.kb)
    answerer, snapshot = open_answerer(settings, path, ep)
    return ServedSnapshot(settings.kb, snapshot.id, answerer, ep.base_url, snapshot.close)
