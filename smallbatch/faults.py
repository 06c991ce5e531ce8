"""Fault injection for crash tests: die with SIGKILL at a named point of a build or publish.

Armed by ``Settings.test_crash_at`` (``SMALLBATCH_TEST_CRASH_AT=publish``); empty in production.
SIGKILL, not an exception: no ``finally`` block, no atexit hook and no buffered write gets a chance
to tidy up, exactly as when an operator runs ``kill -9`` or the OOM killer strikes.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

# In the order a build reaches them.
CRASH_POINTS = (
    "steps",     # while the curation steps stream: the first unit is out, the rest are not
    "embed",     # units embedded, nothing written yet
    "write",     # building/<id>/ half written: units and BM25 there, Chroma not
    "manifest",  # building/<id>/ complete with its manifest, not yet moved into snapshots/
    "publish",   # snapshots/<id>/ in place, new `current` link made but not yet swapped in
)


def crash_point(armed: str, point: str) -> None:
    """Kill this process now if ``armed`` names ``point``."""
    if point not in CRASH_POINTS:
        raise ValueError(f"unknown crash point {point!r}; valid: {CRASH_POINTS}")
    if armed == point:
        os.kill(os.getpid(), signal.SIGKILL)


def crash_during(items: Iterator[T], armed: str, point: str) -> Iterator[T]:
    """Pass ``items`` through, crashing at ``point`` right after the first one."""
    for i, item in enumerate(items):
        yield item
        if i == 0:
            crash_point(armed, point)
