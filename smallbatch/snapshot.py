"""The snapshot format: the files of one snapshot folder, and the only code that reads or
writes them.

    <snapshot>/units.jsonl     every unit (``Doc.to_json``), one per line
    <snapshot>/bm25s/          the BM25 index over ``index_text`` (smallbatch/bm25.py)
    <snapshot>/chroma/         the vectors, when embedded (else a collection on a Chroma server)
    <snapshot>/rejects.jsonl   every dropped record with its step and reason
    <snapshot>/report.json     the store report (report.html beside it)
    <snapshot>/manifest.json   written last: a folder without it is not a snapshot

Builders (``ingest``, ``tune``) call ``write_snapshot``; readers (``rag``, ``eval``, ``tune``,
``querylog``, ``kb diff``) call ``read_manifest`` / ``read_units``.

Units of a source-text store (``manifest["answer_from"] == "source"``, curated profile): the
clean kept passages (kind ``passage``, with ``metadata.sentences``: their sentence spans) are
what the reader is shown; the teacher's facts, QA pairs, summaries and keywords are **keys**
(``metadata.key`` true, ``metadata.parent`` the passage id, ``metadata.key_span`` the [start,
end) characters of the passage they point at). Both are indexed; retrieval maps a key hit to its
passage, shown focused on the question as a clean store's passages are (rag/recentre.py), or
as a window of the sentences the key points at with recentring off (rag/windows.py). A manifest without ``answer_from`` (older
snapshots, raw and clean stores) shows its units as they are. A unit's ``metadata.header``
(``Title › Section``), when present, is indexed and embedded with its text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from smallbatch.faults import crash_point
from smallbatch.records import Doc
from smallbatch.text import tokenize

FORMAT = 1  # manifest["format"]
COLLECTION = "units"  # the embedded Chroma collection; Chroma needs >= 3 characters
CHROMA_DIR = "chroma"
LEGACY_BM25_FILE = "bm25.pkl"  # snapshots from before bm25s; still readable
UNITS_FILE = "units.jsonl"
MANIFEST_FILE = "manifest.json"
REJECTS_FILE = "rejects.jsonl"
REPORT_FILE = "report.json"
REPORT_HTML = "report.html"


class SnapshotError(FileNotFoundError):
    """A folder that is not a complete snapshot."""


def is_complete(path: Path) -> bool:
    return (Path(path) / MANIFEST_FILE).exists()


def read_manifest(path: Path) -> dict[str, Any]:
    file = Path(path) / MANIFEST_FILE
    if not file.exists():
        raise SnapshotError(f"{path}: not a complete snapshot (no {MANIFEST_FILE})")
    return json.loads(file.read_text(encoding="utf-8"))


def iter_unit_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The raw JSON rows of ``units.jsonl`` (for readers that need only a few fields)."""
    with (Path(path) / UNITS_FILE).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def read_units(path: Path) -> list[Doc]:
    return [Doc.from_json(row) for row in iter_unit_rows(path)]


def index_text(unit: Doc) -> str:
    """What retrieval matches against: the unit's header (when it has one: units without a
    header, such as the raw profile's chunks, are indexed exactly as before headers existed),
    its text and the questions generated for it."""
    header = unit.metadata.get("header")
    questions = unit.metadata.get("questions") or []
    return "\n".join([*([header] if header else []), unit.text, *questions])


def is_key(unit: Doc) -> bool:
    """A retrieval key (points at a passage), not text the reader is shown."""
    return bool(unit.metadata.get("key"))


def answer_from(manifest: dict[str, Any]) -> str:
    """"source" when the reader is shown passage windows, "unit" when it sees units as stored."""
    return manifest.get("answer_from") or "unit"


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")


def write_units(build: Path, units: list[Doc]) -> None:
    write_jsonl(build / UNITS_FILE, [u.to_json() for u in units])


def write_bm25(build: Path, units: list[Doc]) -> None:
    from smallbatch.bm25 import BM25S_DIR, BM25Index

    BM25Index.build([u.id for u in units], [tokenize(index_text(u)) for u in units]).save(
        build / BM25S_DIR)


def write_vectors(build: Path, units: list[Doc], vectors: np.ndarray, server_url: str = "",
                  kb: str = "") -> dict:
    """Embedded in ``build/chroma`` or, with ``server_url``, uploaded to a Chroma server as one
    collection for this snapshot. Returns the manifest's ``vectors`` entry."""
    import chromadb

    from smallbatch import chroma

    if server_url:
        client, name = chroma.server_client(server_url), chroma.collection_name(kb, build.name)
        entry = {"backend": chroma.SERVER, "collection": name}
    else:
        client, name = chromadb.PersistentClient(path=str(build / CHROMA_DIR)), COLLECTION
        entry = {"backend": chroma.EMBEDDED, "collection": name}
    # embedding_function=None: Chroma's default would download a model; we pass our vectors.
    col = client.create_collection(
        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    step = max(1, min(client.get_max_batch_size(), 2000))
    for i in range(0, len(units), step):
        batch = units[i : i + step]
        col.add(ids=[u.id for u in batch], embeddings=vectors[i : i + step],
                metadatas=[_flat_meta(u) for u in batch])
    return entry


def _flat_meta(u: Doc) -> dict:
    m = u.metadata
    return {"source_id": str(m.get("source_id", "")), "kind": str(m.get("kind", "passage"))}


def write_snapshot(build: Path, units: list[Doc], vectors: np.ndarray, manifest: dict,
                   rejects: list[dict], *, chroma_url: str = "", kb: str = "",
                   crash_at: str = "") -> dict:
    """Write every file of a snapshot into ``build`` (a folder no reader sees yet), the manifest
    last, and return the manifest as written (with its ``vectors`` entry filled in).
    ``report.json``/``report.html`` and other extras are the caller's, written before this."""
    write_units(build, units)
    write_bm25(build, units)
    crash_point(crash_at, "write")
    manifest = {**manifest, "vectors": write_vectors(build, units, vectors, chroma_url, kb)}
    write_jsonl(build / REJECTS_FILE, rejects)
    write_json(build / MANIFEST_FILE, manifest)  # last: marks the build complete
    crash_point(crash_at, "manifest")
    return manifest
