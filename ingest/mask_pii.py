"""The desensitise step: mask PII in every record (the masker is the core's, smallbatch/pii.py)."""

from __future__ import annotations

from collections import Counter

from ingest.steps import Transform
from smallbatch.pii import mask
from smallbatch.records import Doc


class MaskPII(Transform):
    """Mask PII in every doc's text; record counts per kind in ``metadata["pii_masked"]``.

    Never drops a doc: a doc with an e-mail address in it is still knowledge.
    """

    name = "mask_pii"

    def apply(self, doc: Doc) -> Doc:
        doc.text, counts = mask(doc.text)
        if counts:
            seen = Counter(doc.metadata.get("pii_masked", {}))
            doc.metadata["pii_masked"] = dict(seen + counts)
        return doc
