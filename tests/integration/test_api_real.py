"""The official openai client against our endpoint, backed by the real stack."""

import httpx
import pytest
from openai import BadRequestError, NotFoundError, OpenAI

pytestmark = pytest.mark.integration

QUESTION = "Who proved that air is necessary for combustion?"


def test_openai_client_non_streaming(api_url):
    client = OpenAI(base_url=api_url, api_key="none", timeout=300)
    assert [m.id for m in client.models.list().data] == ["sample"]
    resp = client.chat.completions.create(model="sample",
                                          messages=[{"role": "user", "content": QUESTION}])
    assert "boyle" in resp.choices[0].message.content.lower()
    cites = resp.model_extra["citations"]
    assert cites and cites[0]["source_id"] == "Oxygen/2"
    assert resp.usage.completion_tokens > 0


def test_openai_client_streams(api_url):
    client = OpenAI(base_url=api_url, api_key="none", timeout=300)
    stream = client.chat.completions.create(
        model="sample", messages=[{"role": "user", "content": QUESTION}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert "boyle" in text.lower()
    assert chunks[-1].model_extra["citations"][0]["source_id"] == "Oxygen/2"


def test_errors_reach_the_client_as_openai_errors(api_url):
    client = OpenAI(base_url=api_url, api_key="none", timeout=60, max_retries=0)
    with pytest.raises(NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(BadRequestError):
        client.chat.completions.create(model="sample", messages=[])


def test_ready_when_store_and_model_are_up(api_url):
    r = httpx.get(api_url.removesuffix("/v1") + "/readyz", timeout=10)
    assert r.status_code == 200 and r.json()["ready"] is True
