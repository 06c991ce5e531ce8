"""DSIR importance toward logged questions, and the query-aware coverage budget it drives."""

import json
import zlib

import numpy as np
import pytest

from ingest.coverage import CoverageSample, interleave
from ingest.importance import (BUCKETS, QueryTarget, buckets, by_source, gumbel_order, importance,
                               ngrams)
from ingest.errors import IngestError
from ingest.steps import Drops
from smallbatch.records import Doc

TOPICS = {
    "refund": "refund payment invoice charge money returned card billing",
    "shipping": "shipping parcel courier delivery tracking warehouse dispatch",
    "password": "password login account reset sign locked credentials",
    "warranty": "warranty repair broken device replacement defect guarantee",
}
FILLER = "policy customers team notes page section update general".split()


def corpus(per_topic: int = 8) -> list[Doc]:
    rng = np.random.default_rng(0)
    docs = []
    for t, vocab in TOPICS.items():
        words = vocab.split()
        for i in range(per_topic):
            text = " ".join(rng.choice(words, 6).tolist() + rng.choice(FILLER, 4).tolist())
            docs.append(Doc(f"{t}-{i}", text, {"topic": t}))
    return docs


class TopicMemo:
    """Embeddings by topic (one axis each) plus per-unit noise: coverage spreads over topics."""

    def of(self, units):
        rng = np.random.default_rng(1)
        axis = {t: i for i, t in enumerate(TOPICS)}
        v = np.stack([np.eye(len(TOPICS))[axis[u.metadata["topic"]]] for u in units])
        v = v + 0.15 * rng.standard_normal(v.shape)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def write_log(path, questions):
    path.write_text("".join(json.dumps({"kb": "kb", "question": q, "abstained": True}) + "\n"
                            for q in questions) + "not json\n")
    return path


REFUND_QUESTIONS = ["How do I get a refund for a double charge?",
                    "When is my refund payment returned to my card?",
                    "Who do I mail at [EMAIL] about a refund of an invoice?",
                    "Why was my card charged twice, can I get the money back?"] * 5 + [
                    "Where is my parcel?"]


def select(docs, budget, target=None):
    step = CoverageSample(TopicMemo(), lambda t: len(t.split()), budget, target=target)
    kept = list(step.run(iter([Doc(d.id, d.text, dict(d.metadata)) for d in docs]), Drops()))
    return kept, step.report


def test_features_are_stable_hashed_unigrams_and_bigrams():
    assert ngrams("The refund of [EMAIL] money") == ["refund", "money", "refund money"]
    assert buckets("refund").tolist() == [zlib.crc32(b"refund") % BUCKETS]


def test_units_like_the_questions_weigh_more():
    units = [d.text for d in corpus()]
    w = importance(units, REFUND_QUESTIONS)
    topic = np.array([d.metadata["topic"] for d in corpus()])
    assert w[topic == "refund"].min() > w[topic != "refund"].max()
    assert np.allclose(importance(units, []), 0.0)  # no questions: no preference


def test_source_share_moves_weights_toward_their_sources_mean():
    w = np.array([4.0, 0.0, -2.0, -2.0])
    src = ["a", "a", "b", "b"]
    assert by_source(w, src, 0.0).tolist() == w.tolist()
    assert by_source(w, src, 1.0).tolist() == [2.0, 2.0, -2.0, -2.0]
    assert by_source(w, src, 0.5).tolist() == [3.0, 1.0, -2.0, -2.0]
    with pytest.raises(ValueError, match="source share"):
        by_source(w, src, 1.5)


def test_source_share_reaches_the_unlogged_passages_of_an_asked_source(tmp_path):
    # two sources share a vocabulary-free passage each; the log asks only about the first
    # source's refund passage, so only the source mean can lift its other passage
    texts = ["refund payment invoice charge money", "opening hours weekend staff holidays",
             "courier parcel tracking warehouse", "opening hours weekend staff holidays"]
    sources = ["billing", "billing", "shipping", "shipping"]
    log = write_log(tmp_path / "queries.jsonl", REFUND_QUESTIONS)
    plain = QueryTarget(log, 0.5, 0, source_share=0.0).order(texts, sources)[1]
    shared = QueryTarget(log, 0.5, 0, source_share=0.5).order(texts, sources)[1]
    assert plain[1] == plain[3]  # same text: unit-level DSIR cannot tell them apart
    assert shared[1] > shared[3]  # the source people ask about lifts its other passage
    assert QueryTarget(log, 0.5, 0, source_share=0.5).info["source_share"] == 0.5
    with pytest.raises(ValueError, match="source share"):
        QueryTarget(log, 0.5, 0, source_share=-0.1)


def test_gumbel_order_is_seeded_and_follows_the_weights():
    w = np.array([5.0, 0.0, 0.0, -5.0])
    assert gumbel_order(w, 3) == gumbel_order(w, 3)
    firsts = [gumbel_order(w, s)[0] for s in range(200)]
    assert firsts.count(0) > 180 and 3 not in firsts
    assert sorted(gumbel_order(w, 0)) == [0, 1, 2, 3]


