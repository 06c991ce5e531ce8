"""Open a published snapshot read-only for search: its units, BM25 index and Chroma collection.

The files and their format are ``smallbatch/snapshot.py``'s; this is the searchable view of them
that retrieval holds while it serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smallbatch.bm25 import BM25Index, open_index
from smallbatch.records import Doc
from smallbatch.snapshot import (CHROMA_DIR, COLLECTION, LEGACY_BM25_FILE, answer_from,
                                 read_manifest, read_units)


@dataclass
class Snapshot:
    path: Path
    manifest: dict
    units: dict[str, Doc]
    _bm25_ids: list[str]
    _bm25: BM25Index
    _collection: object
    _client: object = None

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def answer_from(self) -> str:
        """"source": hits become windows of passage sentences (rag/windows.py); "unit": the
        units are shown as stored (older snapshots, raw and clean stores)."""
        return answer_from(self.manifest)

    @classmethod
    def open(cls, path: Path, chroma_url: str = "") -> "Snapshot":
        """``chroma_url``: the Chroma server, for a snapshot whose manifest says its vectors
        live in one (smallbatch/chroma.py)."""
        from smallbatch.chroma import open_client

        path = Path(path).resolve()
        manifest = read_manifest(path)  # SnapshotError (a FileNotFoundError) if incomplete
        units = {doc.id: doc for doc in read_units(path)}
        bm25 = open_index(path, LEGACY_BM25_FILE)  # memory-mapped; old snapshots: bm25.pkl
        vectors = manifest.get("vectors", {})
        client = open_client(vectors, path, chroma_url, CHROMA_DIR)
        collection = client.get_collection(vectors.get("collection", COLLECTION),
                                           embedding_function=None)
        return cls(path, manifest, units, bm25.ids, bm25, collection, client)

    def close(self) -> None:
        """Release the Chroma client (an embedded one's files stay untouched)."""
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()

    def bm25_search(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        """(id, BM25 score) best first; scores equal rank-bm25's (smallbatch/bm25.py)."""
        return self._bm25.search(tokens, n)

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these units (those the collection holds)."""
        if not ids:
            return {}  # Chroma refuses an empty id list
        got = self._collection.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}

    def vector_search(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first."""
        res = self._collection.query(query_embeddings=[vector], n_results=min(n, len(self.units)),
                                     include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]
