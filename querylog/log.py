"""The query log: one JSON line per served question, for query-aware curation.

Opt-in (``serve.query_log``). The chat API appends a row after each answer; ``smallbatch gaps``
reads it to find the topics the store covers poorly, and ingest's query-aware budget
(``curation.query_log``, ingest/importance.py) reads it to spend the budget where the questions
are. Only the PII-masked text is written (the masker ingest uses, smallbatch/pii.py): the raw
question never reaches the disk. A row::

    {"v": 1, "ts": "2026-05-01T12:00:00.123Z", "request_id": "…", "kb": "docs",
     "snapshot": "20260501T…", "question": "mail [EMAIL] about refunds",
     "query": null, "pii": {"EMAIL": 1}, "abstained": false, "withdrawn": false,
     "top_similarity": 0.61, "hits": [{"unit": "faq.md#c3", "similarity": 0.61, "score": 0.03}]}

``query`` is the standalone question retrieval used when a follow-up was rewritten (else null).
Writing never fails a request: a row that cannot be written is logged and counted, not raised.
Each row is one ``write(2)`` on a file opened with ``O_APPEND``, so rows of several API
processes do not interleave, and a rotated file is picked up at the next row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from smallbatch.pii import mask

FORMAT = 1
log = logging.getLogger("smallbatch.querylog")


def row(*, kb: str, snapshot: str, question: str, answer, request_id: str | None) -> dict:
    """The log row of one answered question (``answer``: a rag.answer.Answer), masked."""
    masked, pii = mask(question)
    rewrite = getattr(answer, "rewrite", None)
    query = None
    if rewrite is not None and rewrite.query.strip() != question.strip():
        query, more = mask(rewrite.query)
        pii = pii + more
    sims = [h.similarity for h in answer.hits if h.similarity is not None]
    now = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    return {
        "v": FORMAT, "ts": ts,
        "request_id": request_id, "kb": kb, "snapshot": snapshot,
        "question": masked, "query": query, "pii": dict(pii),
        "abstained": bool(answer.abstained), "withdrawn": answer.draft is not None,
        "top_similarity": round(max(sims), 4) if sims else None,
        "hits": [{"unit": h.unit.id,
                  "similarity": None if h.similarity is None else round(h.similarity, 4),
                  "score": round(h.score, 6)} for h in answer.hits],
    }


class QueryLog:
    """Appends rows to ``path`` (made on first use, readable by its owner only)."""

    def __init__(self, path: Path, on_error: Callable[[], None] | None = None):
        self.path = Path(path)
        self.on_error = on_error

    def record(self, **fields) -> bool:
        """Write the row of one answer (``row``'s arguments); False if it could not be written."""
        try:
            line = json.dumps(row(**fields), ensure_ascii=False) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
            return True
        except Exception:  # never fail the request; say so and count it
            log.warning("query log: row not written to %s", self.path, exc_info=True)
            if self.on_error:
                self.on_error()
            return False


def read(path: Path) -> tuple[list[dict], int]:
    """The log's rows in order, and how many lines were unreadable (skipped)."""
    return parse(Path(path).read_bytes())


def parse(data: bytes) -> tuple[list[dict], int]:
    rows, bad = [], 0
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(r, dict) and isinstance(r.get("question"), str):
            rows.append(r)
        else:
            bad += 1
    return rows, bad


def text_of(r: dict) -> str:
    """What was asked: the standalone (rewritten) question when there is one."""
    return r.get("query") or r["question"]


def summary(path: Path, data: bytes) -> dict:
    """What a manifest records of a log read as ``data``: where, its hash, its rows."""
    rows, bad = parse(data)
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(),
            "rows": len(rows), "unreadable": bad,
            "kbs": dict(Counter(r.get("kb") for r in rows))}
