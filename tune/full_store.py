"""The full curated store the tuner cuts from, held in memory: units, token counts, vectors.

The full store is a snapshot built with the curated profile and no budget: every unit carries
its ``kind``, ``quality`` and ``coverage_rank``. A cut reuses the full store's vectors (read back
from its Chroma collection), so no unit is embedded again; it is written as a snapshot by
``smallbatch.snapshot.write_snapshot`` like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smallbatch import snapshot
from smallbatch.records import Doc
from smallbatch.store import KnowledgeBase
from tune.errors import TuneError


@dataclass
class FullStore:
    path: Path
    manifest: dict
    units: list[Doc]
    tokens: list[int]  # per unit, counted by the store's embedder; 0 for a retrieval key
    vectors: np.ndarray  # row i belongs to units[i]

    @property
    def id(self) -> str:
        return self.path.name

    def cut(self, kept: list[int]) -> tuple[list[Doc], np.ndarray]:
        """The kept units and their vectors, in the full store's order."""
        return [self.units[i] for i in kept], self.vectors[kept]


def source_snapshot(kb: KnowledgeBase, snapshot_id: str | None = None) -> Path:
    """``snapshot_id``, else the published snapshot — or, when that one was itself tuned, the
    full store it was cut from (tuning again starts from everything)."""
    if snapshot_id:
        return kb.snapshot_path(snapshot_id)
    current = kb.current()
    if current is None:
        raise TuneError(f"knowledge base {kb.name!r} has no published snapshot under {kb.dir}; "
                        f"build one with `smallbatch ingest PATH --kb {kb.name} --profile curated`")
    tuning = _manifest(current).get("tuning")
    return kb.snapshot_path(tuning["from"]) if tuning else current


def read_full_store(path: Path) -> tuple[dict, list[Doc]]:
    """(manifest, units) of a snapshot, checked to be a full curated store."""
    manifest = _manifest(path)
    units = snapshot.read_units(path)
    if not units:
        raise TuneError(f"{path}: the snapshot has no units")
    missing = sum("coverage_rank" not in u.metadata for u in units)
    if missing:
        raise TuneError(f"{path}: {missing} of {len(units)} units carry no coverage_rank; tune "
                        f"needs a store built with the curated profile (`smallbatch ingest PATH "
                        f"--profile curated`, no --budget-tokens)")
    cut = manifest.get("drops", {}).get("coverage", {}).get("over budget", 0)
    if cut:
        budget = manifest.get("settings", {}).get("curation", {}).get("budget_tokens")
        raise TuneError(f"{path}: its budget of {budget} tokens dropped {cut} units; tune cuts "
                        f"from the full store: ingest with the curated profile and no "
                        f"--budget-tokens")
    return manifest, units


def load_full_store(path: Path, manifest: dict, units: list[Doc], chroma_url: str = "",
                    embedder: str = "all-MiniLM-L6-v2") -> FullStore:
    """The full store (as ``read_full_store`` gave it) with each unit's token count (by the
    embedder the manifest names, else ``embedder``) and vector."""
    from smallbatch.chroma import open_client
    from smallbatch.embed import get_embedder

    counter = get_embedder(manifest.get("embedder", {}).get("name", embedder))
    # keys (facts, questions pointing at a passage) cost no budget, as in ingest/coverage.py: the
    # store's size is what the reader can be shown
    tokens = [0 if snapshot.is_key(u) else counter.count_tokens(u.text) for u in units]
    vectors = manifest.get("vectors", {})
    client = open_client(vectors, path, chroma_url, snapshot.CHROMA_DIR)
    col = client.get_collection(vectors.get("collection", snapshot.COLLECTION),
                                embedding_function=None)
    by_id: dict[str, np.ndarray] = {}
    step = 5000
    for offset in range(0, len(units), step):
        got = col.get(include=["embeddings"], limit=step, offset=offset)
        by_id.update(zip(got["ids"], got["embeddings"]))
    if hasattr(client, "close"):
        client.close()
    missing = [u.id for u in units if u.id not in by_id]
    if missing:
        raise TuneError(f"{path}: {len(missing)} units have no vector in the Chroma collection "
                        f"(e.g. {missing[0]!r})")
    vecs = np.asarray([by_id[u.id] for u in units], dtype=np.float32)
    return FullStore(path, manifest, units, tokens, vecs)


def _manifest(path: Path) -> dict:
    try:
        return snapshot.read_manifest(path)
    except snapshot.SnapshotError as e:
        raise TuneError(str(e)) from None
