"""The one record type that flows through ingest and into the store."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Doc:
    """A source document, a chunk of one, or a knowledge unit in the store.

    ``metadata`` carries provenance: ``source_id``, ``source_path``, ``span`` ([start, end) in the
    source's cleaned text), ``content_hash``, and for units ``kind`` (passage | fact | qa | summary)
    and ``questions``.
    """

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "Doc":
        return cls(id=row["id"], text=row["text"], metadata=row.get("metadata", {}))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
