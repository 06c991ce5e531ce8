"""The judge's off-scope votes pooled over each passage's neighbourhood (ingest/scope_vote.py)."""

from __future__ import annotations

import json

import numpy as np

from ingest.quality_judge import JudgeQuality
from ingest.role_client import AnswerCache, RoleClient
from ingest.scope_vote import pooled_votes
from ingest.steps import Drops
from ingest.vectors import VectorMemo
from smallbatch.records import Doc
from tests.fakes import FakeOpenAI

# two topics: rivers (on scope) along one axis, a software manual (off scope) along another;
# each passage is its topic's axis plus a small private direction
RIVERS = [f"River fact {n}: the river floods in spring number {n}." for n in range(9)]
MANUAL = [f"Manual step {n}: press the button number {n} to reset." for n in range(5)]
TEXTS = RIVERS + MANUAL


class TopicEmbedder:
    dim = 2 + len(TEXTS)

    def encode(self, texts, batch_size=64, progress=False):
        out = []
        for t in texts:
            v = np.zeros(self.dim, dtype=np.float32)
            v[0 if t.startswith("River") else 1] = 1.0
            v[2 + TEXTS.index(t)] = 0.3
            out.append(v / np.linalg.norm(v))
        return np.stack(out)


def judge_voting_off(off: set[str], tmp_path) -> RoleClient:
    def reply(messages):
        passage = json.loads(messages[-1]["content"])["passage"]
        return json.dumps({"informative": 5, "self_contained": 5, "clean": 5,
                           "on_scope": 1 if passage in off else 5})
    return RoleClient(FakeOpenAI(reply), "fake", AnswerCache(tmp_path / "judge.jsonl"))


def docs() -> list[Doc]:
    return [Doc(f"d{n}", t, {"source_path": "rivers.md" if t in RIVERS else "manual.md"})
            for n, t in enumerate(TEXTS)]


def test_pooled_share_counts_the_passage_and_its_nearest_neighbours():
    vecs = TopicEmbedder().encode(TEXTS)
    votes = np.array([1.0 if t in (RIVERS[0], MANUAL[0], MANUAL[1]) else 0.0 for t in TEXTS])
    share = pooled_votes(vecs, votes, neighbours=4)
    assert share[0] == 1 / 5  # its own vote among four on-scope rivers
    assert all(s == 2 / 5 for s in share[len(RIVERS):])  # the manual's five passages together
    assert np.array_equal(pooled_votes(vecs, votes, neighbours=0), votes)


def test_a_lone_wrong_vote_is_outvoted_and_an_off_topic_page_goes_whole(tmp_path):
    # the judge wrongly votes one river passage off, and misses three of the manual's five
    judge = judge_voting_off({RIVERS[3], MANUAL[0], MANUAL[4]}, tmp_path)
    d = Drops()
    step = JudgeQuality(judge, scope="rivers and lakes", vectors=VectorMemo(TopicEmbedder()),
                        scope_neighbours=4)
    kept = list(step.run(iter(docs()), d))
    assert [k.text for k in kept] == RIVERS
    assert d.summary() == {"judge_quality": {"judge: off scope": len(MANUAL)}}
    assert {r["source_path"] for r in d.rejects} == {"manual.md"}
    assert kept[3].metadata["quality"]["scope_vote"] == 0.2


def test_without_vectors_each_passage_is_judged_alone(tmp_path):
    judge = judge_voting_off({RIVERS[3], MANUAL[0], MANUAL[4]}, tmp_path)
    kept = list(JudgeQuality(judge, scope="rivers and lakes").run(iter(docs()), Drops()))
    assert {k.text for k in kept} == set(TEXTS) - {RIVERS[3], MANUAL[0], MANUAL[4]}
