"""Embeddings of units during ingest, computed once and shared by the steps that need them
(semantic dedup, coverage sampling, the store report)."""

from __future__ import annotations

import numpy as np

from smallbatch.records import Doc


class VectorMemo:
    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.memo: dict[str, np.ndarray] = {}

    def of(self, units: list[Doc]) -> np.ndarray:
        """Unit-normalised vectors of the units' texts, shape (len(units), dim)."""
        todo = list(dict.fromkeys(u.text for u in units if u.text not in self.memo))
        if todo:
            for text, vec in zip(todo, self.embedder.encode(todo, progress=len(todo) > 500)):
                self.memo[text] = vec
        if not units:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self.memo[u.text] for u in units]).astype(np.float32)
