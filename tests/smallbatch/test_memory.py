"""A model server that cannot fit is refused before it starts, in one line naming what to stop;
one that dies while starting is reported by its cause."""

from pathlib import Path

import pytest

from smallbatch.models import memory
from smallbatch.models.server import ServerError, VllmServer
from smallbatch.settings import VllmSettings


def model(tmp_path: Path, gib: float) -> Path:
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text('{"torch_dtype": "bfloat16"}')
    with (path / "model.safetensors").open("wb") as f:
        f.truncate(int(gib * memory.GIB))  # sparse: no disk is used
    return path


def test_the_estimate_counts_weights_in_the_served_dtype_kv_and_runtime(tmp_path):
    path = model(tmp_path, 1.0)
    assert memory.weights_gib(path, "bfloat16") == pytest.approx(1.0)
    assert memory.weights_gib(path, "float32") == pytest.approx(2.0)
    assert memory.needed_gib(path, "float32", 2) == pytest.approx(
        2.0 * (1 + memory.RUNTIME_PER_WEIGHT_GIB) + 2 + memory.RUNTIME_GIB)


def test_available_memory_is_read_from_meminfo(tmp_path):
    (tmp_path / "meminfo").write_text("MemTotal: 100 kB\nMemAvailable:    2097152 kB\n")
    assert memory.available_gib(tmp_path / "meminfo") == pytest.approx(2.0)
    assert memory.available_gib(tmp_path / "nothing") is None


def fake_proc(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    rows = {  # pid: (parent, resident pages, argv)
        100: (1, 262144, ["python", "-m", memory.SERVER_MODULE, "--served-model-name",
                          "qwen-reader", "--port", "8013"]),
        101: (100, 524288, ["python", "engine"]),
        200: (1, 1000, ["bash"]),
    }
    for pid, (parent, pages, argv) in rows.items():
        (proc / str(pid)).mkdir(parents=True)
        (proc / str(pid) / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
        fields = ["S", str(parent)] + ["0"] * 19 + [str(pages)]
        (proc / str(pid) / "stat").write_text(f"{pid} (p) " + " ".join(fields) + "\n")
    return proc


def test_running_servers_are_found_with_the_memory_of_their_processes(tmp_path):
    proc = fake_proc(tmp_path)
    [found] = memory.running_servers(proc)
    assert (found.pid, found.port, found.name) == (100, "8013", "qwen-reader")
    assert found.rss_gib == pytest.approx(3.0)  # 1 GiB + the engine's 2 GiB


def test_a_server_that_cannot_fit_is_refused_before_it_starts(tmp_path, monkeypatch):
    python = tmp_path / "python"
    python.touch()
    cfg = VllmSettings(python=str(python), port=1, kv_cache_gib=2, dtype="float32")
    monkeypatch.setattr(memory, "available_gib", lambda: 3.0)
    monkeypatch.setattr(memory, "running_servers", lambda: [
        memory.RunningServer(100, "8013", "qwen-reader", 6.4)])
    monkeypatch.setattr("smallbatch.models.process.port_free", lambda host, port: True)
    server = VllmServer(model(tmp_path, 1.0), "qwen-large", cfg, tmp_path / "log")
    with pytest.raises(ServerError) as e:
        server.start()
    line = str(e.value)
    assert "\n" not in line and server.proc is None
    assert "needs about 7.7 GiB and 3.0 GiB is available" in line
    assert "qwen-reader on :8013 (pid 100, 6.4 GiB)" in line


def test_a_taken_port_is_refused_before_vllm_starts(tmp_path):
    import socket

    python = tmp_path / "python"
    python.touch()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = VllmSettings(python=str(python), port=port)
        server = VllmServer(model(tmp_path, 0.01), "m", cfg, tmp_path / "log")
        with pytest.raises(ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start()
    assert server.proc is None


@pytest.mark.parametrize("log, code, cause", [
    ("OSError: [Errno 98] Address already in use", 1, "port 8011 is already in use"),
    ("RuntimeError: [enforce fail] std::bad_alloc", 1, "out of memory"),
    ("OSError: /m does not appear to have a file named config.json", 1,
     "missing or unreadable weights"),
    ("ERROR Engine core proc EngineCore_DP0 died unexpectedly", 1, "killed by the kernel"),
    ("", -9, "killed by the kernel (out of memory)"),
    ("INFO loading\nValueError: something else\n", 1, "exit code 1: ValueError: something else"),
])
def test_a_death_while_starting_is_named_by_its_cause(log, code, cause):
    assert memory.death_cause(log, code, 8011).startswith(cause)
