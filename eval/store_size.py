"""The store size of an evaluated system: its snapshot's id, units, tokens and the articles it
covers (the report's size columns; the coverage that unanswerable questions must avoid)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from smallbatch.snapshot import iter_unit_rows, read_manifest


@dataclass(frozen=True)
class StoreInfo:
    snapshot_id: str
    kb: str | None
    units: int
    tokens: int | None
    titles: frozenset[str]  # SQuAD article titles of the units (metadata title, source id prefix)
    text: str  # every unit's text, whitespace-collapsed and lower-cased (for coverage checks)


@lru_cache(maxsize=8)
def store_info(snapshot: Path) -> StoreInfo:
    snapshot = Path(snapshot)
    manifest = read_manifest(snapshot)
    counts = manifest.get("counts", {})
    titles, texts, n = set(), [], 0
    for unit in iter_unit_rows(snapshot):
        n += 1
        meta = unit.get("metadata", {})
        if meta.get("title"):
            titles.add(str(meta["title"]))
        if "/" in str(meta.get("source_id", "")):
            titles.add(str(meta["source_id"]).rsplit("/", 1)[0])
        texts.append(" ".join(unit["text"].split()).lower())
    return StoreInfo(manifest.get("id", snapshot.name), manifest.get("kb"),
                     int(counts.get("units", n)), counts.get("unit_tokens"), frozenset(titles),
                     "\n".join(texts))
