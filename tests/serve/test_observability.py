"""Prometheus metrics, JSON logs with request ids, on the HTTP layer with a fake model."""

import io
import json
import logging

import httpx
import openai
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from rag.answer import Answerer
from serve import logs
from serve.app import create_app
from serve.serving import ServedSnapshot
from tests.fakes import FakeOpenAI, FakeRetriever, unit


def client_for(fail=None, similarity=0.8):
    retriever = FakeRetriever([unit("u0", "Paris is the capital of France.", "fr.md")], similarity)
    served = ServedSnapshot("kb1", "snap-7", Answerer(retriever, FakeOpenAI(fail=fail), "m", 0.2),
                    "http://127.0.0.1:9/v1")
    return TestClient(create_app(served=served))


def ask(**over):
    return {"model": "kb1", "messages": [{"role": "user", "content": "Capital of France?"}], **over}


def samples(text: str) -> dict:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(m: dict, name: str, **labels) -> float:
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_latency_tokens_errors_and_snapshot():
    with client_for() as c:
        for _ in range(2):
            assert c.post("/v1/chat/completions", json=ask()).status_code == 200
        with c.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as r:
            list(r.iter_lines())
        c.post("/v1/chat/completions", json=ask(model="nope"))
        c.get("/v1/nothing/1")
        text = c.get("/metrics").text
    m = samples(text)
    route = "/v1/chat/completions"
    assert value(m, "smallbatch_requests_total", route=route, method="POST", status="200") == 3
    assert value(m, "smallbatch_requests_total", route=route, method="POST", status="404") == 1
    assert value(m, "smallbatch_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value(m, "smallbatch_request_seconds_count", route=route) == 4
    assert value(m, "smallbatch_retrieval_seconds_count") == 3
    assert value(m, "smallbatch_generation_seconds_count") == 3
    assert value(m, "smallbatch_time_to_first_token_seconds_count") == 1
    assert value(m, "smallbatch_tokens_total", direction="in") == 20  # 2 x 10 (fake usage)
    assert value(m, "smallbatch_tokens_total", direction="out") == 10
    assert value(m, "smallbatch_answers_total", outcome="answered") == 3
    assert value(m, "smallbatch_errors_total", kind="model_not_found") == 1
    assert value(m, "smallbatch_snapshot_info", kb="kb1", snapshot="snap-7") == 1
    assert value(m, "smallbatch_requests_in_flight") == 1  # the /metrics request itself


def test_metrics_count_in_band_stream_errors_and_abstentions():
    fail = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9"))
    with client_for(fail=fail) as c:
        with c.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as r:
            assert r.status_code == 200 and '"model_unavailable"' in r.read().decode()
        assert c.post("/v1/chat/completions", json=ask()).status_code == 503
        m = samples(c.get("/metrics").text)
    assert value(m, "smallbatch_errors_total", kind="model_unavailable") == 2
    with client_for(similarity=0.01) as c:
        c.post("/v1/chat/completions", json=ask())
        m = samples(c.get("/metrics").text)
    assert value(m, "smallbatch_answers_total", outcome="abstained") == 1
    assert value(m, "smallbatch_generation_seconds_count") == 0  # no model call


def capture_json_logs():
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("smallbatch")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    return buf, lambda: (logger.removeHandler(handler), logger.setLevel(old_level))


def test_request_id_is_echoed_and_made_and_tags_json_logs():
    buf, restore = capture_json_logs()
    try:
        with client_for() as c:
            given = c.post("/v1/chat/completions", json=ask(), headers={"X-Request-ID": "abc-123"})
            made = c.get("/v1/models")
            junk = c.get("/v1/models", headers={"X-Request-ID": "bad id\twith spaces"})
    finally:
        restore()
    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert junk.headers["x-request-id"] != "bad id\twith spaces"
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    access = [x for x in lines if x["logger"] == "smallbatch.access"]
    chat = next(x for x in access if x["path"] == "/v1/chat/completions")
    assert chat["request_id"] == "abc-123" and chat["status"] == 200 and chat["method"] == "POST"
    assert chat["duration_ms"] >= 0 and chat["level"] == "info" and chat["ts"].endswith("Z")
    assert {x["request_id"] for x in access} >= {"abc-123", made.headers["x-request-id"]}


def test_stream_failure_log_line_carries_the_request_id():
    fail = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9"))
    buf, restore = capture_json_logs()
    try:
        with client_for(fail=fail) as c:
            with c.stream("POST", "/v1/chat/completions", json=ask(stream=True),
                          headers={"X-Request-ID": "s-1"}) as r:
                r.read()
    finally:
        restore()
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    warn = next(x for x in lines if x["level"] == "warning")
    assert warn["request_id"] == "s-1" and "stream failed" in warn["msg"]
