"""The sweep's bookkeeping with the answering faked: skipped, shared and failed candidates."""

import json

import numpy as np
import pytest

from eval.questions import Question
from smallbatch.llm import Endpoint
from smallbatch.records import Doc
from smallbatch.settings import Settings
from tune import sweep as sweep_mod
from tune.candidates import Candidate
from tune.errors import TuneError
from tune.full_store import FullStore

EP = Endpoint("small", "http://127.0.0.1:1/v1", "m", "EMPTY", 5, 0)
QUESTIONS = [Question("q1", "Which?", ["a"], ["s"]), Question("q2", "What?", ["b"], ["s"])]


def full_store(tmp_path) -> FullStore:
    units = [Doc(f"u{i}", f"fact {i}", {"kind": "fact", "coverage_rank": i,
                                         "quality": {"judge_score": 0.3 if i else 0.9}})
             for i in range(3)]
    return FullStore(tmp_path, {}, units, [10, 10, 10], np.zeros((3, 4), dtype=np.float32))


@pytest.fixture
def asked(monkeypatch):
    """Fake answering: F1 = units in the cut / 10; every call is remembered."""
    calls = []

    async def run_system(system, questions, settings, out, concurrency, style):
        n = len((system.snapshot / "units.jsonl").read_text().splitlines())
        calls.append(system.name)
        with (out / "records.jsonl").open("a") as f:
            for q in questions:
                rec = {"system": system.name, "qid": q.id, "f1": n / 10, "recall_at_5": 1.0}
                if system.name.startswith("b0.9"):
                    rec = {"system": system.name, "qid": q.id, "error": "APIConnectionError: x"}
                f.write(json.dumps(rec) + "\n")

    def write_snapshot(folder, units, vectors, manifest, rejects, **_):
        (folder / "units.jsonl").write_text("".join(f"{u.id}\n" for u in units))
        return manifest

    monkeypatch.setattr(sweep_mod, "run_system", run_system)
    monkeypatch.setattr(sweep_mod, "write_snapshot", write_snapshot)
    return calls


def cand(budget, min_score=0.0, weights=(0.0, 1.0)):
    return Candidate(budget, min_score, weights, ("fact",), True)


def test_empty_cuts_are_skipped_and_equal_cuts_are_asked_once(tmp_path, asked):
    full = full_store(tmp_path / "full")
    # b0.01 keeps nothing (budget 0 tokens); b1 s0.5 and b0.34 s0 both keep only u0
    cs = [cand(1.0), cand(0.01), cand(1.0, 0.5), cand(0.34)]
    points = sweep_mod.sweep(full, cs, QUESTIONS, Settings(), EP, tmp_path)
    assert asked == [cs[0].name, cs[2].name]
    assert points[0]["units"] == 3 and points[0]["f1"] == 0.3 and points[0]["n"] == 2
    assert points[1]["skipped"] == "no unit left" and "f1" not in points[1]
    assert points[2]["units"] == 1 and points[2]["dropped"] == {"below min score": 2}
    assert points[3]["same_as"] == cs[2].name and points[3]["f1"] == points[2]["f1"] == 0.1
    assert points[3]["dropped"] == {"over budget": 2}


def test_a_failed_answer_stops_the_sweep(tmp_path, asked):
    full = full_store(tmp_path / "full")
    with pytest.raises(TuneError, match=r"2 of 2 dev questions failed \(first: APIConnection"):
        sweep_mod.sweep(full, [cand(0.9)], QUESTIONS, Settings(), EP, tmp_path)
