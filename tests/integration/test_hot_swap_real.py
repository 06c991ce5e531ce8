"""Publishing a new snapshot, then rolling back, while a bounded load runs: zero failed requests.

Real app under uvicorn, real Chroma, real embedder, real small model (answers capped at a few
tokens to keep it quick). Clients mix streamed and plain requests."""

import asyncio
import json
import time

import httpx
import pytest

from serve.app import create_app
from smallbatch.settings import ServeSettings
from smallbatch.store import KnowledgeBase
from tests.integration.conftest import free_port
from tests.integration.servers import app_thread, copy_snapshot

pytestmark = pytest.mark.integration

QUESTIONS = ["Who proved that air is necessary for combustion?",
             "Who introduced plague to Europe?",
             "Which element did Priestley discover?",
             "What is the Amazon rainforest?"]
CLIENTS, PER_PHASE, MAX_REQUESTS = 4, 5, 400


async def ask(client: httpx.AsyncClient, api: str, i: int) -> tuple[bool, str | None, str]:
    """(ok, snapshot, detail) — ok only for a 200 that carries a complete answer."""
    body = {"model": "swap", "max_tokens": 8, "stream": i % 2 == 1,
            "messages": [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]}
    try:
        if not body["stream"]:
            r = await client.post(f"{api}/chat/completions", json=body)
            if r.status_code != 200:
                return False, None, f"{r.status_code} {r.text[:200]}"
            return True, r.json()["smallbatch"]["snapshot"], ""
        async with client.stream("POST", f"{api}/chat/completions", json=body) as r:
            events = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
        if r.status_code != 200 or events[-1:] != ["[DONE]"]:
            return False, None, f"{r.status_code} {events[-2:]}"
        last = json.loads(events[-2])
        if "error" in last:
            return False, None, events[-2][:200]
        return True, last["smallbatch"]["snapshot"], ""
    except httpx.HTTPError as e:
        return False, None, repr(e)


def test_publish_and_rollback_under_load_drop_no_request(settings, sample_snapshot, tmp_path):
    s = settings.model_copy(update={"stores": tmp_path / "stores", "kb": "swap",
                                    "serve": ServeSettings(swap_poll_s=0.2)})
    kb = KnowledgeBase(s.stores, "swap")
    a = copy_snapshot(sample_snapshot.snapshot, kb)
    b = copy_snapshot(sample_snapshot.snapshot, kb)
    kb.publish(a)
    results: list[tuple[int, bool, str | None, str]] = []  # (client, ok, snapshot, detail)

    async def load(api: str, stop: asyncio.Event):
        async def worker(w: int):
            async with httpx.AsyncClient(timeout=120) as client:
                i = w
                while not stop.is_set() and len(results) < MAX_REQUESTS:
                    results.append((w, *await ask(client, api, i)))
                    i += CLIENTS

        async def seen(snapshot: str, since: int, n: int, timeout: float = 120):
            deadline = time.monotonic() + timeout
            while sum(1 for r in results[since:] if r[2] == snapshot) < n:
                assert time.monotonic() < deadline, f"{snapshot} never answered"
                assert len(results) < MAX_REQUESTS, "load bound reached before the swaps"
                await asyncio.sleep(0.1)
            return len(results)

        workers = [asyncio.create_task(worker(w)) for w in range(CLIENTS)]
        try:
            mark = await seen(a, 0, PER_PHASE)
            kb.publish(b)  # publish while requests are in flight
            mark = await seen(b, mark, PER_PHASE)
            back = kb.rollback()  # and roll back, also under load
            assert back.name == a
            await seen(a, mark, PER_PHASE)
        finally:
            stop.set()
            await asyncio.gather(*workers)

    with app_thread(create_app(s), free_port()) as api:
        asyncio.run(load(api, asyncio.Event()))
        metrics = httpx.get(api.removesuffix("/v1") + "/metrics", timeout=10).text

    failed = [r for r in results if not r[1]]
    assert not failed, failed[:5]
    assert len(results) >= 3 * PER_PHASE
    for w in range(CLIENTS):  # each client saw a, then b, then a: a clean switch, no flapping
        order = [r[2] for r in results if r[0] == w]
        changes = [x for i, x in enumerate(order) if i == 0 or x != order[i - 1]]
        assert changes in ([a, b, a], [a, b], [a]), changes
    assert 'smallbatch_snapshot_swaps_total{result="ok"} 2.0' in metrics
    assert f'smallbatch_snapshot_info{{kb="swap",snapshot="{a}"}} 1.0' in metrics
    print(f"hot swap: {len(results)} requests, 0 failed")
