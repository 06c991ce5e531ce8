"""llama.cpp's real server on the small model's GGUF (the catalog's file, as `models pull`
assembled it): it starts on every core, answers the curation's typed, JSON-schema constrained
calls under the catalog's served name, several at a time, and a taken port is one error line."""

from __future__ import annotations

import asyncio
import socket

import pytest

from smallbatch.models.llama import binary_path, llama_server
from smallbatch.models.process import ServerError
from smallbatch.settings import Settings
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small_gguf_server(tmp_path_factory):
    from smallbatch.models import pull

    s = Settings()
    pull.pull("small", s.home, s.vllm.python_path())
    if not binary_path(s).is_file():
        pytest.fail(f"no llama-server at {binary_path(s)}: scripts/test.sh builds it "
                    f"(scripts/llama_server.sh)")
    server = llama_server(s, "small", port=free_port())
    server.log_path = tmp_path_factory.mktemp("logs") / "llama-small.log"
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_typed_teacher_calls_come_back_valid_under_the_catalog_name(small_gguf_server):
    from openai import AsyncOpenAI

    from ingest.quality_judge import JUDGE_QUALITY, JudgeIn, JudgeOut
    from smallbatch.prompting import call_typed

    client = AsyncOpenAI(base_url=small_gguf_server.base_url, api_key="none", max_retries=0,
                         timeout=300)
    passages = ["Oxygen is a chemical element with symbol O and atomic number 8.",
                "Home | About | Contact | Login | Subscribe to our newsletter",
                "The Normans gave their name to Normandy, a region in France."]

    async def all_at_once():
        usage: dict = {}
        outs = await asyncio.gather(*(call_typed(
            client, "qwen2.5-coder-0.5b-instruct", JUDGE_QUALITY,
            JudgeIn(scope="science and history", passage=p), max_tokens=80, usage=usage)
            for p in passages))
        return outs, usage

    outs, usage = asyncio.run(all_at_once())
    assert all(isinstance(o, JudgeOut) for o in outs)
    assert usage["calls"] >= 3 and usage["completion_tokens"] > 0


def test_the_server_says_it_computes_on_every_core(small_gguf_server):
    from smallbatch.models.cores import usable_cores

    cmd = small_gguf_server.command()
    assert cmd[cmd.index("--threads") + 1] == str(len(usable_cores()))
    log = small_gguf_server.log_since_start(lines=100_000)
    assert f"n_threads = {len(usable_cores())}" in log


def test_a_taken_port_is_refused_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = llama_server(Settings(), "small", port=port)
        with pytest.raises(ServerError) as e:
            server.start()
    assert str(e.value) == (f"port {port} on 127.0.0.1 is already in use; stop what listens "
                            f"there or choose another port")
    assert server.proc is None
