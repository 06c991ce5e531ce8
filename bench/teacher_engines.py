"""The teacher and judge on this CPU: vLLM (one core, as vLLM binds it; every core, the new
default) against llama.cpp's server on the same GGUF, with identical prompts, in one run.

    .venv/bin/python -m bench.teacher_engines [--engines vllm-one-core vllm llama.cpp]
                                              [--n1 2] [--n8 8] [--out bench/results/teacher]

Each engine serves the catalog's large model (Qwen2.5-Coder-1.5B-Instruct): vLLM the bf16/fp32
folder `models pull` converts, llama.cpp the Q4_K_M GGUF as shipped (``smallbatch.models.llama``).
The calls are the curation's own typed calls (``call_typed``, JSON-schema constrained, retried
as curation retries): the distillation prompt and the quality judge's, alternating, on the
bundled sample's paragraphs; ``--n1`` one at a time, then ``--n8`` eight at a time (curation's
concurrency). Per engine: start seconds, resident memory after the run, calls per minute,
completion tokens per second (wall), prompt tokens, valid answers. Writes ``<out>.json`` and
``<out>.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

from smallbatch.gitinfo import git_commit
from smallbatch.models.process import free_port
from smallbatch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "smallbatch" / "samples" / "squad-sample.json"


def paragraphs() -> list[str]:
    doc = json.loads(SAMPLE.read_text())
    return [p["context"] for a in doc["data"] for p in a["paragraphs"]]


def calls(texts: list[str]) -> list[tuple]:
    """(prompt, input, max_tokens) as curation makes them, distillation and judge alternating."""
    from ingest.distill import DISTILL, DistillIn
    from ingest.quality_judge import JUDGE_QUALITY, JudgeIn

    out = []
    for i, text in enumerate(texts):
        if i % 2 == 0:
            out.append((DISTILL, DistillIn(passage=text), 700))
        else:
            out.append((JUDGE_QUALITY, JudgeIn(scope="history and science", passage=text), 80))
    return out


async def ask(client, model: str, batch: list[tuple], concurrency: int) -> dict:
    from smallbatch.prompting import TypedCallError, call_typed

    gate = asyncio.Semaphore(concurrency)
    usage: dict = {}
    valid = 0

    async def one(prompt, inp, max_tokens):
        nonlocal valid
        async with gate:
            try:
                await call_typed(client, model, prompt, inp, max_tokens=max_tokens, usage=usage)
                valid += 1
            except TypedCallError:
                pass

    t0 = time.perf_counter()
    await asyncio.gather(*(one(*c) for c in batch))
    wall = time.perf_counter() - t0
    done = usage.get("completion_tokens", 0)
    return {"inputs": len(batch), "valid": valid, "calls": usage.get("calls", 0),
            "wall_s": round(wall, 1), "calls_per_min": round(usage.get("calls", 0) * 60 / wall, 2),
            "completion_tokens": done, "prompt_tokens": usage.get("prompt_tokens", 0),
            "completion_tokens_per_s": round(done / wall, 2)}


def start(engine: str, s: Settings, port: int):
    """A started, ready server for ``engine``; returns (server, base_url, model name)."""
    from smallbatch.commands import model_server

    if engine == "llama.cpp":
        from smallbatch.models.llama import llama_server

        server = llama_server(s, "large", port=port)
    else:
        cores = "vllm" if engine == "vllm-one-core" else "all"
        s = s.model_copy(update={"vllm": s.vllm.model_copy(update={"cpu_cores": cores})})
        server = model_server(s, "large", port=port)
    server.start()
    took = server.wait_ready()
    return server, server.base_url, server.served_name, took


def run_engine(engine: str, args, batch: list[tuple]) -> dict:
    from openai import AsyncOpenAI

    from smallbatch.models import memory

    s = Settings()
    port = free_port()
    print(f"[teacher] {engine}: starting", file=sys.stderr)
    server, url, name, took = start(engine, s, port)
    try:
        async def both():  # one event loop: the client's connections belong to it
            client = AsyncOpenAI(base_url=url, api_key="none", timeout=1800, max_retries=0)
            return (await ask(client, name, batch[:args.n1], 1),
                    await ask(client, name, batch[args.n1:args.n1 + args.n8], 8))

        one, eight = asyncio.run(both())
        rss = memory.tree_rss_gib(server.proc.pid)
    finally:
        server.stop()
    row = {"engine": engine, "start_s": round(took, 1), "rss_gib": round(rss, 2),
           "x1": one, "x8": eight}
    print(f"[teacher] {json.dumps(row)}", file=sys.stderr)
    return row




def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    names = [r["engine"] for r in rows]
    for ax, key, label in ((axes[0], "calls_per_min", "teacher/judge calls per minute"),
                           (axes[1], "completion_tokens_per_s", "completion tokens per second")):
        x = range(len(rows))
        ax.bar([i - 0.2 for i in x], [r["x1"][key] for r in rows], 0.4, label="1 at a time")
        ax.bar([i + 0.2 for i in x], [r["x8"][key] for r in rows], 0.4, label="8 at a time")
        ax.set_xticks(list(x), names)
        ax.set_title(label, fontsize=10)
    axes[0].legend()
    fig.suptitle("1.5B teacher on this CPU: vLLM vs llama.cpp, identical typed calls")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engines", nargs="+", default=["vllm-one-core", "vllm", "llama.cpp"],
                   choices=["vllm-one-core", "vllm", "llama.cpp"])
    p.add_argument("--n1", type=int, default=2)
    p.add_argument("--n8", type=int, default=8)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "teacher"))
    args = p.parse_args(argv)
    batch = calls(paragraphs()[: args.n1 + args.n8])
    rows = [run_engine(e, args, batch) for e in args.engines]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"command": "python -m bench.teacher_engines " + " ".join(argv or sys.argv[1:]),
              "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
              "cores": os.cpu_count(), "engines": rows}
    out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    plot(rows, out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
