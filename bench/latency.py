"""How long a user waits for an answer, with the model on one core (vLLM's own binding) and on
every core (the default), measured in one run.

    .venv/bin/python -m bench.latency [--models small reader large] [--bindings vllm all]
                                      [--n1 6] [--n4 8] [--out bench/results/latency]

For each model and binding this starts the product as a user does, `smallbatch serve --kb
sample` over the bundled sample (ingested once into a temporary store), which starts vLLM for
that model with ``SMALLBATCH_VLLM__CPU_CORES`` set to the binding. ``small`` is the base 0.5B
(``SMALLBATCH_READER__DEFAULT=``), ``reader`` the shipped general reader `serve` answers with by
default, ``large`` the 1.5B. Then, after one warm-up question:

- **chat**: streamed through the chat API with the served settings (sentence style, top 5
  hits): ``--n1`` questions one after another (1 client), then ``--n4`` four at a time;
- **short**: the extractive style `eval run` asks (top 1, a focused stretch), in this process
  against the same model server, 1 and 4 at a time.

Each answer's time to first token, whole-answer seconds and tokens in/out are kept; each cell
reports p50/p95. The model server's resident memory (all its processes) is read after the run.
Writes ``<out>.json`` and ``<out>.png``; ``ratios`` holds new/old p50 per model and mode.
Questions are the sample's SQuAD questions, distinct per answer (vLLM's prefix cache shares
the fixed system prompt only), the same ones in the same order for both bindings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from smallbatch.gitinfo import git_commit
from smallbatch.models.process import free_port
from smallbatch.settings import Role, Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "smallbatch" / "samples" / "squad-sample.json"
MODEL_ENV = {  # what `smallbatch serve` is told, per model
    "small": {"SMALLBATCH_READER__DEFAULT": ""},
    "reader": {},
    "large": {"SMALLBATCH_SMALL__MODEL": "large", "SMALLBATCH_READER__DEFAULT": ""},
}


def questions() -> list[str]:
    doc = json.loads(SAMPLE.read_text())
    return [q["question"] for a in doc["data"] for p in a["paragraphs"] for q in p["qas"]]




def wait_ready(url: str, proc: subprocess.Popen, timeout_s: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"smallbatch serve exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f}s")


async def chat_once(client, question: str) -> dict:
    t0 = time.perf_counter()
    ttft, usage = None, None
    stream = await client.chat.completions.create(
        model="sample", messages=[{"role": "user", "content": question}], stream=True,
        stream_options={"include_usage": True})
    async for chunk in stream:
        if ttft is None and chunk.choices and chunk.choices[0].delta.content:
            ttft = time.perf_counter() - t0
        if chunk.usage:
            usage = chunk.usage
    return {"question": question, "ttft_s": ttft, "answer_s": time.perf_counter() - t0,
            "prompt_tokens": usage.prompt_tokens if usage else None,
            "completion_tokens": usage.completion_tokens if usage else None}


async def short_once(answerer, question: str) -> dict:
    from rag.answer import Answer

    t0 = time.perf_counter()
    ttft, final = None, None
    async for item in answerer.stream(question):
        if isinstance(item, Answer):
            final = item
        elif ttft is None and item:
            ttft = time.perf_counter() - t0
    usage = final.usage or {} if final else {}
    return {"question": question, "ttft_s": ttft, "answer_s": time.perf_counter() - t0,
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens")}


async def at_once(ask, qs: list[str], clients: int) -> list[dict]:
    gate = asyncio.Semaphore(clients)

    async def one(q):
        async with gate:
            return await ask(q)
    return list(await asyncio.gather(*(one(q) for q in qs)))


def summary(rows: list[dict]) -> dict:
    def pct(key, p):
        vals = sorted(r[key] for r in rows if r[key] is not None)
        if not vals:
            return None
        return round(statistics.quantiles(vals, n=100, method="inclusive")[p - 1], 3) \
            if len(vals) > 1 else round(vals[0], 3)

    tok = [r["prompt_tokens"] for r in rows if r["prompt_tokens"]]
    out = [r["completion_tokens"] for r in rows if r["completion_tokens"]]
    return {"n": len(rows), "ttft_p50": pct("ttft_s", 50), "ttft_p95": pct("ttft_s", 95),
            "answer_p50": pct("answer_s", 50), "answer_p95": pct("answer_s", 95),
            "prompt_tokens_mean": round(statistics.mean(tok)) if tok else None,
            "completion_tokens_mean": round(statistics.mean(out), 1) if out else None}


async def measure(api: str, model_url: str, model_name: str, stores: Path, qs: list[str],
                  n1: int, n4: int) -> dict:
    from openai import AsyncOpenAI

    from rag.assemble import current_snapshot, open_answerer
    from smallbatch.llm import endpoint

    client = AsyncOpenAI(base_url=api, api_key="none", timeout=900, max_retries=0)
    await chat_once(client, qs[0])  # warm-up, not counted
    chat = {"1": await at_once(lambda q: chat_once(client, q), qs[1:1 + n1], 1),
            "4": await at_once(lambda q: chat_once(client, q), qs[1 + n1:1 + n1 + n4], 4)}
    s = Settings(stores=stores, kb="sample", small=Role(model=model_name, base_url=model_url))
    answerer, snapshot = open_answerer(s, current_snapshot(s, "sample"), endpoint(s, "small"),
                                       style="short")
    try:
        rest = qs[1 + n1 + n4:]
        short = {"1": await at_once(lambda q: short_once(answerer, q), rest[:n1], 1),
                 "4": await at_once(lambda q: short_once(answerer, q), rest[n1:n1 + n4], 4)}
        search = await retrieval_ms(answerer.retriever.search, client, qs[100:])
    finally:
        snapshot.close()
    return {"chat": chat, "short": short, "retrieval_ms": search}


async def retrieval_ms(search, client, qs: list[str]) -> dict:
    """The API's own work per question (query embedding, BM25, fusion) with the model idle and
    while it answers 4 chat questions: how much the model's cores slow it."""
    def timed(q):
        t0 = time.perf_counter()
        search(q)
        return (time.perf_counter() - t0) * 1000

    timed(qs[0])  # the first search loads what later ones reuse
    idle = [await asyncio.to_thread(timed, q) for q in qs[1:11]]
    load = asyncio.ensure_future(asyncio.gather(*(chat_once(client, q) for q in qs[11:15])))
    await asyncio.sleep(2)  # the model is prefilling
    busy = []
    while not load.done() and 15 + len(busy) < len(qs):
        busy.append(await asyncio.to_thread(timed, qs[15 + len(busy)]))
    await load
    return {"idle_p50": round(statistics.median(idle), 1),
            "model_busy_p50": round(statistics.median(busy), 1) if busy else None,
            "model_busy_n": len(busy)}


