"""The full store the tuner cuts from, and writing a cut of it as a snapshot folder.

The full store is a snapshot built with the curated profile and no budget: every unit carries
its ``kind``, ``quality`` and ``coverage_rank``. A cut reuses the full store's vectors (read back
from its Chroma collection), so no unit is embedded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest import write
from ingest.bm25 import write_bm25s
from smallbatch.records import Doc
from smallbatch.store import KnowledgeBase


class TuneError(RuntimeError):
    pass


@dataclass
class FullStore:
    path: Path
    manifest: dict
    units: list[Doc]
    tokens: list[int]  # per unit, counted by the store's embedder (as the manifest counts them)
    vectors: np.ndarray  # row i belongs to units[i]

    @property
    def id(self) -> str:
        return self.path.name


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


def read_units(path: Path) -> tuple[dict, list[Doc]]:
    """(manifest, units) of a snapshot, checked to be a full curated store."""
    manifest = _manifest(path)
    with (path / write.UNITS_FILE).open(encoding="utf-8") as f:
        units = [Doc.from_json(json.loads(line)) for line in f if line.strip()]
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


def load(path: Path, manifest: dict, units: list[Doc], chroma_url: str = "",
         embedder: str = "all-MiniLM-L6-v2") -> FullStore:
    """The full store (as ``read_units`` gave it) with each unit's token count (by the embedder
    the manifest names, else ``embedder``) and vector."""
    from smallbatch.chroma import open_client
    from smallbatch.embed import get_embedder

    counter = get_embedder(manifest.get("embedder", {}).get("name", embedder))
    tokens = [counter.count_tokens(u.text) for u in units]
    vectors = manifest.get("vectors", {})
    client = open_client(vectors, path, chroma_url, write.CHROMA_DIR)
    col = client.get_collection(vectors.get("collection", write.COLLECTION),
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


def write_cut(folder: Path, full: FullStore, kept: list[int], chroma_url: str = "",
              kb: str = "") -> dict:
    """units.jsonl, bm25s/ and the vectors (embedded Chroma, or a collection on ``chroma_url``)
    of the kept units into ``folder``; returns the manifest's ``vectors`` entry."""
    folder.mkdir(parents=True, exist_ok=True)
    units = [full.units[i] for i in kept]
    write.write_units(folder, units)
    write_bm25s(folder, units)
    return write.write_chroma(folder, units, full.vectors[kept], chroma_url, kb)


def _manifest(path: Path) -> dict:
    file = path / write.MANIFEST_FILE
    if not file.exists():
        raise TuneError(f"{path}: not a complete snapshot (no {write.MANIFEST_FILE})")
    return json.loads(file.read_text())
