"""Two API processes (`smallbatch serve`, as deployed) behind one model server, sharing one
store folder and one keys file: both answer concurrently, both follow a publish, a key revoked
with the CLI is refused by both, and both write JSON logs tagged with the caller's request id."""

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smallbatch.store import KnowledgeBase
from tests.integration.conftest import free_port
from tests.integration.servers import child, copy_snapshot, wait_http

pytestmark = pytest.mark.integration

QUESTION = "Who proved that air is necessary for combustion?"


def cli(env: dict, *args: str) -> str:
    exe = Path(sys.executable).with_name("smallbatch")
    out = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_two_api_processes_share_model_store_keys_and_swaps(settings, sample_snapshot,
                                                            model_url, tmp_path):
    kb = KnowledgeBase(tmp_path / "stores", "multi")
    a, b = copy_snapshot(sample_snapshot.snapshot, kb), copy_snapshot(sample_snapshot.snapshot, kb)
    kb.publish(a)
    env = {**os.environ, "SMALLBATCH_STORES": str(kb.root), "SMALLBATCH_KB": "multi",
           "SMALLBATCH_HOME": str(tmp_path / "home"), "SMALLBATCH_SMALL__BASE_URL": model_url,
           "SMALLBATCH_SMALL__MODEL": settings.small.model, "SMALLBATCH_ANSWER_MAX_TOKENS": "8",
           "SMALLBATCH_SERVE__SWAP_POLL_S": "0.2", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    secret = cli(env, "keys", "add", "team").strip().splitlines()[-1]
    exe = str(Path(sys.executable).with_name("smallbatch"))
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"api-{p}.log" for p in ports]
    with child([exe, "serve", "--port", str(ports[0])], env=env, stderr=logs[0].open("w")) as p0, \
         child([exe, "serve", "--port", str(ports[1])], env=env, stderr=logs[1].open("w")) as p1:
        roots = [f"http://127.0.0.1:{p}" for p in ports]
        for root, proc in zip(roots, (p0, p1)):
            wait_http(f"{root}/readyz", 300, proc)
        auth = {"Authorization": f"Bearer {secret}"}

        async def burst():
            async with httpx.AsyncClient(timeout=300) as c:
                return await asyncio.gather(*(c.post(
                    f"{roots[i % 2]}/v1/chat/completions",
                    headers={**auth, "X-Request-ID": f"multi-{i}"},
                    json={"model": "multi", "messages": [{"role": "user", "content": QUESTION}]})
                    for i in range(8)))

        replies = asyncio.run(burst())
        assert [r.status_code for r in replies] == [200] * 8, [r.text[:200] for r in replies]
        assert {r.json()["smallbatch"]["snapshot"] for r in replies} == {a}
        for root in roots:
            assert httpx.get(f"{root}/v1/models", timeout=10).status_code == 401

        cli(env, "kb", "publish", b, "--kb", "multi")
        for root in roots:
            wait_until = time.monotonic() + 30
            while httpx.get(f"{root}/v1/models", headers=auth,
                            timeout=10).json()["data"][0]["snapshot"] != b:
                assert time.monotonic() < wait_until, f"{root} did not swap"
                time.sleep(0.1)

        cli(env, "keys", "revoke", "team")
        for root in roots:
            r = httpx.get(f"{root}/v1/models", headers=auth, timeout=10)
            assert r.status_code == 403 and r.json()["error"]["code"] == "revoked_api_key"

    for i, log in enumerate(logs):
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        access = [x for x in lines if x["logger"] == "smallbatch.access"]
        ids = {x["request_id"] for x in access if x["path"] == "/v1/chat/completions"}
        assert ids == {f"multi-{j}" for j in range(i, 8, 2)}  # this process's half of the burst
        assert all(x["api_key"] == "team" for x in access if x["request_id"] in ids)
        assert any(x.get("event") == "swap" and x.get("snapshot") == b for x in lines)
