"""The step protocol and the drop ledger every step reports to."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Protocol

from smallbatch.records import Doc


class Drops:
    """What each step dropped or merged, and why: counts per (step, reason) plus the records."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.rejects: list[dict] = []

    def add(self, step: str, doc: Doc, reason: str, **detail) -> None:
        self.counts[step][reason] += 1
        self.rejects.append({"step": step, "reason": reason, "id": doc.id,
                             "source_path": doc.metadata.get("source_path"), **detail})

    def summary(self) -> dict[str, dict[str, int]]:
        return {step: dict(c) for step, c in self.counts.items()}


class Step(Protocol):
    name: str

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]: ...
