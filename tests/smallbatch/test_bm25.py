"""The fast BM25 index against the reference, rank-bm25's BM25Okapi: same top-k, same scores."""

from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from smallbatch.bm25 import BM25S_DIR, BM25Index, open_index
from smallbatch.settings import REPO_ROOT
from smallbatch.text import tokenize

SAMPLE = REPO_ROOT / "smallbatch" / "samples" / "squad-sample.json"


def sample_corpus() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """The bundled SQuAD sample: paragraphs as documents, its questions as queries."""
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]
    ids, docs, queries = [], [], []
    for a in data:
        for p, para in enumerate(a["paragraphs"]):
            ids.append(f"{a['title']}/{p}")
            docs.append(tokenize(para["context"]))
            queries += [tokenize(q["question"]) for q in para["qas"]]
    return ids, docs, queries


def skewed_corpus() -> tuple[list[str], list[list[str]]]:
    """Terms in more than half of the documents (negative idf in rank-bm25), one empty document."""
    rng = random.Random(3)
    docs = [[f"w{rng.randrange(200)}" for _ in range(rng.randrange(1, 30))] for _ in range(300)]
    docs = [d + ["common"] * (i % 3) for i, d in enumerate(docs)] + [["<empty>"]]
    return [f"d{i}" for i in range(len(docs))], docs


def reference_top(okapi: BM25Okapi, ids: list[str], tokens: list[str], k: int):
    scores = np.asarray(okapi.get_scores(tokens))
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], i))
    return [(ids[i], scores[i]) for i in order[:k] if scores[i] > 0]


def assert_same(fast: list, ref: list) -> None:
    assert [i for i, _ in fast] == [i for i, _ in ref]
    np.testing.assert_allclose([s for _, s in fast], [s for _, s in ref], rtol=1e-5, atol=1e-6)


def test_same_top_k_and_scores_as_rank_bm25_on_the_sample():
    ids, docs, queries = sample_corpus()
    fast, ref = BM25Index.build(ids, docs), BM25Okapi(docs)
    assert len(queries) > 100
    for tokens in queries:
        assert_same(fast.search(tokens, 10), reference_top(ref, ids, tokens, 10))
        np.testing.assert_allclose(fast.scores(tokens), ref.get_scores(tokens), rtol=1e-5, atol=1e-6)


def test_negative_idf_floor_and_repeated_query_terms_match():
    ids, docs = skewed_corpus()
    fast, ref = BM25Index.build(ids, docs), BM25Okapi(docs)
    assert ref.idf["common"] == pytest.approx(ref.epsilon * ref.average_idf)  # the floor applies
    for tokens in (["common"], ["w1", "w1", "common"], ["w7", "w9", "unknown"], ["<empty>"]):
        assert_same(fast.search(tokens, 20), reference_top(ref, ids, tokens, 20))


def test_no_known_term_finds_nothing():
    ids, docs = skewed_corpus()
    index = BM25Index.build(ids, docs)
    assert index.search([], 5) == [] and index.search(["zzz"], 5) == []
    assert not index.scores(["zzz"]).any()


def test_saved_index_loads_memory_mapped_with_the_same_results(tmp_path):
    ids, docs, queries = sample_corpus()
    built = BM25Index.build(ids, docs)
    built.save(tmp_path / BM25S_DIR)
    loaded = open_index(tmp_path, "bm25.pkl")
    assert isinstance(loaded._data, np.memmap)
    for tokens in queries[:50]:
        assert loaded.search(tokens, 5) == built.search(tokens, 5)


def test_old_snapshot_with_only_the_pickle_still_loads(tmp_path, caplog):
    ids, docs, queries = sample_corpus()
    with (tmp_path / "bm25.pkl").open("wb") as f:  # what ingest wrote before the fast index
        pickle.dump({"ids": ids, "bm25": BM25Okapi(docs)}, f)
    index = open_index(tmp_path, "bm25.pkl")
    assert "re-ingest" in caplog.text
    assert index.search(queries[0], 5) == BM25Index.build(ids, docs).search(queries[0], 5)


def test_snapshot_without_any_bm25_index_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="re-ingest"):
        open_index(tmp_path, "bm25.pkl")


def test_index_files_do_not_depend_on_the_hash_seed(tmp_path):
    """The same units give byte-identical bm25s files in any process (bm25s's own vocabulary
    is set-ordered, so it changed with PYTHONHASHSEED)."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from smallbatch.bm25 import BM25Index; "
            "BM25Index.build(['a','b','c'], [['the','cat','sat'], ['dog','sat','down','x'], "
            "['cat','dog','y','z']]).save(Path(sys.argv[1]))")
    folders = []
    for seed in ("1", "2", "3"):
        folders.append(tmp_path / seed)
        subprocess.run([sys.executable, "-c", code, str(folders[-1])], check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"})
    contents = [{p.name: p.read_bytes() for p in f.iterdir()} for f in folders]
    assert contents[0] == contents[1] == contents[2]
    assert contents[0]  # files were written
