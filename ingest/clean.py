"""Clean: normalise unicode and whitespace; drop docs left empty."""

from __future__ import annotations

from collections.abc import Iterator

from ingest.steps import Drops
from smallbatch.records import Doc, content_hash
from smallbatch.text import normalise


class Clean:
    name = "clean"
    per_record = True

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        for doc in docs:
            doc.text = normalise(doc.text)
            if not doc.text:
                drops.add(self.name, doc, "empty after cleaning")
                continue
            doc.metadata["source_hash"] = content_hash(doc.text)
            yield doc


class ExactDedup:
    """Drop a doc whose cleaned text is identical to one already seen; the kept copy records it."""

    name = "exact_dedup"

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        seen: dict[str, Doc] = {}
        for doc in docs:
            h = content_hash(doc.text)
            if h in seen:
                keeper = seen[h]
                keeper.metadata.setdefault("absorbed", []).append(doc.metadata.get("source_path"))
                drops.add(self.name, doc, "exact duplicate", kept=keeper.id)
                continue
            seen[h] = doc
            yield doc
