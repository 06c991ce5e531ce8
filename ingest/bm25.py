"""Write a snapshot's fast BM25 index (bm25s, scored like rank-bm25; see smallbatch/bm25.py)."""

from __future__ import annotations

from pathlib import Path

from ingest.write import index_text
from smallbatch.bm25 import BM25S_DIR, BM25Index
from smallbatch.records import Doc
from smallbatch.text import tokenize


def write_bm25s(build: Path, units: list[Doc]) -> None:
    BM25Index.build([u.id for u in units], [tokenize(index_text(u)) for u in units]).save(
        build / BM25S_DIR)
