"""Clean: normalise unicode and whitespace; rejoin Chinese lines a layout broke; drop docs left
empty.

Chinese needs two things English does not: full-width punctuation is kept (NFKC would make "，"
a ","; smallbatch.text.nfkc_cjk), and a line break inside a Chinese sentence is removed instead
of becoming a space, since Chinese puts no space between words. PDF text layers and hard-wrapped
text files break lines wherever the page ended; a quote copied from the source, a sentence split
or a character n-gram would otherwise see a space that the writer never typed.
"""

from __future__ import annotations

from ingest.steps import Drop, Transform
from smallbatch.records import Doc, content_hash
from smallbatch.text import HAN, normalise, unwrap_cjk


class Clean(Transform):
    name = "clean"

    def apply(self, doc: Doc) -> Doc | Drop:
        text = normalise(doc.text)
        doc.text = unwrap_cjk(text) if HAN.search(text) else text
        if not doc.text:
            return Drop("empty after cleaning")
        doc.metadata["source_hash"] = content_hash(doc.text)
        return doc
