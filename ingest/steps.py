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

    def extend(self, rejects: list[dict]) -> None:
        """Take over rejects recorded by another ledger (e.g. one in a Ray worker)."""
        for r in rejects:
            self.counts[r["step"]][r["reason"]] += 1
            self.rejects.append(r)

    def summary(self) -> dict[str, dict[str, int]]:
        return {step: dict(c) for step, c in self.counts.items()}


class Step(Protocol):
    """``run`` maps a stream of records to a stream of records, reporting drops to the ledger.

    A step whose output for a record depends on that record alone declares ``per_record = True``;
    an engine may then cut the stream into batches and run them anywhere (Ray Data
    ``map_batches``). A step without it sees the whole corpus in one ``run`` (dedup, boilerplate,
    Top-N, anything that compares records).
    """

    name: str

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]: ...


def per_record(step: Step) -> bool:
    return bool(getattr(step, "per_record", False))
