"""API keys, rate limits, size/count/token limits and CORS, on the HTTP layer with a fake model."""

import json

import pytest
from fastapi.testclient import TestClient

from rag.answer import Answerer
from serve.app import create_app
from serve.serving import ServedSnapshot
from serve.auth import KeyFileError, KeyStore
from serve.limits import RateLimiter, TokenBucket
from smallbatch.settings import ServeSettings, Settings
from tests.fakes import FakeOpenAI, FakeRetriever, unit


def app_with(tmp_path, **serve):
    settings = Settings(home=tmp_path, stores=tmp_path / "stores", kb="kb1",
                        serve=ServeSettings(**serve))
    retriever = FakeRetriever([unit("u0", "Paris is the capital of France.", "fr.md")])
    served = ServedSnapshot("kb1", "snap-1", Answerer(retriever, FakeOpenAI(), "m", 0.2),
                    "http://127.0.0.1:9/v1")
    return TestClient(create_app(settings, served)), KeyStore(settings.keys_path())


def ask(**over):
    body = {"model": "kb1", "messages": [{"role": "user", "content": "Capital of France?"}]}
    return {**body, **over}


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def error_of(resp, status):
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    return err


def test_without_keys_the_api_is_open(tmp_path):
    client, _ = app_with(tmp_path)
    with client as c:
        assert c.post("/v1/chat/completions", json=ask()).status_code == 200


def test_keys_are_required_everywhere_but_health(tmp_path):
    client, keys = app_with(tmp_path)
    secret, _ = keys.add("alice")
    with client as c:
        for method, path in [("GET", "/v1/models"), ("POST", "/v1/chat/completions"),
                             ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs")]:
            r = c.request(method, path, json=ask() if method == "POST" else None)
            err = error_of(r, 401)
            assert err["type"] == "authentication_error" and err["code"] == "invalid_api_key"
            assert r.headers["www-authenticate"] == "Bearer"
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 503  # public; the fake model URL is down
        error_of(c.get("/v1/models", headers=bearer("sb-wrong")), 401)
        assert c.get("/v1/models", headers=bearer(secret)).json()["data"][0]["id"] == "kb1"
        assert c.get("/v1/models", headers={"X-API-Key": secret}).status_code == 200
        r = c.post("/v1/chat/completions", json=ask(), headers=bearer(secret))
    assert r.status_code == 200 and r.json()["citations"][0]["unit_id"] == "u0"


def test_revoking_takes_effect_without_restart_and_other_keys_keep_working(tmp_path):
    client, keys = app_with(tmp_path)
    alice, _ = keys.add("alice")
    bob, _ = keys.add("bob")
    with client as c:
        assert c.get("/v1/models", headers=bearer(alice)).status_code == 200
        KeyStore(keys.path).revoke("alice")  # e.g. `smallbatch keys revoke alice` elsewhere
        err = error_of(c.get("/v1/models", headers=bearer(alice)), 403)
        assert err["type"] == "permission_error" and err["code"] == "revoked_api_key"
        assert c.get("/v1/models", headers=bearer(bob)).status_code == 200
        carol, _ = KeyStore(keys.path).add("carol")
        assert c.get("/v1/models", headers=bearer(carol)).status_code == 200
        KeyStore(keys.path).revoke("bob")
        KeyStore(keys.path).revoke("carol")
        error_of(c.get("/v1/models"), 401)  # revoking every key locks the API, never opens it


def test_keys_file_holds_hashes_only(tmp_path):
    keys = KeyStore(tmp_path / "keys.json")
    secret, key = keys.add("alice", rate_per_minute=30)
    text = keys.path.read_text()
    assert secret not in text and key.sha256 in text
    assert oct(keys.path.stat().st_mode & 0o777) == "0o600"
    assert keys.find(secret).name == "alice" and keys.find(secret + "x") is None
    with pytest.raises(KeyFileError, match="exists"):
        keys.add("alice")
    with pytest.raises(KeyFileError, match="no active key"):
        keys.revoke("nobody")


def test_rate_limit_per_key_gives_429_with_retry_after(tmp_path):
    client, keys = app_with(tmp_path, rate_per_minute=60, burst=3)
    slow, _ = keys.add("slow", rate_per_minute=6)
    other, _ = keys.add("other")
    with client as c:
        codes = [c.get("/v1/models", headers=bearer(slow)).status_code for _ in range(3)]
        r = c.get("/v1/models", headers=bearer(slow))
        assert codes == [200, 200, 200]
        err = error_of(r, 429)
        assert err["type"] == "rate_limit_error" and err["code"] == "rate_limit_exceeded"
        assert 1 <= int(r.headers["retry-after"]) <= 10  # 6/min: a token every 10 s
        assert c.get("/v1/models", headers=bearer(other)).status_code == 200  # own bucket


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] = 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.take("k") == 0.0
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    assert sum(bucket.take(100.0) == 0.0 for _ in range(10)) == 5  # never above the burst


