"""Write a snapshot's files into a build folder (never into a published snapshot)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

from smallbatch.records import Doc
from smallbatch.text import tokenize

COLLECTION = "units"  # chroma needs >= 3 characters
CHROMA_DIR = "chroma"
BM25_FILE = "bm25.pkl"
UNITS_FILE = "units.jsonl"
MANIFEST_FILE = "manifest.json"
REJECTS_FILE = "rejects.jsonl"


def index_text(unit: Doc) -> str:
    """What retrieval matches against: the unit and the questions generated for it."""
    questions = unit.metadata.get("questions") or []
    return "\n".join([unit.text, *questions])


def write_units(build: Path, units: list[Doc]) -> None:
    with (build / UNITS_FILE).open("w", encoding="utf-8") as f:
        for u in units:
            f.write(json.dumps(u.to_json(), ensure_ascii=False) + "\n")


def write_bm25(build: Path, units: list[Doc]) -> None:
    from rank_bm25 import BM25Okapi

    corpus = [tokenize(index_text(u)) or ["<empty>"] for u in units]
    index = BM25Okapi(corpus)
    with (build / BM25_FILE).open("wb") as f:
        pickle.dump({"ids": [u.id for u in units], "bm25": index}, f, protocol=pickle.HIGHEST_PROTOCOL)


def write_chroma(build: Path, units: list[Doc], vectors: np.ndarray, server_url: str = "",
                 kb: str = "") -> dict:
    """Embedded in ``build/chroma`` or, with ``server_url``, uploaded to a Chroma server as one
    collection for this snapshot. Returns the manifest's ``vectors`` entry."""
    import chromadb

    from smallbatch import chroma

    if server_url:
        client, name = chroma.server_client(server_url), chroma.collection_name(kb, build.name)
        vectors_entry = {"backend": chroma.SERVER, "collection": name}
    else:
        client, name = chromadb.PersistentClient(path=str(build / CHROMA_DIR)), COLLECTION
        vectors_entry = {"backend": chroma.EMBEDDED, "collection": name}
    # embedding_function=None: Chroma's default would download a model; we pass our vectors.
    col = client.create_collection(
        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    step = max(1, min(client.get_max_batch_size(), 2000))
    for i in range(0, len(units), step):
        batch = units[i : i + step]
        col.add(
            ids=[u.id for u in batch],
            embeddings=vectors[i : i + step],
            metadatas=[_flat_meta(u) for u in batch],
        )
    return vectors_entry


def _flat_meta(u: Doc) -> dict:
    m = u.metadata
    return {"source_id": str(m.get("source_id", "")), "kind": str(m.get("kind", "passage"))}


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_rejects(build: Path, rejects: list[dict]) -> None:
    with (build / REJECTS_FILE).open("w", encoding="utf-8") as f:
        for r in rejects:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
