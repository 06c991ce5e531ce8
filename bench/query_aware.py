"""Query-aware vs uniform coverage at one budget, over several simulated skewed query logs.

    .venv/bin/smallbatch models serve small &           # the answering model on :8011
    .venv/bin/python -m bench.curation                   # once: teacher answers cached
    .venv/bin/python -m bench.query_aware [--logs 4] [--budget 0.15] [--source-shares 0,0.5]

bench/tuning.py compares the two on one simulated log; one log of 47 questions cannot separate
them. Here each of ``--logs`` seeds picks its own hot pages and splits their questions into a
log and a held-out set (as bench/tuning.py does, dev questions left out). The uniform store
(coverage sampling only) is cut once; for every log and every ``--source-shares`` value the
query-aware store (DSIR importance toward the log; a source share > 0 smooths each unit's weight
toward its source's mean) is cut to the same token budget from the same cached teacher answers.
Every store answers the log's held-out questions with the small model. Paired F1 differences are
pooled over all logs' held-out questions. Writes bench/results/query_aware.json and .png.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.common import parser
from bench.tuning import (RETRIEVAL, answer, curate, jsonl, page, paired,
                          raw_tokens, recall, setup, shuffled, skewed, teacher_cache, tokens_of)
from smallbatch.gitinfo import git_commit


def variant(share: float) -> str:
    return f"query_aware_s{share:g}"


def label(name: str) -> str:
    if name == "uniform":
        return "uniform coverage"
    share = name.removeprefix("query_aware_s")
    return "query-aware, unit DSIR" if float(share) == 0 else f"query-aware, source share {share}"


def pooled(per_log: list[dict], names: list[str]) -> dict:
    """Means over every held-out question of every log, and paired differences to uniform."""
    f1 = {n: [x for r in per_log for x in r["per_question"][n]] for n in names}
    out = {n: {"f1": round(sum(v) / len(v), 4), "n": len(v)} for n, v in f1.items()}
    for n in names:
        if n != "uniform":
            out[n]["minus_uniform_f1"] = paired(f1[n], f1["uniform"])
    return out


def plot(per_log: list[dict], pool: dict, names: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    groups = [f"log {r['seed']}" for r in per_log] + ["pooled"]
    width = 0.8 / len(names)
    for j, n in enumerate(names):
        vals = [r["systems"][n]["f1"] for r in per_log] + [pool[n]["f1"]]
        xs = [i + (j - (len(names) - 1) / 2) * width for i in range(len(groups))]
        ax.bar(xs, vals, width, label=label(n))
        d = pool[n].get("minus_uniform_f1")
        if d:  # the pooled bar carries the paired difference's 95 % CI, shifted onto it
            base = pool["uniform"]["f1"]
            ax.errorbar(xs[-1], base + d["mean"], fmt="none", ecolor="k", capsize=3,
                        yerr=[[d["mean"] - d["ci95"][0]], [d["ci95"][1] - d["mean"]]])
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel("F1 on held-out skewed questions (small model)")
    ax.set_title("Query-aware vs uniform coverage at equal budget (error bar: paired 95 % CI)",
                 fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    ap = parser(__doc__, "query_aware.json")
    ap.add_argument("--logs", type=int, default=4, help="simulated query logs (seeds)")
    ap.add_argument("--hot", type=int, default=4, help="pages most logged questions are about")
    ap.add_argument("--budget", type=float, default=0.15, help="share of the raw corpus tokens")
    ap.add_argument("--source-shares", default="0,0.5",
                    help="query-aware variants: curation.query_source_share values")
    ap.add_argument("--dev", type=int, default=40, help="bench/tuning.py's dev questions, left out")
    ap.add_argument("--test", type=int, default=100, help="bench/tuning.py's test questions")
    ap.add_argument("--seed", type=int, default=11, help="bench/tuning.py's split seed")
    args = ap.parse_args()
    t0 = time.perf_counter()
    settings, count, work = setup(args.stores, "query-aware-bench")
    docs, cache = args.corpus / "docs", teacher_cache(args.stores)
    budget = int(args.budget * raw_tokens(args.stores))
    shares = [float(x) for x in args.source_shares.split(",")]
    names = ["uniform"] + [variant(s) for s in shares]
    qs = shuffled(args.corpus, args.seed)  # the pool in bench/tuning.py's order: log 11 = its log
    pool = qs[args.dev + args.test:] + qs[args.dev:args.dev + args.test]
    uniform, calls = curate(settings, docs, cache, "bench-qa-uniform", budget_tokens=budget)
    per_log = []
    for k in range(args.logs):
        seed = args.seed + k
        log_qs, held_out, hot = skewed(pool, args.hot, seed)
        log_file = jsonl(work / f"query-log-{seed}.jsonl",
                         [{"v": 1, "kb": "bench-qa", "question": q.question} for q in log_qs])
        snaps = {"uniform": uniform.snapshot}
        for share in shares:
            res, used = curate(settings, docs, cache, f"bench-qa-{seed}-s{share:g}",
                               budget_tokens=budget, query_log=log_file,
                               query_source_share=share, query_seed=seed)
            snaps[variant(share)], calls = res.snapshot, calls + used
        got = answer(settings, snaps, held_out, work / f"held-out-{seed}")
        per_log.append({
            "seed": seed, "hot_pages": hot, "log_questions": len(log_qs),
            "held_out_questions": len(held_out),
            "held_out_on_hot_pages": sum(page(q) in hot for q in held_out),
            "systems": {n: {"f1": got[n]["f1"], "recall_at_5": got[n]["recall_at_5"],
                            "store_tokens": tokens_of(snaps[n], count),
                            "answer_string_recall": recall(snaps[n], held_out)} for n in names},
            "per_question": {n: got[n]["per_question"] for n in names},
        })
        print(f"log {seed}: " + ", ".join(f"{n} F1 {got[n]['f1']}" for n in names), flush=True)
    summary = pooled(per_log, names)
    doc = {
        "what": "query-aware (DSIR toward a simulated skewed query log) vs uniform coverage "
                "sampling at one token budget; held-out questions skewed like the log; answers "
                "by the small model; paired F1 differences pooled over every log",
        "budget_tokens": budget, "budget_share_of_raw": args.budget,
        "pooled": summary,
        "logs": [{k: v for k, v in r.items() if k != "per_question"} for r in per_log],
        "teacher_calls": calls,
        "retrieval": RETRIEVAL,
        "params": vars(args) | {"corpus": str(args.corpus), "stores": str(args.stores),
                                "out": str(args.out)},
        "wall_s": round(time.perf_counter() - t0, 1),
        "git_commit": git_commit(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    plot(per_log, summary, names, args.out.with_suffix(".png"))
    for n in names:
        print(f"pooled {n}: F1 {summary[n]['f1']} over {summary[n]['n']} questions"
              + (f", minus uniform {summary[n]['minus_uniform_f1']}"
                 if n != "uniform" else ""))


if __name__ == "__main__":
    main()
