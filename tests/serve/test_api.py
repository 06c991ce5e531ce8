"""The HTTP contract, with a fake model client and retriever (plumbing only; the real stack is
exercised in tests/integration)."""

import json

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from rag.answer import Answerer
from serve.app import create_app
from serve.serving import ServedSnapshot
from tests.fakes import FakeOpenAI, FakeRetriever, unit


def make_client(reply="Paris is the capital [1].", similarity=0.8, fail=None):
    fake = FakeOpenAI(reply, fail)
    retriever = FakeRetriever([unit("u0", "Paris is the capital of France.", "fr.md"),
                               unit("u1", "Berlin is in Germany.", "de.md")], similarity)
    served = ServedSnapshot("kb1", "snap-1", Answerer(retriever, fake, "m", 0.2), "http://127.0.0.1:9/v1")
    return TestClient(create_app(served=served)), fake


def ask(**over):
    body = {"model": "kb1", "messages": [{"role": "user", "content": "Capital of France?"}]}
    body.update(over)
    return body


def assert_openai_error(resp, status):
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    return err


def test_chat_completion_carries_citations():
    with make_client()[0] as c:
        r = c.post("/v1/chat/completions", json=ask())
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "Paris is the capital [1]."
    assert body["citations"][0]["unit_id"] == "u0" and body["citations"][0]["source_path"] == "fr.md"
    assert body["smallbatch"] == {"kb": "kb1", "snapshot": "snap-1", "abstained": False,
                                  "invalid_citations": [], "unsupported": [], "draft": None,
                                  "rewrite": {"query": "Capital of France?", "method": "none",
                                              "error": None}, "dropped": [], "echo": None}
    assert body["usage"]["total_tokens"] == 15


def test_streaming_sse_ends_with_citations_and_done():
    with make_client()[0] as c:
        with c.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as r:
            lines = [l for l in r.iter_lines() if l.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(l[6:]) for l in lines[:-1]]
    text = "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks)
    assert text == "Paris is the capital [1]."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"][0]["unit_id"] == "u0"


def test_low_similarity_abstains_without_calling_the_model():
    client, fake = make_client(similarity=0.05)
    with client as c:
        body = c.post("/v1/chat/completions", json=ask()).json()
    assert body["smallbatch"]["abstained"] is True and body["citations"] == []
    assert fake.chat.completions.calls == []


def test_question_is_the_last_user_message_and_params_pass_through():
    client, fake = make_client()
    msgs = [{"role": "system", "content": "be nice"}, {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]}]
    with client as c:
        assert c.post("/v1/chat/completions",
                      json=ask(messages=msgs, max_tokens=12, temperature=0.5)).status_code == 200
    call = fake.chat.completions.calls[0]
    assert call["max_tokens"] == 12 and call["temperature"] == 0.5
    assert call["messages"][-1]["content"].endswith("Question: Capital of France?")


