"""Split docs into passages no longer than the embedder reads, keeping each chunk's span.

The splitting is llama-index's ``SentenceSplitter`` (sentence-aware, with overlap), measured in
the embedder's own tokens so no chunk is silently truncated when it is embedded.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.steps import Drop, Transform
from smallbatch.records import Doc, content_hash


def locate(text: str, chunks: list[str]) -> list[tuple[int, int]]:
    """Character spans of ``chunks`` in ``text``, searched left to right (chunks may overlap).

    A chunk the splitter re-spaced is matched on its first and last 20 characters; if even that
    fails, the span covers the region after the previous chunk, so provenance stays monotonic.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for chunk in chunks:
        start = text.find(chunk, cursor)
        if start >= 0:
            end = start + len(chunk)
        else:
            head, tail = chunk[:20], chunk[-20:]
            start = text.find(head, cursor)
            start = start if start >= 0 else cursor
            tail_at = text.find(tail, start)
            end = tail_at + len(tail) if tail_at >= 0 else min(len(text), start + len(chunk))
        spans.append((start, end))
        cursor = start + 1
    return spans


class Chunker(Transform):
    name = "chunk"

    def __init__(self, chunk_tokens: int, overlap: int, tokenize: Callable[[str], list]):
        if overlap >= chunk_tokens:
            raise ValueError(f"chunk overlap ({overlap}) must be smaller than chunk size ({chunk_tokens})")
        self.args = (chunk_tokens, overlap, tokenize)
        self.splitter = self._splitter()

    def _splitter(self):
        from llama_index.core.node_parser import SentenceSplitter

        chunk_tokens, overlap, tokenize = self.args
        return SentenceSplitter(chunk_size=chunk_tokens, chunk_overlap=overlap, tokenizer=tokenize)

    def __getstate__(self) -> dict:  # the splitter drops its split functions when pickled
        return {"args": self.args}

    def __setstate__(self, state: dict) -> None:  # so a Ray worker builds its own
        self.args = state["args"]
        self.splitter = self._splitter()

    def split(self, text: str) -> list[str]:
        return [c for c in self.splitter.split_text(text) if c.strip()]

    def apply(self, doc: Doc) -> list[Doc] | Drop:
        chunks = self.split(doc.text)
        if not chunks:
            return Drop("no chunk")
        out = []
        for i, (chunk, span) in enumerate(zip(chunks, locate(doc.text, chunks))):
            meta = dict(doc.metadata)
            meta.update(kind="passage", span=list(span), content_hash=content_hash(chunk),
                        questions=[])
            out.append(Doc(id=f"{doc.id}#c{i}", text=chunk, metadata=meta))
        return out
