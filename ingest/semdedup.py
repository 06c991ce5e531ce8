"""Semantic dedup of knowledge units: near-identical meanings, different words.

Overlapping chunks and repeated pages make the teacher state the same fact several times in
slightly different words; exact and MinHash dedup cannot see that. Units are visited best first
(longer text, then input order), and a unit whose embedding has cosine similarity >= ``threshold``
with an already kept unit of the same kind is dropped as a duplicate of it; the keeper lists
what it absorbed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ingest.steps import Drops, Step
from ingest.vectors import VectorMemo
from smallbatch.records import Doc


class SemanticDedup(Step):
    name = "semantic_dedup"

    def __init__(self, vectors: VectorMemo, threshold: float = 0.93) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"semantic dedup threshold must be in (0, 1], got {threshold}")
        self.vectors, self.threshold = vectors, threshold

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        units = list(docs)
        if not units:
            return
        vecs = self.vectors.of(units)
        order = sorted(range(len(units)), key=lambda i: (-len(units[i].text), i))
        kept: dict[str, list[int]] = {}  # kind -> kept unit indices
        keep = [False] * len(units)
        for i in order:
            kind = units[i].metadata.get("kind", "passage")
            same = kept.setdefault(kind, [])
            if same:
                sims = vecs[same] @ vecs[i]
                j = int(np.argmax(sims))
                if sims[j] >= self.threshold:
                    keeper = units[same[j]]
                    keeper.metadata.setdefault("absorbed", []).append(units[i].id)
                    drops.add(self.name, units[i], "semantic duplicate", of=keeper.id,
                              similarity=round(float(sims[j]), 4))
                    continue
            same.append(i)
            keep[i] = True
        yield from (u for u, k in zip(units, keep) if k)
