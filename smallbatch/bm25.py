"""The BM25 index of a snapshot (written by ingest, served by rag): bm25s's sparse score matrix, memory-mapped, scored exactly
like rank-bm25's ``BM25Okapi`` (the reference; see tests/rag/test_bm25.py).

bm25s (Lù, 2024) precomputes every (term, document) score into a CSC matrix, so a query is a
sum over the posting lists of its terms instead of a pass over every document. Its built-in
idf variants differ from rank-bm25's, so the index is built with a strictly positive idf
(``bm25l``: log((N+1)/(df+0.5))) and each term's column is then rescaled to rank-bm25's weight
(k1+1)·idf, where idf = log((N-df+0.5)/(df+0.5)) and a negative idf (a term in more than half
of the documents) becomes epsilon × the mean idf, as ``BM25Okapi._calc_idf`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

BM25S_DIR = "bm25s"  # inside a snapshot
IDS_FILE = "ids.json"
K1, B, EPSILON = 1.5, 0.75, 0.25  # BM25Okapi's defaults
EMPTY = "<empty>"  # stands in for a unit with no token, as the rank-bm25 writer always did


def reference_idf(df: np.ndarray, n_docs: int, epsilon: float = EPSILON) -> np.ndarray:
    """rank-bm25 BM25Okapi's idf for document frequencies ``df`` (all > 0)."""
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    return np.where(idf < 0, epsilon * idf.mean(), idf)


class BM25Index:
    """Unit ids plus a bm25s engine whose scores equal rank-bm25's (float32)."""

    def __init__(self, ids: list[str], engine):
        n = engine.scores["num_docs"]
        if len(ids) != n:
            raise ValueError(f"BM25 index: {len(ids)} ids for {n} documents")
        self.ids = ids
        self.engine = engine
        s = engine.scores
        self._data, self._indices, self._indptr = s["data"], s["indices"], s["indptr"]
        self._vocab = engine.vocab_dict

    @classmethod
    def build(cls, ids: list[str], corpus: list[list[str]]) -> "BM25Index":
        import bm25s

        corpus = [tokens or [EMPTY] for tokens in corpus]
        # Term ids in order of first appearance: bm25s's own vocabulary comes from a set, whose
        # order changes with PYTHONHASHSEED, and the same units must give the same index files.
        vocab: dict[str, int] = {}
        token_ids = [[vocab.setdefault(t, len(vocab)) for t in tokens] for tokens in corpus]
        engine = bm25s.BM25(k1=K1, b=B, method="robertson", idf_method="bm25l")
        engine.index((token_ids, vocab), show_progress=False)
        s = engine.scores
        df = np.diff(s["indptr"]).astype(np.float64)  # one posting per (term, document)
        n_docs = s["num_docs"]
        present = df > 0  # bm25s adds an empty-string term that no document has
        factor = np.zeros_like(df)
        factor[present] = ((K1 + 1) * reference_idf(df[present], n_docs)
                           / np.log((n_docs + 1) / (df[present] + 0.5)))
        s["data"] = (s["data"] * np.repeat(factor, np.diff(s["indptr"]))).astype(np.float32)
        return cls(list(ids), engine)

    @classmethod
    def from_rank_bm25(cls, ids: list[str], okapi) -> "BM25Index":
        """Rebuild from a pickled rank-bm25 ``BM25Okapi`` (it keeps each document's term counts)."""
        corpus = [[t for t, c in counts.items() for _ in range(c)] for counts in okapi.doc_freqs]
        return cls.build(ids, corpus)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.engine.save(str(folder))
        (folder / IDS_FILE).write_text(json.dumps(self.ids, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> "BM25Index":
        import bm25s

        ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
        return cls(ids, bm25s.BM25.load(str(folder), mmap=mmap))

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """A score for every document, rank-bm25's ``get_scores`` (a repeated term counts twice)."""
        out = np.zeros(len(self.ids), dtype=np.float64)
        cols = [self._vocab[t] for t in tokens if t in self._vocab]
        if cols:
            idx, val = self._postings(cols)
            out += np.bincount(idx, weights=val, minlength=len(self.ids))
        return out

    def search(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        """(id, score) of the best ``n`` documents with a positive score, best first."""
        cols = [self._vocab[t] for t in tokens if t in self._vocab]
        if not cols or n < 1:
            return []
        idx, val = self._postings(cols)
        docs, inverse = np.unique(idx, return_inverse=True)
        scores = np.bincount(inverse, weights=val)
        keep = scores > 0
        docs, scores = docs[keep], scores[keep]
        if n < len(docs):  # everything tied with the n-th best, then ties by unit position
            nth = np.partition(scores, len(scores) - n)[len(scores) - n]
            docs, scores = docs[scores >= nth], scores[scores >= nth]
        top = np.lexsort((docs, -scores))[:n]
        return [(self.ids[docs[i]], float(scores[i])) for i in top]

    def _postings(self, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = self._indptr[cols], self._indptr[np.asarray(cols) + 1]
        idx = np.concatenate([self._indices[a:b] for a, b in zip(starts, ends)])
        val = np.concatenate([self._data[a:b] for a, b in zip(starts, ends)])
        return idx, val



def open_index(snapshot: Path, legacy_pickle: str) -> BM25Index:
    """A snapshot's BM25 index: the memory-mapped bm25s folder, or — for a snapshot written
    before it existed — rebuilt in memory from the pickled rank-bm25 index (a warning says so)."""
    folder = snapshot / BM25S_DIR
    if (folder / IDS_FILE).exists():
        return BM25Index.load(folder)
    old = snapshot / legacy_pickle
    if not old.exists():
        raise FileNotFoundError(f"{snapshot}: no BM25 index ({BM25S_DIR}/ or {legacy_pickle}); "
                                "re-ingest the sources to rebuild the snapshot")
    import logging
    import pickle

    with old.open("rb") as f:
        saved = pickle.load(f)
    logging.getLogger(__name__).warning(
        "%s: only the old %s index; building the fast index in memory (re-ingest to store it)",
        snapshot, legacy_pickle)
    return BM25Index.from_rank_bm25(saved["ids"], saved["bm25"])
