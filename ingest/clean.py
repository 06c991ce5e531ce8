"""Clean: normalise unicode and whitespace; drop docs left empty."""

from __future__ import annotations

from ingest.steps import Drop, Transform
from smallbatch.records import Doc, content_hash
from smallbatch.text import normalise


class Clean(Transform):
    name = "clean"

    def apply(self, doc: Doc) -> Doc | Drop:
        doc.text = normalise(doc.text)
        if not doc.text:
            return Drop("empty after cleaning")
        doc.metadata["source_hash"] = content_hash(doc.text)
        return doc
