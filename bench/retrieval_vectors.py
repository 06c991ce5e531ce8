"""Unit vectors for the retrieval benchmark, within what 2 shared cores can embed.

- SQuAD units: the real all-MiniLM-L6-v2 vectors of an existing SQuAD store (default
  stores/squad-raw/current: every dev paragraph, chunked), read from a copy of its Chroma folder.
- A sample of Debian units: embedded for real here (cached).
- Every other Debian unit: a *proxy* vector. A full MiniLM pass costs ~0.2-0.7 s a unit on this
  machine while the model servers run (100k units: many hours), so filler units get the mean of
  MiniLM's input token embeddings mapped into MiniLM's output space by a ridge regression fitted
  on the really embedded units. The benchmark reports how close the proxy is (cosine to the real
  vector on held-out units). Latency does not depend on how a vector was made; recall at 10k/100k
  for the vector-based methods does, and the report says so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from smallbatch.records import Doc
from smallbatch.snapshot import CHROMA_DIR, COLLECTION, read_units


def squad_store(snapshot: Path, cache: Path) -> tuple[list[Doc], np.ndarray]:
    """Units and real vectors of an ingested SQuAD snapshot (its Chroma folder is copied first:
    the store is never opened in place)."""
    import chromadb

    units = read_units(snapshot)
    copy = cache / "squad-chroma"
    if not copy.exists():
        shutil.copytree(snapshot / CHROMA_DIR, copy)
    col = chromadb.PersistentClient(path=str(copy)).get_collection(COLLECTION,
                                                                   embedding_function=None)
    got = col.get(ids=[u.id for u in units], include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"]))
    return units, np.asarray([by_id[u.id] for u in units], dtype=np.float32)


def real_vectors(embedder, texts: list[str], path: Path) -> np.ndarray:
    if path.exists():
        vecs = np.load(path)
        if len(vecs) == len(texts):
            return vecs
    vecs = embedder.encode(texts, batch_size=16, progress=True)
    np.save(path, vecs)
    return vecs


def token_means(embedder, texts: list[str], batch: int = 2000) -> np.ndarray:
    """Mean of the model's input token embeddings over each text's first 256 tokens."""
    from tqdm import tqdm

    table = embedder.model[0].auto_model.embeddings.word_embeddings.weight.detach().numpy()
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for i in tqdm(range(0, len(texts), batch), desc="proxy vectors", unit="batch"):
        ids = embedder.tokenizer(texts[i:i + batch], truncation=True, max_length=256,
                                 add_special_tokens=False)["input_ids"]
        for j, row in enumerate(ids):
            if row:
                out[i + j] = table[row].mean(axis=0)
    return out


class Proxy:
    """Ridge regression from token means (plus a bias) to unit-normalised model outputs."""

    def __init__(self, x: np.ndarray, y: np.ndarray, alpha: float = 1.0):
        x1 = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)])
        self.w = np.linalg.solve(x1.T @ x1 + alpha * np.eye(x1.shape[1]), x1.T @ y)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]) @ self.w
        return (y / np.linalg.norm(y, axis=1, keepdims=True)).astype(np.float32)


def fit_proxy(x: np.ndarray, y: np.ndarray, seed: int = 7) -> tuple[Proxy, dict]:
    """Fit on 80 %, report the held-out cosine to the real vectors, refit on everything."""
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.8 * len(x))
    held = Proxy(x[order[:cut]], y[order[:cut]])
    cos = np.sum(held(x[order[cut:]]) * y[order[cut:]], axis=1)
    stats = {"fit_units": len(x), "heldout_units": len(x) - cut,
             "heldout_cosine_mean": round(float(cos.mean()), 3),
             "heldout_cosine_p10": round(float(np.percentile(cos, 10)), 3)}
    return Proxy(x, y), stats