def cell(model: str, binding: str, stores: Path, qs: list[str], args) -> dict:
    """One model under one binding: the product started, asked, and stopped."""
    from smallbatch.models import memory

    api_port, vllm_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMALLBATCH_")}
    env.update(SMALLBATCH_STORES=str(stores), SMALLBATCH_VLLM__CPU_CORES=binding,
               SMALLBATCH_VLLM__PORT=str(vllm_port - 2 if model == "reader" else vllm_port
                                         - (1 if model == "large" else 0)),
               SMALLBATCH_SERVE__LOG_JSON="false", HF_HUB_OFFLINE="1", **MODEL_ENV[model])
    env.update(kv.split("=", 1) for kv in args.set)
    log = Path(args.out).with_suffix(f".{model}-{binding}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(ROOT / ".venv" / "bin" / "smallbatch"), "serve", "--kb", "sample",
           "--port", str(api_port)]
    print(f"[latency] {model} / {binding}: starting the product (log {log})", file=sys.stderr)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        start_s = wait_ready(f"http://127.0.0.1:{api_port}/readyz", proc, 1200)
        [server] = [r for r in memory.running_servers() if r.port == str(vllm_port)]
        result = asyncio.run(measure(f"http://127.0.0.1:{api_port}/v1",
                                     f"http://127.0.0.1:{vllm_port}/v1", server.name, stores, qs,
                                     args.n1, args.n4))
        rss = memory.tree_rss_gib(server.pid)
    finally:
        proc.terminate()
        proc.wait(60)
    bound = next((line.split("computes on ", 1)[1].strip() for line in log.read_text().splitlines()
                  if "its log says the model computes on" in line), None)
    cells = {f"{mode} x{c}": summary(rows) for mode, by in result.items()
             if mode != "retrieval_ms" for c, rows in by.items()}
    print(f"[latency] {model} / {binding}: {json.dumps(cells)}", file=sys.stderr)
    return {"model": model, "binding": binding, "served_name": server.name, "cores": bound,
            "start_s": round(start_s, 1), "rss_gib": round(rss, 2), "cells": cells,
            "retrieval_ms": result.pop("retrieval_ms"),
            "answers": result}


