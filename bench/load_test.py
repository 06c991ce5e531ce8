"""Load test of the chat API on loopback, and the app's overhead over calling vLLM directly.

    .venv/bin/python -m bench.load_test [--clients 8] [--requests 200] [--max-tokens 8]
                                        [--budget-s 600] [--model-url http://127.0.0.1:8011/v1]

Starts the app as its own process (``smallbatch serve``) over the bundled sample (ingested into
a temporary store unless ``--stores/--kb`` name one), configured as a deployment would be: API
keys on (one key per client, each under the default per-key rate limit), the default model
retries and timeouts, the default ``top_k``. Then, in one run:

1. warm-up: distinct prompts once each straight to vLLM for up to a third of the budget; only the
   prompts it reached are measured, so both phases see a warm prefix cache;
2. app: ``--clients`` concurrent clients, each sending up to ``--requests`` non-streamed chat
   requests (SQuAD questions of the sample, in a fixed order) until half the time budget is spent;
3. direct: the same number of requests, the same prompts the app built (same retrieved units,
   same messages, same max_tokens), straight to vLLM with the same concurrency.

A request is lost when it gets no HTTP answer at all; every status is counted. Writes
``bench/results/load.json``: p50/p95/p99 latency of both phases, the app's overhead (app minus
direct), throughput, status counts, the app's own retrieval/generation means from /metrics, the
model retries the app made (its log), vLLM's prefix-cache hit rate per phase, whether every
request was sent (``complete``) and the acceptance verdict (complete, none lost, no 5xx), and
the load average (other processes on a shared machine skew absolute figures; the two phases run
back to back in the same conditions).
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
from smallbatch.settings import Role, Settings
from bench.common import child  # starts and always stops the app
from smallbatch.models.process import free_port

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "smallbatch" / "samples" / "squad-sample.json"


def questions() -> list[str]:
    doc = json.loads(SAMPLE.read_text())
    return [q["question"] for a in doc["data"] for p in a["paragraphs"] for q in p["qas"]]


def direct_requests(settings: Settings, qs: list[str], max_tokens: int) -> list[tuple[str, dict]]:
    """(question, the exact request the app sends vLLM) for questions the app would send at all
    (an abstention makes no model call, so it has no direct counterpart)."""
    from rag.assemble import current_snapshot, open_answerer
    from smallbatch.llm import endpoint

    ep = endpoint(settings, "small")
    answerer, snap = open_answerer(settings, current_snapshot(settings, settings.kb), ep)
    out = []
    for q in qs:
        hits = answerer.retriever.search(q)
        sims = [h.similarity for h in hits if h.similarity is not None]
        if hits and (not sims or max(sims) >= answerer.min_similarity):
            out.append((q, {"model": ep.model, "messages": answerer.prompt.messages(q, hits),
                            "max_tokens": max_tokens, "temperature": 0.0}))
    snap.close()
    return out


async def run_phase(url: str, bodies: list[dict], clients: int, total: int,
                    deadline: float, keys: list[str] | None = None, name: str = "") -> dict:
    """``clients`` workers share requests 0..total-1 (request i sends ``bodies[i % len]``) and
    stop taking new ones at the deadline; worker w sends ``keys[w]`` as its API key. Returns
    latencies (s) of 200s, status counts, lost."""
    lat, statuses, lost, errors, nxt, done = [], {}, 0, [], iter(range(total)), []
    # idle connections dropped before the server's 5 s keep-alive (as smallbatch/llm.py does)
    limits = httpx.Limits(keepalive_expiry=2.0)

    async def worker(w: int):
        nonlocal lost
        headers = {"Authorization": f"Bearer {keys[w]}"} if keys else {}
        async with httpx.AsyncClient(timeout=300, limits=limits, headers=headers) as client:
            for i in nxt:
                if time.monotonic() > deadline:
                    return
                body = bodies[i % len(bodies)]
                t0 = time.perf_counter()
                try:
                    r = await client.post(url, json=body)
                except httpx.HTTPError as e:
                    lost += 1
                    errors.append(repr(e))
                    continue
                statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
                if r.status_code == 200:
                    lat.append(time.perf_counter() - t0)
                    done.append(i)
                elif len(errors) < 5:
                    errors.append(r.text[:300])
                n = sum(statuses.values()) + lost
                if name and n % 100 == 0:
                    print(f"{name}: {n}/{total} sent, {len(lat)} ok, "
                          f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    start = t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    wall = time.perf_counter() - t0
    return {"latencies": lat, "statuses": statuses, "lost": lost, "errors": errors, "wall_s": wall,
            "done": done}


def summary(phase: dict) -> dict:
    lat = sorted(phase["latencies"])
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    n = sum(phase["statuses"].values()) + phase["lost"]
    return {"requests": n, "ok": len(lat), "lost": phase["lost"], "statuses": phase["statuses"],
            "server_errors": sum(v for k, v in phase["statuses"].items() if k.startswith("5")),
            "p50_s": round(q[49], 4) if lat else None, "p95_s": round(q[94], 4) if lat else None,
            "p99_s": round(q[98], 4) if lat else None,
            "mean_s": round(statistics.fmean(lat), 4) if lat else None,
            "throughput_rps": round(len(lat) / phase["wall_s"], 3) if phase["wall_s"] else None,
            "wall_s": round(phase["wall_s"], 1), "first_errors": phase["errors"][:5]}


def app_means(metrics_text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    vals = {s.name: s.value for f in text_string_to_metric_families(metrics_text) for s in f.samples
            if not s.labels}
    out = {}
    for name in ("retrieval", "generation"):
        s = vals.get(f"smallbatch_{name}_seconds_sum")
        c = vals.get(f"smallbatch_{name}_seconds_count")
        out[f"{name}_mean_s"] = round(s / c, 4) if c else None
    return out


def vllm_cache(model_url: str) -> dict:
    """vLLM's prompt-token and prefix-cache counters (summed over its label sets)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{model_url.rstrip('/').removesuffix('/v1')}/metrics", timeout=10).text
    want = {"vllm:prefix_cache_queries_total": "queries", "vllm:prefix_cache_hits_total": "hits"}
    out = dict.fromkeys(want.values(), 0.0)
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name in want:
                out[want[s.name]] += s.value
    return out


