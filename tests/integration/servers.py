"""What the operations tests set up: the app under uvicorn in a thread, child processes that are
always stopped (by their own handle, never by name), and extra snapshots to publish."""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import contextmanager

from bench.common import child, wait_http  # noqa: F401  (the operations tests use them)


@contextmanager
def app_thread(app, port: int):
    """The app under uvicorn on 127.0.0.1:port in this process; yields its /v1 URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(30)


def copy_snapshot(src, kb) -> str:
    """Another publishable snapshot of ``kb`` with ``src``'s content (a rebuild of the same
    sources); returns its id."""
    from smallbatch.store import new_snapshot_id

    sid = new_snapshot_id()
    kb.snapshots.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, kb.snapshots / sid)
    return sid
