"""The cores a vLLM-CPU server computes on: every usable core by default, vLLM's own binding
(one core kept for its API process) on request, or a list; vLLM's own variable wins."""

import pytest
from pydantic import ValidationError

from smallbatch.models.cores import binding_env, describe, parse_cores, reported, span
from smallbatch.models.server import VllmServer
from smallbatch.settings import VllmSettings


def test_core_lists_parse_and_print_as_vllm_reads_them():
    assert parse_cores("0-3") == [0, 1, 2, 3]
    assert parse_cores("5, 0-1") == [0, 1, 5]
    assert parse_cores("all") is None and parse_cores("vllm") is None
    assert span([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"
    for bad in ("most", "3-1", "-1", ""):
        with pytest.raises(ValueError):
            parse_cores(bad)


def test_every_usable_core_by_default_and_none_kept_back():
    assert binding_env("all", usable=[0, 1]) == {
        "VLLM_CPU_OMP_THREADS_BIND": "0-1", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}
    assert binding_env("all", usable=[2, 3, 6])["VLLM_CPU_OMP_THREADS_BIND"] == "2-3,6"
    assert binding_env("0,2", usable=[0, 1, 2, 3])["VLLM_CPU_OMP_THREADS_BIND"] == "0,2"
    assert binding_env("vllm", usable=[0, 1]) == {}


def test_the_server_env_carries_the_binding_unless_vllms_own_variable_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv("VLLM_CPU_OMP_THREADS_BIND", raising=False)
    monkeypatch.delenv("VLLM_TARGET_DEVICE", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    env = VllmServer(tmp_path, "m", VllmSettings(), tmp_path / "log").env()
    assert env["VLLM_CPU_OMP_THREADS_BIND"] == "0-1"
    assert env["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    own = VllmServer(tmp_path, "m", VllmSettings(cpu_cores="vllm"), tmp_path / "log").env()
    assert "VLLM_CPU_OMP_THREADS_BIND" not in own
    monkeypatch.setenv("VLLM_CPU_OMP_THREADS_BIND", "1")
    given = VllmServer(tmp_path, "m", VllmSettings(), tmp_path / "log").env()
    assert given["VLLM_CPU_OMP_THREADS_BIND"] == "1"


def test_a_bad_setting_is_refused_with_the_choices_named():
    with pytest.raises(ValidationError, match="'all', 'vllm' or core ids"):
        VllmSettings(cpu_cores="lots")


def test_the_start_line_says_which_cores():
    assert describe({"VLLM_CPU_OMP_THREADS_BIND": "0-1", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}) \
        == "cores 0-1 (none kept back)"
    assert "vLLM's own core binding" in describe({})
    log = ("INFO OpenMP thread binding info: \n\tVLLM_CPU_OMP_THREADS_BIND='auto', ...\n"
           "\tlocal_rank=0, core ids=[0]\n\treserved_cpus=[1]\n")
    assert reported(log) == "cores 0 (reserved: 1)"
    assert reported("local_rank=0, core ids=[0, 1]\n reserved_cpus=[]") == \
        "cores 0-1 (reserved: none)"
    assert reported("no binding said") is None