def test_body_size_limit_is_413_by_length_and_when_chunked(tmp_path):
    client, _ = app_with(tmp_path, max_body_bytes=2048)
    big = ask(messages=[{"role": "user", "content": "x" * 3000}])
    with client as c:
        err = error_of(c.post("/v1/chat/completions", json=big), 413)
        assert err["code"] == "request_too_large"
        chunks = iter([json.dumps(big).encode()[i:i + 500] for i in range(0, 3100, 500)])
        error_of(c.post("/v1/chat/completions", content=chunks,
                        headers={"content-type": "application/json"}), 413)
        small = iter([json.dumps(ask()).encode()])
        assert c.post("/v1/chat/completions", content=small,
                      headers={"content-type": "application/json"}).status_code == 200


@pytest.mark.parametrize("over,code,param", [
    ({"messages": [{"role": "user", "content": "hi"}] * 5}, "too_many_messages", "messages"),
    ({"messages": [{"role": "user", "content": "word " * 200}]}, "context_length_exceeded",
     "messages"),
    ({"max_tokens": 65}, "max_tokens_too_large", "max_tokens"),
    ({"max_completion_tokens": 65}, "max_tokens_too_large", "max_tokens"),
])
def test_message_count_and_token_limits_are_400(tmp_path, over, code, param):
    client, _ = app_with(tmp_path, max_messages=4, max_input_tokens=100, max_completion_tokens=64)
    with client as c:
        err = error_of(c.post("/v1/chat/completions", json=ask(**over)), 400)
        assert err["code"] == code and err["param"] == param
        assert c.post("/v1/chat/completions", json=ask(max_tokens=64)).status_code == 200


def test_cors_only_for_configured_origins(tmp_path):
    client, keys = app_with(tmp_path, cors_origins=["https://chat.example.org"])
    keys.add("alice")
    pre = {"Origin": "https://chat.example.org", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization,content-type"}
    with client as c:
        ok = c.options("/v1/chat/completions", headers=pre)  # preflight needs no key
        bad = c.options("/v1/chat/completions", headers={**pre, "Origin": "https://evil.test"})
        denied = c.get("/v1/models", headers={"Origin": "https://chat.example.org"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://chat.example.org"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
    assert denied.status_code == 401  # a refusal still carries CORS headers, so a page can read it
    assert denied.headers["access-control-allow-origin"] == "https://chat.example.org"


def test_no_cors_headers_when_not_configured(tmp_path):
    client, _ = app_with(tmp_path)
    with client as c:
        r = c.get("/v1/models", headers={"Origin": "https://chat.example.org"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def many(n: int) -> dict:
    return ask(messages=[{"role": "user", "content": "hi"}] * n)


@pytest.mark.parametrize("limit", [4, 100])  # 100: above the 64 once hard-coded in the model
def test_message_limit_is_the_setting_both_ways(tmp_path, limit):
    client, _ = app_with(tmp_path, max_messages=limit)
    with client as c:
        assert c.post("/v1/chat/completions", json=many(limit)).status_code == 200
        err = error_of(c.post("/v1/chat/completions", json=many(limit + 1)), 400)
    assert err["type"] == "invalid_request_error" and err["code"] == "too_many_messages"
    assert err["param"] == "messages" and str(limit) in err["message"]


def test_raised_token_limits_admit_what_the_old_hard_caps_refused(tmp_path):
    # once ChatRequest capped max_tokens at 4096 and the messages at 32,000 characters
    client, _ = app_with(tmp_path, max_completion_tokens=8000, max_input_tokens=12_000)
    long = ask(messages=[{"role": "user", "content": "x" * 40_000 + " capital?"}])
    with client as c:
        assert c.post("/v1/chat/completions", json=ask(max_tokens=5000)).status_code == 200
        assert c.post("/v1/chat/completions", json=long).status_code == 200
        err = error_of(c.post("/v1/chat/completions", json=ask(max_tokens=8001)), 400)
    assert err["code"] == "max_tokens_too_large" and err["param"] == "max_tokens"
