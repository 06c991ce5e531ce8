"""An LRU cache of query embeddings in front of the embedder.

A chat service sees the same questions again (retries, the page's suggested questions, eval
reruns); a cached question skips the model, which is most of retrieval's time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class QueryVectors:
    def __init__(self, embedder, size: int = 1024):
        if size < 0:
            raise ValueError(f"query cache size must be >= 0, got {size}")
        self.embedder = embedder
        self.size = size
        self.hits = self.misses = 0
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # searches run in worker threads

    def __call__(self, query: str) -> np.ndarray:
        with self._lock:
            vec = self._cache.get(query)
            if vec is not None:
                self._cache.move_to_end(query)
                self.hits += 1
                return vec
            self.misses += 1
        vec = self.embedder.encode_query([query])[0]
        vec.setflags(write=False)  # shared between callers
        if self.size:
            with self._lock:
                self._cache[query] = vec
                self._cache.move_to_end(query)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return vec

    def __len__(self) -> int:
        return len(self._cache)
