"""`reader build`'s batch half on a real (clean-profile) snapshot of the bundled sample, with a
fake teacher and judge: examples in the serving format from real retrieval, a report, dev
questions from other units, the SQuAD questions of the sample kept out."""

import json

import pytest

from reader.build import make_batch, small_dir
from reader.prompts import ReadingQA, ReadingQAs, ShortAnswer, Verdict
from smallbatch.settings import Settings
from tests.integration.conftest import SAMPLE
from tests.reader.fakes import FakeRole

pytestmark = pytest.mark.skipif(not (small_dir(Settings()) / "tokenizer.json").exists(),
                                reason="small model not pulled")


class FakeRoles:
    def __init__(self, settings, cache_dir):
        def write(inp):
            words = inp.passage.split()
            span = " ".join(words[3:5])
            return ReadingQAs(items=[ReadingQA(question=f"Which words follow '{words[2]}'?",
                                               answer=span, sentence=f"They are {span}.")])
        self.clients = {"teacher": FakeRole({"reader_write_qa": write, "reader_round_trip":
                                             lambda i: ShortAnswer(answer="no idea")}),
                        "judge": FakeRole({"reader_second_opinion":
                                           lambda i: Verdict(correct="a")})}

    def role(self, name):
        return self.clients[name]

    def manifest(self, keys):
        return {"usage": {}}


def test_batch_from_a_real_snapshot(tmp_path, monkeypatch):
    from ingest.pipeline import ingest

    monkeypatch.setattr("ingest.roles.Roles", FakeRoles)
    s = Settings(stores=tmp_path, kb="sample")
    s = s.model_copy(update={"reader": s.reader.model_copy(update={"dev_n": 3, "n": 6})})
    snapshot = ingest(SAMPLE, "sample", s).snapshot
    batch = make_batch(s, snapshot, 6, [SAMPLE], tmp_path / "b")
    assert 0 < len(batch.examples) <= 6 and batch.dev
    assert {e.unit_id for e in batch.examples}.isdisjoint({e.unit_id for e in batch.dev})
    for e in batch.examples:
        assert e.messages[-1]["content"].endswith(f"Question: {e.question}")
        assert e.abstain or f"[{e.gold_position}]" in e.target
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["eval_guard"]["questions"] > 0 and report["size"] == len(batch.examples)
    assert "round_trip" in {c["step"] for c in report["steps"]}
    assert (tmp_path / "b" / "report.html").exists()
