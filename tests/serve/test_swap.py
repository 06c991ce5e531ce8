"""Hot swap: the server follows the KB's `current` pointer (fake snapshots; the real stack under
load is tests/integration/test_hot_swap_real.py)."""

import asyncio
import gc
import json

import pytest
from fastapi.testclient import TestClient

from rag.answer import Answerer
from serve.app import create_app
from serve.serving import ServedSnapshot
from serve.swap import Swapper
from smallbatch.settings import ServeSettings, Settings
from smallbatch.store import KnowledgeBase
from tests.fakes import FakeOpenAI, FakeRetriever, unit


def make_kb(tmp_path, *ids) -> KnowledgeBase:
    kb = KnowledgeBase(tmp_path / "stores", "kb1")
    for sid in ids:
        (kb.snapshots / sid).mkdir(parents=True)
        (kb.snapshots / sid / "manifest.json").write_text(json.dumps({"id": sid}))
    return kb


class Built:
    """A fake build: a ServedSnapshot per snapshot folder, recording opens and closes."""

    def __init__(self, broken=()):
        self.opened, self.closed, self.broken = [], [], set(broken)

    def __call__(self, settings, path) -> ServedSnapshot:
        if path.name in self.broken:
            raise RuntimeError(f"{path.name} is broken")
        self.opened.append(path.name)
        retriever = FakeRetriever([unit("u0", f"Paris is the capital of France ({path.name}).")])
        return ServedSnapshot("kb1", path.name, Answerer(retriever, FakeOpenAI(), "m", 0.2),
                      "http://127.0.0.1:9/v1", close=lambda: self.closed.append(path.name))


def test_swapper_follows_publish_and_rollback_and_skips_a_broken_snapshot(tmp_path):
    kb = make_kb(tmp_path, "a", "b", "c")
    built, served, failures = Built(broken={"c"}), [], []
    sw = Swapper(kb, lambda p: built(None, p), served.append, lambda: failures.append(1))

    async def scenario():
        assert await sw.poll() is False  # nothing published yet
        kb.publish("a")
        assert await sw.poll() is True and await sw.poll() is False
        kb.publish("b")
        assert await sw.poll() is True
        kb.publish("c")
        assert await sw.poll() is False and await sw.poll() is False  # logged once, not retried
        kb.publish("a")  # a rollback is just another move of the pointer
        assert await sw.poll() is True

    asyncio.run(scenario())
    assert [e.snapshot_id for e in served] == ["a", "b", "a"]
    assert built.opened == ["a", "b", "a"] and failures == [1] and sw.serving == "a"
    kb.publish("c")
    with pytest.raises(RuntimeError, match="broken"):  # at start-up a broken snapshot is fatal
        asyncio.run(Swapper(kb, lambda p: built(None, p), served.append).poll(strict=True))


def settings_for(tmp_path) -> Settings:
    return Settings(home=tmp_path, stores=tmp_path / "stores", kb="kb1",
                    serve=ServeSettings(swap_poll_s=0.05))


def wait_for(cond, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_running_app_swaps_and_closes_the_old_snapshot_when_released(tmp_path, monkeypatch):
    kb = make_kb(tmp_path, "a", "b")
    kb.publish("a")
    built = Built()
    monkeypatch.setattr("serve.serving.open_served", built)
    ask = {"model": "kb1", "messages": [{"role": "user", "content": "Capital of France?"}]}
    with TestClient(create_app(settings_for(tmp_path))) as c:
        first = c.post("/v1/chat/completions", json=ask).json()
        assert first["smallbatch"]["snapshot"] == "a"
        kb.publish("b")
        wait_for(lambda: c.get("/v1/models").json()["data"][0]["snapshot"] == "b")
        assert c.post("/v1/chat/completions", json=ask).json()["smallbatch"]["snapshot"] == "b"
        gc.collect()
        wait_for(lambda: built.closed == ["a"])  # nothing holds snapshot "a" any more
        assert 'smallbatch_snapshot_info{kb="kb1",snapshot="b"} 1.0' in c.get("/metrics").text
        assert 'smallbatch_snapshot_swaps_total{result="ok"} 1.0' in c.get("/metrics").text


def test_app_without_a_published_snapshot_is_not_ready_until_one_is(tmp_path, monkeypatch):
    kb = make_kb(tmp_path, "a")
    monkeypatch.setattr("serve.serving.open_served", Built())
    with TestClient(create_app(settings_for(tmp_path))) as c:
        r = c.get("/v1/models")
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
        assert c.get("/readyz").json()["store"] is False
        kb.publish("a")
        wait_for(lambda: c.get("/v1/models").status_code == 200)
        assert c.get("/readyz").json()["store"] is True