@pytest.mark.parametrize("body,param", [
    ({"model": "kb1"}, "messages"),
    ({"model": "kb1", "messages": []}, "messages"),
    ({"model": "kb1", "messages": [{"role": "wizard", "content": "x"}]}, "messages.0.role"),
    ({"model": "kb1", "messages": [{"role": "assistant", "content": "x"}]}, None),
    ({"model": "kb1", "messages": [{"role": "user", "content": "  "}]}, None),
    (ask(temperature=7), "temperature"),
    (ask(n=2), "n"),
    (ask(max_tokens=0), "max_tokens"),
    (ask(messages=[{"role": "user", "content": "x" * 40_000}]), "messages"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
])
def test_invalid_requests_get_400_openai_errors(body, param):
    with make_client()[0] as c:
        err = assert_openai_error(c.post("/v1/chat/completions", json=body), 400)
    assert err["type"] == "invalid_request_error"
    if param:
        assert err["param"] == param


def test_malformed_json_and_wrong_content_type_are_400():
    with make_client()[0] as c:
        assert_openai_error(c.post("/v1/chat/completions", content=b"{nope",
                                   headers={"content-type": "application/json"}), 400)
        assert_openai_error(c.post("/v1/chat/completions", content=b"hello"), 400)


def test_unknown_model_is_404_and_unknown_route_is_404():
    with make_client()[0] as c:
        err = assert_openai_error(c.post("/v1/chat/completions", json=ask(model="gpt-4")), 404)
        assert err["code"] == "model_not_found"
        assert_openai_error(c.get("/v1/nothing"), 404)
        assert_openai_error(c.get("/v1/chat/completions"), 405)


def test_model_server_down_is_503_not_500():
    fail = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9"))
    with make_client(fail=fail)[0] as c:
        err = assert_openai_error(c.post("/v1/chat/completions", json=ask()), 503)
        assert err["code"] == "model_unavailable"
        with c.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as r:
            lines = [l for l in r.iter_lines() if l.startswith("data: ")]
    assert json.loads(lines[-2][6:])["error"]["code"] == "model_unavailable"
    assert lines[-1] == "data: [DONE]"


def test_models_health_and_readiness():
    with make_client()[0] as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/v1/models").json()["data"][0]["id"] == "kb1"
        ready = c.get("/readyz")  # the fake snapshot's model URL is unreachable
    assert ready.status_code == 503 and ready.json()["store"] is True and ready.json()["model"] is False


def test_unsupported_answer_is_withdrawn():
    client, _ = make_client(reply="The capital is Lyon, founded in 1492 [1].")
    with client as c:
        body = c.post("/v1/chat/completions", json=ask()).json()
        with c.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as r:
            chunks = [json.loads(l[6:]) for l in r.iter_lines()
                      if l.startswith("data: {")]
    assert body["choices"][0]["message"]["content"] == "I don't know based on the provided sources."
    meta = body["smallbatch"]
    assert meta["abstained"] and meta["draft"].startswith("The capital is Lyon")
    assert any("1492" in why for why in meta["unsupported"]) and body["citations"] == []
    streamed = "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks)
    assert streamed.endswith("(Withdrawn: the sources do not support this answer.)")
    assert chunks[-1]["smallbatch"]["abstained"] is True


def test_follow_up_is_rewritten_with_the_history_and_reported():
    from rag.rewrite import Rewriter

    fake = FakeOpenAI('{"refers_to": "France", "question": "What is the capital of France?"}')
    retriever = FakeRetriever([unit("u0", "Paris is the capital of France.", "fr.md")])
    served = ServedSnapshot("kb1", "snap-1", Answerer(retriever, fake, "m", 0.2,
                                                      rewriter=Rewriter(fake, "m")),
                            "http://127.0.0.1:9/v1")
    msgs = [{"role": "system", "content": "be brief"},
            {"role": "user", "content": "Tell me about France."},
            {"role": "assistant", "content": "France is a country in Europe [1]."},
            {"role": "user", "content": "What is its capital?"}]
    with TestClient(create_app(served=served)) as c:
        body = c.post("/v1/chat/completions", json=ask(messages=msgs)).json()
    rewrite_call = json.loads(fake.chat.completions.calls[0]["messages"][-1]["content"])
    assert [t["role"] for t in rewrite_call["history"]] == ["user", "assistant"]  # no system
    assert retriever.queries == ["What is the capital of France?"]
    assert body["smallbatch"]["rewrite"] == {"query": "What is the capital of France?",
                                             "method": "model", "error": None}


def test_completion_and_chunks_keep_openai_field_order():
    with make_client()[0] as c:
        body = c.post("/v1/chat/completions", json=ask()).json()
        with c.stream("POST", "/v1/chat/completions",
                      json=ask(stream=True, stream_options={"include_usage": True})) as r:
            chunks = [json.loads(l[6:]) for l in r.iter_lines() if l.startswith("data: {")]
    head = ["id", "object", "created", "model", "choices"]
    assert list(body) == [*head, "usage", "citations", "smallbatch"]
    assert body["choices"] == [{"index": 0, "message": {"role": "assistant", "content":
                                "Paris is the capital [1]."}, "finish_reason": "stop"}]
    assert list(body["citations"][0]) == ["number", "unit_id", "source_id", "source_path",
                                          "span", "kind", "text", "method"]
    first, last, usage = chunks[0], chunks[-2], chunks[-1]
    assert list(first) == head and first["object"] == "chat.completion.chunk"
    assert first["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                 "finish_reason": None}]
    assert all(list(ch["choices"][0]["delta"]) == ["content"] for ch in chunks[1:-2])
    assert list(last) == [*head, "citations", "smallbatch"]
    assert last["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert list(usage) == [*head, "usage"] and usage["choices"] == []
    assert list(usage["usage"]) == ["prompt_tokens", "completion_tokens", "total_tokens"]
    assert len({ch["id"] for ch in chunks}) == 1