def cache_hit_rate(before: dict, after: dict) -> float | None:
    q = after["queries"] - before["queries"]
    return round((after["hits"] - before["hits"]) / q, 4) if q else None


def add_keys(settings: Settings, n: int) -> list[str]:
    """One API key per client (keys on, as in a deployment), each with the server's default
    per-key rate limit."""
    from serve.auth import KeyStore

    store = KeyStore(settings.keys_path())
    return [store.add(f"load-client-{i}")[0] for i in range(n)]


def app_command(settings: Settings, port: int) -> tuple[list[str], dict]:
    env = {**os.environ, "SMALLBATCH_STORES": str(settings.stores), "SMALLBATCH_KB": settings.kb,
           "SMALLBATCH_HOME": str(settings.home), "SMALLBATCH_SMALL__BASE_URL":
           settings.small.base_url, "SMALLBATCH_SMALL__MODEL": settings.small.model,
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    return [str(Path(sys.executable).with_name("smallbatch")), "serve", "--port", str(port)], env


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200, help="per client")
    ap.add_argument("--max-tokens", type=int, default=8)
    ap.add_argument("--questions", type=int, default=0, help="distinct questions (0: all)")
    ap.add_argument("--budget-s", type=float, default=600, help="app + direct phases together")
    ap.add_argument("--model-url", default="http://127.0.0.1:8011/v1")
    ap.add_argument("--stores", type=Path, help="reuse this stores folder (default: ingest the "
                    "sample into a temporary one)")
    ap.add_argument("--kb", default="sample")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="sb-load-"))
    settings = Settings(stores=args.stores or tmp / "stores", kb=args.kb, home=tmp / "home",
                        small=Role(model="small", base_url=args.model_url.rstrip("/")))
    if args.stores is None:
        from ingest.pipeline import ingest

        ingest(SAMPLE, args.kb, settings)
    pairs = direct_requests(settings, questions()[:args.questions or None], args.max_tokens)
    keys = add_keys(settings, args.clients)
    port, load0 = free_port(), os.getloadavg()
    cmd, env = app_command(settings, port)
    root = f"http://127.0.0.1:{port}"
    app_log = tmp / "app.log"
    with child(cmd, f"{root}/readyz", 300, env=env, stdout=app_log.open("w"),
               stderr=subprocess.STDOUT):
        direct_bodies = [b for _, b in pairs]
        app_bodies = [{"model": args.kb, "max_tokens": args.max_tokens, "temperature": 0.0,
                       "messages": [{"role": "user", "content": q}]} for q, _ in pairs]
        chat = f"{settings.small.base_url}/chat/completions"
        t = time.monotonic()
        warm = asyncio.run(run_phase(chat, direct_bodies, args.clients, len(direct_bodies),
                                     t + args.budget_s / 3))
        # measure only prompts the warm-up reached: both phases then start from a warm cache
        warmed = sorted(warm["done"])
        app_bodies = [app_bodies[i] for i in warmed]
        direct_bodies = [direct_bodies[i] for i in warmed]
        half = (args.budget_s - (time.monotonic() - t)) / 2
        c0 = vllm_cache(args.model_url)
        app = asyncio.run(run_phase(f"{root}/v1/chat/completions", app_bodies, args.clients,
                                    args.clients * args.requests, time.monotonic() + half,
                                    keys=keys, name="app"))
        c1 = vllm_cache(args.model_url)
        sent = sum(app["statuses"].values()) + app["lost"]  # the same requests, straight to vLLM
        direct = asyncio.run(run_phase(chat, direct_bodies, args.clients, sent,
                                       time.monotonic() + 3600, name="direct"))
        c2 = vllm_cache(args.model_url)
        means = app_means(httpx.get(f"{root}/metrics", timeout=10,
                                    headers={"Authorization": f"Bearer {keys[0]}"}).text)
    retries = sum("Retrying request" in line for line in app_log.read_text().splitlines())
    a, d = summary(app), summary(direct)
    complete = a["requests"] == args.clients * args.requests and d["requests"] == a["requests"]
    result = {
        "what": "non-streamed chat completions on loopback: the app (retrieval + prompt + vLLM "
                "+ citations) vs the same prompts straight to vLLM, back to back in one run",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git_commit": git_commit(),
        "params": {"clients": args.clients, "requests_per_client": args.requests,
                   "max_tokens": args.max_tokens, "budget_s": args.budget_s,
                   "distinct_prompts": len(pairs), "prompts_measured": len(app_bodies),
                   "model_url": args.model_url},
        "app_settings": {"top_k": settings.retrieval.top_k,
                         "model_max_retries": settings.small.max_retries,
                         "model_timeout_s": settings.small.timeout_s,
                         "api_keys": len(keys), "rate_per_minute_per_key":
                         settings.serve.rate_per_minute, "burst": settings.serve.burst},
        "machine": {"cpus": os.cpu_count(), "loadavg_start": [round(x, 2) for x in load0],
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "warmup": {k: v for k, v in summary(warm).items() if k in ("requests", "ok", "wall_s")},
        "app": a, "direct": d, "app_internal": means, "app_model_retries": retries,
        "vllm_prefix_cache_hit_rate": {"app": cache_hit_rate(c0, c1),
                                       "direct": cache_hit_rate(c1, c2)},
        "overhead": {
            "p50_s": round(a["p50_s"] - d["p50_s"], 4) if a["p50_s"] and d["p50_s"] else None,
            "p95_s": round(a["p95_s"] - d["p95_s"], 4) if a["p95_s"] and d["p95_s"] else None,
            "p50_ratio": round(a["p50_s"] / d["p50_s"], 3) if a["p50_s"] and d["p50_s"] else None},
        "complete": complete,
        "acceptance": {"complete": complete, "lost": a["lost"], "server_errors":
                       a["server_errors"], "pass": complete and a["lost"] == 0
                       and a["server_errors"] == 0 and a["ok"] == a["requests"]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("app", "direct", "overhead", "app_internal",
                                             "app_model_retries", "acceptance")}, indent=2))
    return result


if __name__ == "__main__":
    main()
