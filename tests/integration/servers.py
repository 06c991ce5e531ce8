"""What the operations tests set up: the app under uvicorn in a thread, child processes that are
always stopped (by their own handle, never by name), and extra snapshots to publish."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from contextlib import contextmanager

import httpx


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


@contextmanager
def child(cmd: list[str], ready_url: str | None = None, timeout: float = 120, **popen):
    """Run ``cmd``; wait until ``ready_url`` answers 200 (when given); stop it at the end."""
    proc = subprocess.Popen(cmd, **popen)
    try:
        if ready_url:
            wait_http(ready_url, timeout, proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.2)


def copy_snapshot(src, kb) -> str:
    """Another publishable snapshot of ``kb`` with ``src``'s content (a rebuild of the same
    sources); returns its id."""
    from smallbatch.store import new_snapshot_id

    sid = new_snapshot_id()
    kb.snapshots.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, kb.snapshots / sid)
    return sid
