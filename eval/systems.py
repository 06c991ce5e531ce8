"""Systems under comparison, declared in one TOML file.

    [eval]
    questions = "../shared/data/squad-v1.1-dev.json"   # SQuAD JSON or JSONL
    n = 300            # questions sampled (seed below); all if absent
    seed = 13
    concurrency = 2
    style = "short"    # answer style: short (extractive phrase, fair for EM/F1) | sentence (chat)
    out = "eval/results"

    [[system]]
    name = "small+raw"
    role = "small"          # a role from the settings (small | large | teacher | judge) ...
    kb = "squad-raw"        # ... over this knowledge base's current snapshot (or `snapshot = PATH`)

    [[system]]
    name = "large closed-book"
    base_url = "http://gpu-box:8000/v1"   # ... or any OpenAI-compatible server
    model = "Qwen2.5-7B-Instruct"        # (no kb/snapshot: closed-book)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from smallbatch.llm import Endpoint, endpoint
from smallbatch.settings import Settings


@dataclass
class System:
    name: str
    endpoint: Endpoint
    model_label: str  # e.g. "small (qwen2.5-coder-0.5b-instruct)"
    snapshot: Path | None = None  # None = closed-book
    top_k: int | None = None

    @property
    def closed_book(self) -> bool:
        return self.snapshot is None


@dataclass
class EvalPlan:
    questions: Path
    n: int | None
    seed: int
    concurrency: int
    out: Path
    style: str = "short"
    systems: list[System] = field(default_factory=list)
    source: Path | None = None


def _system(row: dict, settings: Settings, base: Path) -> System:
    from rag.engine import current_snapshot

    name = row.get("name")
    if not name:
        raise ValueError("every [[system]] needs a name")
    if "base_url" in row:
        if "model" not in row:
            raise ValueError(f"system {name!r}: base_url needs a model")
        ep = Endpoint(name, row["base_url"].rstrip("/"), row["model"], row.get("api_key", "EMPTY"),
                      float(row.get("timeout_s", 600)), int(row.get("max_retries", 2)))
        label = row["model"]
    else:
        role = row.get("role", "small")
        ep = endpoint(settings, role)
        label = f"{getattr(settings, role).model} ({ep.model})"
    snapshot = None
    if "snapshot" in row:
        snapshot = (base / row["snapshot"]).resolve()
    elif "kb" in row:
        snapshot = current_snapshot(settings, row["kb"])
    unknown = set(row) - {"name", "role", "base_url", "model", "api_key", "timeout_s",
                          "max_retries", "kb", "snapshot", "top_k"}
    if unknown:
        raise ValueError(f"system {name!r}: unknown keys {sorted(unknown)}")
    return System(name, ep, label, snapshot, row.get("top_k"))


def load_plan(path: Path, settings: Settings) -> EvalPlan:
    path = Path(path)
    cfg = tomllib.loads(path.read_text())
    ev = cfg.get("eval", {})
    base = Path.cwd()
    systems = [_system(row, settings, base) for row in cfg.get("system", [])]
    if not systems:
        raise ValueError(f"{path}: declares no [[system]]")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: system names must be unique, got {names}")
    return EvalPlan(Path(ev.get("questions", "")), ev.get("n"), int(ev.get("seed", 13)),
                    int(ev.get("concurrency", 2)), Path(ev.get("out", "eval/results")),
                    ev.get("style", "short"), systems, path)
