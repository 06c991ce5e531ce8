"""The model server dies mid-stream, then comes back.

This simulates the model server dying: a TCP relay process (tcp_proxy.py) sits between the app
and the shared vLLM, and the test kills the relay (SIGKILL, resetting every connection through
it) and later starts it again on the same port. The shared vLLM itself is never touched."""

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from serve.app import create_app
from smallbatch.settings import Role
from tests.integration.conftest import free_port
from tests.integration.servers import app_thread, child

pytestmark = pytest.mark.integration

PROXY = Path(__file__).with_name("tcp_proxy.py")
LONG = "Describe in detail everything the sources say about oxygen, combustion and air."


def relay(port: int, target: int):
    return child([sys.executable, str(PROXY), str(port), str(target)],
                 stdout=subprocess.PIPE, text=True)


def started(proc):
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_model_server_dying_mid_stream_gives_a_clean_error_and_the_app_recovers(
        settings, sample_snapshot, model_url):
    target, port = urlsplit(model_url).port, free_port()
    small = Role(model=settings.small.model, base_url=f"http://127.0.0.1:{port}/v1",
                 max_retries=1, timeout_s=60)
    app = create_app(settings.model_copy(update={"small": small}))
    with relay(port, target) as proxy, app_thread(app, free_port()) as api:
        started(proxy)
        root = api.removesuffix("/v1")
        assert httpx.get(f"{root}/readyz", timeout=10).status_code == 200
        body = {"model": "sample", "stream": True, "max_tokens": 300,
                "messages": [{"role": "user", "content": LONG}]}
        events = []
        with httpx.stream("POST", f"{api}/chat/completions", json=body, timeout=120) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if not line.startswith("data: "):
                    continue
                events.append(line[6:])
                if proxy.poll() is None and '"content"' in line and json.loads(
                        line[6:])["choices"][0]["delta"].get("content"):
                    proxy.kill()  # the model server "dies" while the answer streams
                    proxy.wait(10)
        assert proxy.returncode is not None, "the stream ended before the relay was killed"
        assert events[-1] == "[DONE]"
        err = json.loads(events[-2])["error"]
        assert err["code"] == "model_unavailable" and err["type"] == "service_unavailable"
        assert "finish_reason" not in events[-2]  # no fake "stop" after a cut answer

        down = httpx.post(f"{api}/chat/completions", timeout=120, json={**body, "stream": False})
        assert down.status_code == 503 and down.json()["error"]["code"] == "model_unavailable"
        ready = httpx.get(f"{root}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["model"] is False

        with relay(port, target) as again:  # the model server is back
            started(again)
            assert httpx.get(f"{root}/readyz", timeout=10).status_code == 200
            t0 = time.monotonic()
            ok = httpx.post(f"{api}/chat/completions", timeout=120, json={
                "model": "sample", "max_tokens": 24,
                "messages": [{"role": "user", "content": "Who proved that air is necessary "
                                                         "for combustion?"}]})
            assert ok.status_code == 200, ok.text
            assert "boyle" in ok.json()["choices"][0]["message"]["content"].lower()
            assert time.monotonic() - t0 < 60
        metrics = httpx.get(f"{root}/metrics", timeout=10).text
        assert 'smallbatch_errors_total{kind="model_unavailable"} 2.0' in metrics