def ratios(runs: list[dict], old: str, new: str) -> dict:
    by = {(r["model"], r["binding"]): r["cells"] for r in runs}
    out = {}
    for (model, binding), cells in by.items():
        if binding != new or (model, old) not in by:
            continue
        for name, c in cells.items():
            o = by[(model, old)][name]
            if c["answer_p50"] and o["answer_p50"]:
                out[f"{model} {name}"] = {
                    "answer_p50": round(c["answer_p50"] / o["answer_p50"], 3),
                    "ttft_p50": round(c["ttft_p50"] / o["ttft_p50"], 3)
                    if c["ttft_p50"] and o["ttft_p50"] else None}
    return out


def plot(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(runs[0]["cells"])
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 4), sharey=False)
    for ax, name in zip(axes, names):
        labels = [f"{r['model']}\n{r['binding']}" for r in runs]
        p50 = [r["cells"][name]["answer_p50"] or 0 for r in runs]
        p95 = [r["cells"][name]["answer_p95"] or 0 for r in runs]
        colours = ["#999999" if r["binding"] == "vllm" else "#2a7ab0" for r in runs]
        ax.bar(labels, p95, color="#dddddd", label="p95")
        ax.bar(labels, p50, color=colours, label="p50")
        ax.set_title(name)
        ax.set_ylabel("seconds per answer")
        ax.tick_params(axis="x", labelsize=7)
    axes[0].legend()
    fig.suptitle("Answer time: grey = vLLM's binding (one core), blue = every core")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["small", "reader", "large"],
                   choices=list(MODEL_ENV))
    p.add_argument("--bindings", nargs="+", default=["vllm", "all"])
    p.add_argument("--n1", type=int, default=6, help="questions one at a time, per mode")
    p.add_argument("--n4", type=int, default=8, help="questions four at a time, per mode")
    p.add_argument("--set", nargs="*", default=[], metavar="SMALLBATCH_X=V",
                   help="settings every product start gets, e.g. SMALLBATCH_VLLM__ENFORCE_EAGER=false")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "latency"))
    args = p.parse_args(argv)
    qs = questions()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        from ingest.pipeline import ingest

        stores = Path(tmp) / "stores"
        ingest(SAMPLE, "sample", Settings(stores=stores, kb="sample"))
        for model in args.models:
            for binding in args.bindings:
                runs.append(cell(model, binding, stores, qs, args))
    out = Path(args.out)
    report = {"command": "python -m bench.latency " + " ".join(argv or sys.argv[1:]),
              "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
              "cpu": cpu_name(), "cores": os.cpu_count(), "settings": args.set,
              "ratios_all_over_vllm": ratios(runs, "vllm", "all"), "runs": runs}
    out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    plot(runs, out.with_suffix(".png"))
    print(json.dumps(report["ratios_all_over_vllm"], indent=1))
    return 0


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            flags = Path("/proc/cpuinfo").read_text()
            return line.split(":", 1)[1].strip() + (" (AVX-512)" if "avx512f" in flags else "")
    return "?"


if __name__ == "__main__":
    sys.exit(main())