def test_interleave_gives_the_share_of_every_prefix():
    cov, imp, cost = [0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [1] * 6
    assert interleave(cov, imp, cost, 0.0) == (cov, set())
    assert interleave(cov, imp, cost, 1.0)[0] == imp
    order, picked = interleave(cov, imp, cost, 0.5)
    assert order == [5, 0, 4, 1, 3, 2] and picked == {5, 4, 3}


def test_query_aware_budget_keeps_more_of_the_asked_topic(tmp_path):
    docs = corpus()
    budget = 12 * 10  # twelve of the 32 units
    log = write_log(tmp_path / "queries.jsonl", REFUND_QUESTIONS)
    plain, plain_report = select(docs, budget)
    aware, report = select(docs, budget, QueryTarget(log, weight=0.5, seed=7))

    def refunds(units):
        return sum(u.metadata["topic"] == "refund" for u in units)

    assert len(plain) == len(aware) == 12
    assert refunds(plain) == 3 and refunds(aware) == 7  # 6 by importance, 1 by coverage
    assert {u.metadata["topic"] for u in aware} == set(TOPICS)  # coverage keeps its share
    assert "query_importance" not in plain[0].metadata and not plain_report["query_aware"]
    # deterministic with a seed; the ranks are a full order, so budgets stay prefixes
    again, _ = select(docs, budget, QueryTarget(log, weight=0.5, seed=7))
    assert [u.id for u in again] == [u.id for u in aware]
    ranks = sorted(u.metadata["coverage_rank"] for u in aware)
    assert ranks == list(range(12))
    q = report["query_log"]
    assert report["query_aware"] and report["kept_by_importance"] == 6
    assert (q["rows"], q["unreadable"], q["weight"], q["seed"]) == (21, 1, 0.5, 7)
    assert len(q["sha256"]) == 64


def test_query_weight_zero_is_plain_coverage(tmp_path):
    docs = corpus()
    log = write_log(tmp_path / "queries.jsonl", REFUND_QUESTIONS)
    plain, _ = select(docs, 50)
    same, _ = select(docs, 50, QueryTarget(log, weight=0.0, seed=1))
    assert [u.id for u in same] == [u.id for u in plain]


def test_a_missing_or_empty_log_fails_early(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        QueryTarget(tmp_path / "nope.jsonl", 0.5, 0)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(IngestError, match="no readable question"):
        QueryTarget(tmp_path / "empty.jsonl", 0.5, 0)


class TopicEmbedder:
    """What ingest needs of an embedder, with TopicMemo's geometry read off the words."""

    dim = len(TOPICS)

    class tokenizer:  # noqa: N801 - mimics the embedder's attribute
        @staticmethod
        def tokenize(text):
            return text.split()

    @staticmethod
    def count_tokens(text):
        return len(text.split())

    def encode(self, texts, progress=False):
        v = np.array([[sum(w in vocab.split() for w in t.split()) for vocab in TOPICS.values()]
                      for t in texts], float)
        v += np.array([[zlib.crc32(f"{t}{j}".encode()) % 100 / 400 for j in range(self.dim)]
                       for t in texts])
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_ingest_records_the_query_aware_budget(tmp_path, monkeypatch):
    from ingest import pipeline
    from smallbatch.settings import CurationSettings, Settings

    monkeypatch.setattr(pipeline, "get_embedder", lambda name: TopicEmbedder())
    src = tmp_path / "docs"
    src.mkdir()
    for d in corpus():
        (src / f"{d.id}.md").write_text(d.text + ".\n")
    log = write_log(tmp_path / "queries.jsonl", REFUND_QUESTIONS)
    cur = CurationSettings(boilerplate=False, near_dedup=False, quality=False, budget_tokens=120)
    built = {}
    for name, c in [("plain", cur), ("aware", cur.model_copy(update={"query_log": log}))]:
        s = Settings(stores=tmp_path / "stores", chunk_tokens=32, chunk_overlap=0, curation=c)
        snap = pipeline.ingest(src, name, s).snapshot
        built[name] = (json.loads((snap / "manifest.json").read_text()),
                       [json.loads(l) for l in (snap / "units.jsonl").read_text().splitlines()])
    (plain, plain_units), (aware, aware_units) = built["plain"], built["aware"]
    assert plain["budget"] == {"budget_tokens": 120, "units": 12, "tokens": 120,
                               "query_aware": False}
    assert aware["budget"]["query_aware"] and aware["budget"]["units"] == 12
    q = aware["budget"]["query_log"]
    assert q["path"] == str(log) and q["rows"] == 21 and q["kbs"] == {"kb": 21}
    assert q["sha256"] == __import__("hashlib").sha256(log.read_bytes()).hexdigest()
    assert aware["settings"]["curation"]["query_log"] == str(log)

    def refunds(units):
        return sum(u["id"].startswith("refund") for u in units)

    assert refunds(aware_units) >= refunds(plain_units) + 3
