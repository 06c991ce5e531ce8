"""Memory a vLLM-CPU server needs, what the machine has free, and why a server died.

A server that cannot fit is refused before it starts, with one line that says how much it needs
and which running model servers hold the rest; one that dies while starting is reported by its
cause (out of memory, port in use, missing weights), not by vLLM's traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
# What a vLLM-CPU server holds beside its weights and KV cache: the API process and the engine
# process, each with torch and the tokenizer loaded, and working memory that grows with the
# model. Fitted to bench/results/latency.json (RSS per server, 1 GiB KV, bfloat16): the 0.5B
# (1.0 GiB of weights) held 5.3 GiB, the 1.5B (3.1 GiB) 8.1 GiB.
RUNTIME_GIB = 3.0
RUNTIME_PER_WEIGHT_GIB = 0.35
SERVER_MODULE = "vllm.entrypoints.openai.api_server"


def weights_gib(model_path: Path, dtype: str) -> float:
    """The model's weights once loaded in ``dtype`` (the folder's safetensors are bfloat16)."""
    on_disk = sum(p.stat().st_size for p in Path(model_path).glob("*.safetensors"))
    stored = _stored_bytes_per_param(Path(model_path))
    served = 4 if dtype == "float32" else 2
    return on_disk * served / stored / GIB


def _stored_bytes_per_param(model_path: Path) -> int:
    try:
        cfg = json.loads((model_path / "config.json").read_text())
    except (OSError, ValueError):
        return 2
    return 4 if cfg.get("torch_dtype", cfg.get("dtype")) == "float32" else 2


def needed_gib(model_path: Path, dtype: str, kv_cache_gib: float) -> float:
    weights = weights_gib(model_path, dtype)
    return weights * (1 + RUNTIME_PER_WEIGHT_GIB) + kv_cache_gib + RUNTIME_GIB


def available_gib(meminfo: Path = Path("/proc/meminfo"), field: str = "MemAvailable") -> float | None:
    """MemAvailable (or another /proc/meminfo field), in GiB; None where the kernel does not say."""
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", meminfo.read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) * 1024 / GIB if m else None


def total_gib() -> float:
    return available_gib(field="MemTotal") or 0.0


@dataclass(frozen=True, slots=True)
class RunningServer:
    pid: int
    port: str
    name: str
    rss_gib: float


def running_servers(proc: Path = Path("/proc")) -> list[RunningServer]:
    """vLLM servers running on this machine (their API process, with the engine's memory)."""
    found = []
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if SERVER_MODULE not in argv:
            continue
        pid = int(cmdline.parent.name)
        found.append(RunningServer(pid, _arg(argv, "--port"), _arg(argv, "--served-model-name"),
                                   tree_rss_gib(pid, proc)))
    return sorted(found, key=lambda r: r.pid)


def _arg(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else "?"


def tree_rss_gib(pid: int, proc: Path = Path("/proc")) -> float:
    """Resident memory of ``pid`` and every process below it, in GiB (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        p = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(p)  # fields[1]: the parent's pid
        rss[p] = int(fields[21])  # resident pages
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total * 4096 / GIB


def refusal(name: str, needed: float, free: float, others: list[RunningServer]) -> str:
    """One line: what the server needs, what is free, and what to stop."""
    held = "; ".join(f"{o.name} on :{o.port} (pid {o.pid}, {o.rss_gib:.1f} GiB)" for o in others)
    stop = f"stop one of the running model servers: {held}" if held else "free some memory"
    return (f"not enough memory to start {name}: it needs about {needed:.1f} GiB and "
            f"{free:.1f} GiB is available; {stop}, or lower SMALLBATCH_VLLM__KV_CACHE_GIB, or "
            f"serve the teacher and judge on llama.cpp (SMALLBATCH_LLAMACPP__ROLES, ~2.7 GiB "
            f"for the 1.5B; SMALLBATCH_VLLM__MEMORY_CHECK=false tries anyway)")


CAUSES = (  # (pattern in the log, cause) — the first that matches names it
    (r"address already in use|errno 98", "port {port} is already in use"),
    (r"out of memory|cannot allocate memory|bad_alloc|outofmemoryerror|\boom\b",
     "out of memory"),
    (r"no such file or directory|does not appear to have a file|is not a local folder|"
     r"can't load|incorrect path_or_model_id|hfvalidationerror|repo id must",
     "missing or unreadable weights"),
    (r"died unexpectedly|killed|signal 9|sigkill", "killed by the kernel (out of memory)"),
)


def death_cause(log_tail: str, returncode: int | None, port: int) -> str:
    """What made a starting vLLM server exit, in a few words."""
    text = log_tail.lower()
    for pattern, cause in CAUSES:
        if re.search(pattern, text):
            return cause.format(port=port)
    if returncode in (-9, 137):
        return "killed by the kernel (out of memory)"
    last = next((line.strip() for line in reversed(log_tail.splitlines()) if line.strip()), "")
    return f"exit code {returncode}: {last[:200]}" if last else f"exit code {returncode}"
