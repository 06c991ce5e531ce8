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


def write_chroma(build: Path, units: list[Doc], vectors: np.ndarray) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(build / CHROMA_DIR))
    # embedding_function=None: Chroma's default would download a model; we pass our vectors.
    col = client.create_collection(
        COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    step = max(1, min(client.get_max_batch_size(), 2000))
    for i in range(0, len(units), step):
        batch = units[i : i + step]
        col.add(
            ids=[u.id for u in batch],
            embeddings=vectors[i : i + step],
            metadatas=[_flat_meta(u) for u in batch],
        )


def _flat_meta(u: Doc) -> dict:
    m = u.metadata
    return {"source_id": str(m.get("source_id", "")), "kind": str(m.get("kind", "passage"))}


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_rejects(build: Path, rejects: list[dict]) -> None:
    with (build / REJECTS_FILE).open("w", encoding="utf-8") as f:
        for r in rejects:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
