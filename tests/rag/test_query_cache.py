import numpy as np
import pytest

from rag.query_cache import QueryVectors


class CountingEmbedder:
    def __init__(self):
        self.calls: list[str] = []

    def encode_query(self, texts):
        self.calls += texts
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_repeated_question_is_embedded_once():
    emb = CountingEmbedder()
    cache = QueryVectors(emb, size=2)
    first, again = cache("alpha"), cache("alpha")
    assert emb.calls == ["alpha"] and (first == again).all()
    assert (cache.hits, cache.misses) == (1, 1)
    with pytest.raises(ValueError):
        first[0] = 0  # a cached vector is shared: read-only


def test_least_recently_used_is_evicted():
    emb = CountingEmbedder()
    cache = QueryVectors(emb, size=2)
    cache("a"), cache("b"), cache("a"), cache("c")  # "b" is the least recently used
    assert len(cache) == 2
    cache("a"), cache("b")
    assert emb.calls == ["a", "b", "c", "b"]


def test_size_zero_turns_the_cache_off():
    emb = CountingEmbedder()
    cache = QueryVectors(emb, size=0)
    cache("a"), cache("a")
    assert emb.calls == ["a", "a"] and len(cache) == 0
    with pytest.raises(ValueError):
        QueryVectors(emb, size=-1)
