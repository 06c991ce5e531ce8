"""Roles named in ``llamacpp.roles`` are answered by llama.cpp's server (the GGUF as shipped);
the rest, and every role by default, by vLLM."""

from pathlib import Path

import pytest

from smallbatch.llm import endpoint
from smallbatch.models.llama import LlamaServer, binary_path, llama_server
from smallbatch.models.process import ServerError
from smallbatch.settings import LlamaCppSettings, Settings


def test_teacher_and_judge_reach_llama_cpp_when_named_and_the_small_model_vllm(tmp_path):
    s = Settings(home=tmp_path, llamacpp=LlamaCppSettings(roles=["teacher", "judge"]))
    assert endpoint(s, "teacher").base_url == "http://127.0.0.1:8021/v1"
    assert endpoint(s, "judge").base_url == "http://127.0.0.1:8021/v1"
    assert endpoint(s, "teacher").model == "qwen2.5-coder-1.5b-instruct"  # the catalog's name
    assert endpoint(s, "small").base_url == "http://127.0.0.1:8011/v1"
    assert endpoint(s, "large").base_url == "http://127.0.0.1:8012/v1"
    by_default = Settings(home=tmp_path)  # every role on vLLM
    assert endpoint(by_default, "teacher").base_url == "http://127.0.0.1:8012/v1"


def test_the_server_runs_the_gguf_under_the_catalog_name_on_every_core(tmp_path, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    s = Settings(home=tmp_path)
    server = llama_server(s, "large")
    cmd = server.command()
    assert cmd[0] == str(binary_path(s))
    assert cmd[cmd.index("--model") + 1] == str(tmp_path / "models" / "large" / "model.gguf")
    assert cmd[cmd.index("--alias") + 1] == "qwen2.5-coder-1.5b-instruct"
    assert cmd[cmd.index("--threads") + 1] == "2"
    assert cmd[cmd.index("--parallel") + 1] == "8"
    assert cmd[cmd.index("--ctx-size") + 1] == str(8 * 4096)
    assert server.base_url == "http://127.0.0.1:8021/v1"


def test_a_missing_binary_or_gguf_is_one_line_saying_what_to_run(tmp_path):
    gguf = tmp_path / "model.gguf"
    server = LlamaServer(gguf, "m", LlamaCppSettings(), tmp_path / "nope", tmp_path / "log", 1)
    with pytest.raises(ServerError, match="scripts/llama_server.sh"):
        server.check({})
    binary = tmp_path / "llama-server"
    binary.touch()
    server = LlamaServer(gguf, "m", LlamaCppSettings(), binary, tmp_path / "log", 1)
    with pytest.raises(ServerError, match="smallbatch models pull"):
        server.check({})
    gguf.touch()
    server.check({})  # both there: nothing to say


def test_models_serve_teacher_names_the_role_engine(tmp_path):
    from smallbatch.commands import role_server

    s = Settings(home=tmp_path, llamacpp=LlamaCppSettings(roles=["teacher", "judge"]))
    for folder in ("large", "small"):  # pulled, as far as the command can tell
        (tmp_path / "models" / folder / "hf").mkdir(parents=True)
        (tmp_path / "models" / folder / "hf" / "READY.json").write_text("{}")
    assert isinstance(role_server(s, "teacher"), LlamaServer)
    assert type(role_server(s, "large", engine="vllm")).__name__ == "VllmServer"
    assert isinstance(role_server(s, "small", engine="llama.cpp"), LlamaServer)
    on_vllm = Settings(home=tmp_path)
    assert type(role_server(on_vllm, "judge")).__name__ == "VllmServer"
    assert Path(role_server(s, "judge").gguf).name == "model.gguf"
