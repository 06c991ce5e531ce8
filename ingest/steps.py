"""The step base classes and the drop ledger every step reports to (after datatrove's
``pipeline/base.py`` and ``filters/base_filter.py``).

A step maps a stream of records to a stream of records and tells the ledger what it dropped and
why. Most steps only decide or change one record at a time; they subclass ``Filter`` (keep or
drop, with a reason) or ``Transform`` (a changed record, several records, or a drop), and the
base class writes the record loop once. Steps that compare records (dedup, boilerplate, Top-N,
anything batched for a model) subclass ``Step`` and write their own ``run``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

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

    def tally(self, step: str, reason: str) -> None:
        """Count an event that dropped no record (a model call that failed, the record kept)."""
        self.counts[step][reason] += 1

    def extend(self, rejects: list[dict]) -> None:
        """Take over rejects recorded by another ledger (e.g. one in a Ray worker)."""
        for r in rejects:
            self.counts[r["step"]][r["reason"]] += 1
            self.rejects.append(r)

    def summary(self) -> dict[str, dict[str, int]]:
        return {step: dict(c) for step, c in self.counts.items()}


class Step:
    """``run`` maps a stream of records to a stream of records, reporting drops to the ledger.

    A step whose output for a record depends on that record alone declares ``per_record = True``;
    a runner may then cut the stream into batches and run them anywhere (Ray Data
    ``map_batches``). A step without it sees the whole corpus in one ``run`` (dedup, boilerplate,
    Top-N, anything that compares records). ``prompt_keys`` names the typed prompts the step
    asks a model (they go into the manifest).
    """

    name: str = ""
    per_record: bool = False
    prompt_keys: frozenset[str] | set[str] = frozenset()

    def run(self, docs: Iterable[Doc], drops: Drops) -> Iterator[Doc]:
        raise NotImplementedError


class Filter(Step):
    """Keeps or drops each record. ``keep(doc)`` answers ``True``, or ``(False, reason)``, or
    ``(False, reason, detail)`` whose ``detail`` dict lands in the record's reject row.

    ``keep`` never changes a record's text; it may note why it decided in the metadata (a
    quality score), so the store keeps the evidence.
    """

    per_record = True

    def keep(self, doc: Doc) -> bool | tuple:
        raise NotImplementedError

    def run(self, docs: Iterable[Doc], drops: Drops) -> Iterator[Doc]:
        for doc in docs:
            verdict = self.keep(doc)
            if verdict is True:
                yield doc
                continue
            _, reason, *detail = verdict
            drops.add(self.name, doc, reason, **(detail[0] if detail else {}))


@dataclass(slots=True)
class Drop:
    """What ``Transform.apply`` returns for a record it drops: the reason, and any detail for the
    reject row."""

    reason: str
    detail: dict = field(default_factory=dict)


class Transform(Step):
    """Changes each record on its own. ``apply(doc)`` returns the changed record, a list of the
    records that replace it (chunking), or a ``Drop``."""

    per_record = True

    def apply(self, doc: Doc) -> Doc | list[Doc] | Drop:
        raise NotImplementedError

    def run(self, docs: Iterable[Doc], drops: Drops) -> Iterator[Doc]:
        for doc in docs:
            out = self.apply(doc)
            if isinstance(out, Drop):
                drops.add(self.name, doc, out.reason, **out.detail)
            elif isinstance(out, Doc):
                yield out
            else:
                yield from out
