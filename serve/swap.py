"""Snapshot hot swap: the server follows the knowledge base's ``current`` pointer.

A background task reads the pointer every ``serve.swap_poll_s`` seconds (one ``readlink`` and a
``stat``). When it moves — a publish or a rollback — the new snapshot is opened completely in a
worker thread (units, BM25, Chroma, a first query) while the old one keeps serving; then
``app.state.served`` is replaced in one assignment. Requests already running hold the old one
and finish on it; its snapshot is closed when the last of them lets go (``weakref.finalize``).
A snapshot that fails to open is logged and counted, and the old one stays in service.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from anyio import to_thread

from smallbatch.store import KnowledgeBase

log = logging.getLogger("smallbatch.serve")


class Swapper:
    def __init__(self, kb: KnowledgeBase, build: Callable[[Path], object],
                 install: Callable[[object], None], on_fail: Callable[[], None] = lambda: None):
        self.kb, self.build, self.install, self.on_fail = kb, build, install, on_fail
        self.serving: str | None = None  # snapshot id in service
        self.failed: str | None = None  # last target that failed to open (not retried)

    def wanted(self) -> Path | None:
        target = self.kb.current()
        if target is None or target.name in (self.serving, self.failed):
            return None
        return target

    async def poll(self, strict: bool = False) -> bool:
        """Swap if ``current`` moved; True when a new snapshot went into service. ``strict``
        (start-up): a snapshot that fails to open raises instead of being skipped."""
        target = self.wanted()
        if target is None:
            return False
        t0 = time.perf_counter()
        try:
            served = await to_thread.run_sync(self.build, target)
        except Exception:
            if strict:
                raise
            log.exception("snapshot %s failed to open; still serving %s", target.name,
                          self.serving, extra={"event": "swap_failed"})
            self.failed = target.name
            self.on_fail()
            return False
        before, self.serving, self.failed = self.serving, target.name, None
        self.install(served)
        log.info("serving snapshot %s (was %s; opened in %.2fs)", target.name, before,
                 time.perf_counter() - t0, extra={"event": "swap", "snapshot": target.name,
                                                   "previous": before})
        return True

    async def run(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            with suppress(Exception):  # poll() logs its own failures; never let the loop die
                await self.poll()


def close_when_released(served) -> None:
    """Close the snapshot once nothing (no in-flight request) refers to ``served`` any more."""
    close = getattr(served, "close", None)
    if close is not None:
        weakref.finalize(served, close)


@asynccontextmanager
async def following(app, settings, build, install, on_fail=lambda: None):
    """Serve ``settings.kb``'s current snapshot and follow its pointer until shutdown. A
    knowledge base with nothing published yet is not an error: /readyz says 503 until it is."""
    def build_warm(path: Path):
        served = build(settings, path)
        served.answerer.retriever.search("warm up")  # load the vector index before it serves
        return served

    swapper = Swapper(KnowledgeBase(settings.stores, settings.kb), build_warm, install, on_fail)
    app.state.swapper = swapper
    if not await swapper.poll(strict=True):
        log.warning("knowledge base %r has no published snapshot under %s yet; waiting for one",
                    settings.kb, swapper.kb.dir)
    task = asyncio.create_task(swapper.run(settings.serve.swap_poll_s))
    try:
        yield swapper
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
