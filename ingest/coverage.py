"""Coverage sampling to a budget: keep the units that cover the most ground.

Density-aware greedy k-center (farthest-point) selection over unit embeddings (Gonzalez 1985's
2-approximation of k-center, with each candidate's distance weighted by its local density): the
next unit is the one farthest from everything selected so far, so a rare topic gets a unit
before a dense cluster gets its fifth; weighting by density keeps isolated debris from winning
on distance alone. Selection stops when the token budget is spent. Every unit records its
selection rank (``coverage_rank``), so a smaller budget is a prefix of a larger one (the tuner
re-cuts without re-selecting); dropped units are recorded as "over budget".

Source-text stores (``by_passage``): only passages are ranked and paid for; each key takes its
passage's rank and goes with it. The budget thus prunes whole passages (noise, duplicates,
unasked-about text), never a sentence inside a kept one, and index keys cost no budget.

Query-aware (a ``QueryTarget`` from a query log, ingest/importance.py): the order interleaves the
coverage order with an importance order (units sampled toward the logged questions), so that a
share ``weight`` of the tokens of every prefix — hence of every budget — goes to the importance
order and the rest to coverage. ``coverage_rank`` records the interleaved order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ingest.importance import QueryTarget
from ingest.steps import Drops, Step
from ingest.vectors import VectorMemo
from smallbatch.records import Doc
from smallbatch.snapshot import is_key


def density(vecs: np.ndarray, k: int = 10) -> np.ndarray:
    """Mean cosine similarity to each unit's k nearest neighbours, in [0, 1]."""
    n = len(vecs)
    if n < 2:
        return np.ones(n, dtype=np.float32)
    k = min(k, n - 1)
    out = np.empty(n, dtype=np.float32)
    for s in range(0, n, 1024):  # blocks keep memory at 1024 x n
        sims = vecs[s : s + 1024] @ vecs.T
        top = np.partition(sims, -k - 1, axis=1)[:, -k - 1 :]  # includes self (1.0)
        out[s : s + 1024] = (top.sum(axis=1) - 1.0) / k
    return np.clip(out, 0.0, 1.0)


def k_center_order(vecs: np.ndarray, weight: np.ndarray) -> list[int]:
    """Indices in selection order: start at the densest unit, then repeatedly the unit with the
    largest (cosine distance to the selected set) x weight."""
    n = len(vecs)
    if n == 0:
        return []
    first = int(np.argmax(weight))
    order = [first]
    mind = 1.0 - vecs @ vecs[first]
    mind[first] = -np.inf
    for _ in range(n - 1):
        nxt = int(np.argmax(mind * weight))
        order.append(nxt)
        mind = np.minimum(mind, 1.0 - vecs @ vecs[nxt])
        mind[order] = -np.inf
    return order


def interleave(coverage: list[int], importance: list[int], cost: list[int],
               share: float) -> tuple[list[int], set[int]]:
    """One order over both: the next unit comes from ``importance`` while its tokens so far are
    at most ``share`` of all tokens so far, else from ``coverage``; a unit already taken is
    skipped. Returns the order and the units the importance order contributed."""
    order, taken, from_importance = [], set(), set()
    spent = {True: 0, False: 0}  # tokens from importance (True) and from coverage (False)
    pos = {True: 0, False: 0}
    queues = {True: importance, False: coverage}
    while len(order) < len(coverage):
        total = spent[True] + spent[False]
        pick = share > 0 and (share >= 1 or spent[True] <= share * total)
        q = queues[pick]
        while q[pos[pick]] in taken:
            pos[pick] += 1
        i = q[pos[pick]]
        order.append(i)
        taken.add(i)
        spent[pick] += cost[i]
        if pick:
            from_importance.add(i)
    return order, from_importance


class CoverageSample(Step):
    name = "coverage"

    def __init__(self, vectors: VectorMemo, count_tokens: Callable[[str], int],
                 budget_tokens: int | None, density_power: float = 0.5,
                 target: QueryTarget | None = None, by_passage: bool = False) -> None:
        if budget_tokens is not None and budget_tokens < 1:
            raise ValueError(f"budget must be >= 1 token, got {budget_tokens}")
        self.vectors, self.count = vectors, count_tokens
        self.budget, self.power = budget_tokens, density_power
        self.target, self.by_passage = target, by_passage
        self.report: dict = {}  # what the manifest records of this run

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        units = list(docs)
        keys = [u for u in units if is_key(u)] if self.by_passage else []
        units = [u for u in units if not is_key(u)] if self.by_passage else units
        if not units:
            for k in keys:
                drops.add(self.name, k, "passage dropped", parent=k.metadata.get("parent"))
            return
        kept = yield from self._sample(units, drops)
        for k in keys:
            parent = k.metadata.get("parent")
            if parent in kept:
                k.metadata["coverage_rank"] = kept[parent]
                yield k
            else:
                drops.add(self.name, k, "over budget (its passage)", parent=parent)

    def _sample(self, units: list[Doc], drops: Drops):
        """Rank and cut ``units``; yields the kept ones, returns {kept id: coverage rank}."""
        vecs = self.vectors.of(units)
        weight = np.maximum(density(vecs), 1e-3) ** self.power
        order = k_center_order(vecs, weight)
        cost = [self.count(u.text) for u in units]
        picked: set[int] = set()
        if self.target is not None:
            by_importance, w = self.target.order(
                [u.text for u in units], [str(u.metadata.get("source_id", u.id)) for u in units])
            order, picked = interleave(order, by_importance, cost, self.target.weight)
            for u, wi in zip(units, w):
                u.metadata["query_importance"] = round(float(wi), 4)
        spent, keep = 0, set()
        for rank, i in enumerate(order):
            units[i].metadata["coverage_rank"] = rank
            if self.budget is None or spent + cost[i] <= self.budget:
                spent += cost[i]
                keep.add(i)
        self.report = {"budget_tokens": self.budget, "units": len(keep), "tokens": spent,
                       "query_aware": self.target is not None}
        if self.target is not None:
            self.report["query_log"] = self.target.info
            self.report["kept_by_importance"] = len(keep & picked)
        for i, u in enumerate(units):
            if i in keep:
                yield u
            else:
                drops.add(self.name, u, "over budget", rank=u.metadata["coverage_rank"])
        return {units[i].id: units[i].metadata["coverage_rank"] for i in keep}
