"""What the benchmarks share: the corpus benchmarks' command line and JSONL files, and child
processes (a server under test) that are always stopped."""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def parser(doc: str, result: str) -> argparse.ArgumentParser:
    """--corpus, --stores and --out (bench/results/<result>) with the script's docstring."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    ap.add_argument("--stores", type=Path, default=ROOT / "bench" / "stores")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / result)
    return ap


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


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
