"""ragas through a deliberately broken judge: a fake OpenAI-compatible server on loopback that
answers malformed JSON, JSON of the wrong schema, an empty statement list, or HTTP 500. Every
failure is counted per metric with its reason, the run completes, and the report says so."""

import asyncio
import json
import time

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from eval.calibration import check
from eval.questions import Question
from eval.ragas_judge import RagasJudge, Sample, applicable, failure_reason
from eval.ragas_run import RAGAS, judge_run, summarise
from eval.results_report import write_report
from eval.systems import System
from smallbatch.llm import Endpoint
from tests.integration.conftest import free_port
from tests.integration.servers import app_thread

METRICS = ["faithfulness", "factual_correctness", "context_precision", "context_recall"]
REPLIES = {"malformed": "{this is not json", "schema": json.dumps({"colour": "red"}),
           "nostatements": json.dumps({"statements": []})}


def _completion(content: str) -> dict:
    return {"id": "x", "object": "chat.completion", "created": int(time.time()), "model": "judge",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def broken_app() -> FastAPI:
    app = FastAPI()
    app.state.calls = 0

    @app.post("/v1/{mode}/chat/completions")
    async def chat(mode: str):
        app.state.calls += 1
        if mode == "http500":
            return JSONResponse({"error": {"message": "judge exploded", "type": "server_error"}},
                                status_code=500)
        return _completion(REPLIES[mode])

    return app


@pytest.fixture(scope="module")
def judge_url():
    app = broken_app()
    with app_thread(app, free_port()) as url:  # url ends in /v1; a mode follows it
        yield url, app


def _records():
    base = {"gold_sources": ["fr"], "answerable": True, "abstained": False}
    return [
        {**base, "system": "rag", "qid": "q1", "question": "Capital of France?", "gold": ["Paris"],
         "answer": "Paris [1].", "context": ["fr"], "context_text": ["Paris is the capital of France."]},
        {**base, "system": "rag", "qid": "q2", "question": "Capital of Spain?", "gold": ["Madrid"],
         "answer": "I don't know.", "abstained": True, "context": ["es"],
         "context_text": ["Madrid is the capital of Spain."]},
        {**base, "system": "closed", "qid": "q1", "question": "Capital of France?",
         "gold": ["Paris"], "answer": "Paris"},
    ]


QUESTIONS = [Question("q1", "Capital of France?", ["Paris"], ["fr"]),
             Question("q2", "Capital of Spain?", ["Madrid"], ["es"]),
             Question("u1", "Who?", [], [], answerable=False)]


@pytest.mark.parametrize("mode,reason", [("malformed", "invalid judge output"),
                                         ("schema", "invalid judge output"),
                                         ("http500", "HTTP 500")])
def test_broken_judge_failures_are_counted_per_metric(tmp_path, judge_url, mode, reason):
    url, _ = judge_url
    ep = Endpoint("judge", f"{url}/{mode}", "judge", "x", 10, 0)
    asyncio.run(judge_run(_records(), QUESTIONS, tmp_path, ep, METRICS, n=2, pairs=1))
    rows = [json.loads(l) for l in (tmp_path / RAGAS).read_text().splitlines()]
    # 2 calibration samples + rag q1, q2 + closed q1 (u1 is unanswerable: never judged)
    assert len(rows) == 5 * len(METRICS)
    s = summarise(tmp_path / RAGAS, "judge")
    rag, closed = s["systems"]["rag"], s["systems"]["closed"]
    for m in METRICS:
        assert rag[m]["score"] is None and rag[m]["n"] == 0
    # q1 fails on every metric; q2 abstained: only the context metrics are judged (and fail)
    assert rag["faithfulness"]["failures"] == {reason: 1}
    assert rag["faithfulness"]["skipped"] == {"abstained": 1}
    assert rag["context_recall"]["failures"] == {reason: 2}
    assert closed["context_precision"]["skipped"] == {"no context (closed-book)": 1}
    assert closed["factual_correctness"]["failures"] == {reason: 1}
    assert all(c["unscored"] == 2 for c in s["calibration"].values())
    assert len(s["warnings"]) == len(METRICS) and "unscored" in s["warnings"][0]
    # resume: bad output is final; a server failure (HTTP 5xx) is asked again, latest counts
    asyncio.run(judge_run(_records(), QUESTIONS, tmp_path, ep, METRICS, n=2, pairs=1))
    again = len((tmp_path / RAGAS).read_text().splitlines())
    failed = sum(r["status"] == "failed" for r in rows)
    assert failed == 15 and again == len(rows) + (failed if mode == "http500" else 0)
    after = summarise(tmp_path / RAGAS, "judge")["systems"]["rag"]
    assert {m: (c["n"], c["failures"], c["skipped"]) for m, c in after.items()} == \
        {m: (c["n"], c["failures"], c["skipped"]) for m, c in rag.items()}


def test_nan_is_unscored_and_resume_asks_nothing_again(tmp_path, judge_url):
    url, app = judge_url
    ep = Endpoint("judge", f"{url}/nostatements", "judge", "x", 10, 0)
    recs = _records()[:1]
    asyncio.run(judge_run(recs, QUESTIONS, tmp_path, ep, ["faithfulness"], n=1, pairs=0))
    s = summarise(tmp_path / RAGAS)
    assert s["systems"]["rag"]["faithfulness"]["failures"] == {"no score (NaN)": 1}
    calls = app.state.calls
    asyncio.run(judge_run(recs, QUESTIONS, tmp_path, ep, ["faithfulness"], n=1, pairs=0))
    assert app.state.calls == calls  # cached per (system, question, metric, judge)


def test_report_shows_ragas_failures_and_calibration_warning(tmp_path, judge_url):
    url, _ = judge_url
    ep = Endpoint("judge", f"{url}/schema", "judge", "x", 10, 0)
    recs = _records()
    (tmp_path / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    asyncio.run(judge_run(recs, QUESTIONS, tmp_path, ep, ["faithfulness"], n=2, pairs=1))
    ep_fake = Endpoint("x", "http://127.0.0.1:9/v1", "m", "x", 5, 0)
    systems = [System("rag", ep_fake, "fake", None), System("closed", ep_fake, "fake", None)]
    doc = write_report(tmp_path / "records.jsonl", systems, {"n": 2}, "judge")
    faith = doc["systems"]["rag"]["ragas"]["faithfulness"]
    assert faith["failed"] == 1 and faith["failures"] == {"invalid judge output": 1}
    md = (tmp_path / "summary.md").read_text()
    assert "failed 1" in md and "WARNING" in md
    assert "WARNING" in (tmp_path / "report.html").read_text()


def test_calibration_check_flags_a_judge_that_stops_separating():
    table, warnings = check({"faithfulness": {"good-1": 1.0, "bad-1": 0.0},
                             "context_recall": {"good-1": 0.6, "bad-1": 0.5}})
    assert table["faithfulness"] == {"good": 1.0, "bad": 0.0, "unscored": 0}
    assert len(warnings) == 1 and warnings[0].startswith("context_recall")


def test_applicability_and_reasons():
    s = Sample("q?", "", [], "a")
    assert applicable("faithfulness", s, abstained=False) == "no context (closed-book)"
    assert applicable("factual_correctness", s, abstained=True) == "abstained"
    assert applicable("context_recall", Sample("q?", "", ["c"], "a"), abstained=True) is None
    assert failure_reason(ValueError("response is missing")) == "invalid input"
    with pytest.raises(ValueError, match="unknown ragas metrics"):
        RagasJudge(Endpoint("j", "http://127.0.0.1:9/v1", "m", "x", 5, 0), ["vibes"])


def test_answer_correctness_embeds_with_the_local_embedder():
    judge = RagasJudge(Endpoint("j", "http://127.0.0.1:9/v1", "m", "x", 5, 0),
                       ["answer_correctness"])
    emb = judge.metrics["answer_correctness"].embeddings
    vec = asyncio.run(emb.aembed_text("Paris is the capital of France."))
    assert len(vec) == 384 and abs(sum(v * v for v in vec) - 1.0) < 1e-3
