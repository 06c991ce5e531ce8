"""Open a published snapshot read-only: units, the BM25 index and the Chroma collection."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.write import BM25_FILE, CHROMA_DIR, COLLECTION, MANIFEST_FILE, UNITS_FILE
from smallbatch.records import Doc


@dataclass
class Snapshot:
    path: Path
    manifest: dict
    units: dict[str, Doc]
    _bm25_ids: list[str]
    _bm25: object
    _collection: object

    @property
    def id(self) -> str:
        return self.path.name

    @classmethod
    def open(cls, path: Path) -> "Snapshot":
        import chromadb

        path = Path(path).resolve()
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.exists():
            raise FileNotFoundError(f"{path}: not a complete snapshot (no {MANIFEST_FILE})")
        manifest = json.loads(manifest_path.read_text())
        units: dict[str, Doc] = {}
        with (path / UNITS_FILE).open(encoding="utf-8") as f:
            for line in f:
                doc = Doc.from_json(json.loads(line))
                units[doc.id] = doc
        with (path / BM25_FILE).open("rb") as f:
            bm25 = pickle.load(f)
        client = chromadb.PersistentClient(path=str(path / CHROMA_DIR))
        collection = client.get_collection(COLLECTION, embedding_function=None)
        return cls(path, manifest, units, bm25["ids"], bm25["bm25"], collection)

    def bm25_search(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        if not tokens:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens))
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._bm25_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def vector_search(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first."""
        res = self._collection.query(query_embeddings=[vector], n_results=min(n, len(self.units)),
                                     include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]
