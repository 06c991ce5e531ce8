"""The desensitise step: mask PII in every record (the masker is the core's, smallbatch/pii.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ingest.steps import Drops
from smallbatch.pii import mask
from smallbatch.records import Doc


class MaskPII:
    """Mask PII in every doc's text; record counts per kind in ``metadata["pii_masked"]``.

    Never drops a doc: a doc with an e-mail address in it is still knowledge.
    """

    name = "mask_pii"
    per_record = True

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        for doc in docs:
            doc.text, counts = mask(doc.text)
            if counts:
                seen = Counter(doc.metadata.get("pii_masked", {}))
                doc.metadata["pii_masked"] = dict(seen + counts)
            yield doc
