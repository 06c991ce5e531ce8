"""Curation tuned by evaluation and by the questions users ask, on the noisy benchmark corpus.

    .venv/bin/smallbatch models serve small &                  # the answering model on :8011
    .venv/bin/python -m bench.curation                          # once: teacher answers cached
    .venv/bin/python -m bench.tuning [--dev 40] [--test 100] [--hot 5]

Part 1, tuning by evaluation: builds ``bench-tune``, the full curated store of the corpus with
every unit kind (passages, facts, QA pairs, summaries; the teacher's answers come from
bench-curated's cache, so it makes no teacher call), splits the eval questions into a dev set
and a disjoint test set (seeded), runs ``smallbatch tune`` on the dev set (budgets x unit kinds)
and publishes its choice; then answers the test set over the tuned store and over the untuned
default (``bench-curated``, the curated profile's kinds cut to the budget bench/curation.py used).

Part 2, query-aware curation: a skewed query log is simulated — most questions about a few
"hot" pages — and its questions split into the log and a held-out set of similarly skewed
questions. The curated store is cut to the same token budget twice from the same teacher
answers: uniform coverage sampling, and coverage mixed with DSIR importance toward the log.
Both answer the held-out set.

Every answer comes from the small model with the same retrieval (top_k 8 inside a 150-word
context). Writes bench/results/tuning.json and bench/results/tuning.png.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench.common import parser
from eval.questions import Question, load_questions
from eval.run_systems import RECORDS, run
from eval.scoring import bootstrap_ci
from eval.systems import System
from ingest.pipeline import ingest
from smallbatch.gitinfo import git_commit
from smallbatch.llm import endpoint
from smallbatch.settings import Settings
from smallbatch.snapshot import REPORT_FILE, iter_unit_rows
from smallbatch.store import KnowledgeBase
from tune.candidates import Grid
from tune.run import table, tune

SCOPE = "encyclopedia articles about places, people, science and history"  # as bench/curation.py
KINDS = ["passage", "fact", "qa", "summary"]
RETRIEVAL = {"top_k": 8, "context_words": 150}  # every bench answer: 8 units in 150 words
GRID = Grid(budgets=(0.1, 0.2, 0.35, 0.6, 1.0), min_scores=(0.0,), weights=("1:1",),
            kinds=("passage", "fact,qa", "all"))


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def setup(stores: Path, work: str) -> tuple[Settings, Callable[[str], int], Path]:
    """The benches' settings (the retrieval every answer uses: RETRIEVAL), the embedder's token
    counter, and a fresh-or-kept work folder under the stores."""
    base = Settings(stores=stores)
    settings = base.model_copy(update={"retrieval": base.retrieval.model_copy(update=RETRIEVAL)})
    from smallbatch.embed import get_embedder

    (stores / work).mkdir(parents=True, exist_ok=True)
    return settings, get_embedder(settings.embedder).count_tokens, stores / work


def teacher_cache(stores: Path) -> Path:
    cache = stores / "bench-curated" / "cache" / "teacher.jsonl"
    if not cache.exists():
        raise SystemExit(f"no teacher cache at {cache}: run bench/curation.py first")
    return cache


def curate(settings: Settings, docs: Path, cache: Path, kb: str, **update):
    """Ingest with the curated profile, teacher answers from bench-curated's cache; returns the
    result and the model calls it made (0 when the cache holds every answer)."""
    (settings.stores / kb / "cache").mkdir(parents=True, exist_ok=True)
    shutil.copy(cache, settings.stores / kb / "cache" / "teacher.jsonl")
    c = settings.curation.curated().model_copy(update={"scope": SCOPE, **update})
    result = ingest(docs, kb, settings.model_copy(update={"curation": c}))
    used = sum(u.usage.calls for u in result.roles.clients.values()) if result.roles else 0
    return result, used


def shuffled(corpus: Path, seed: int) -> list[Question]:
    """The eval questions in the seeded order the dev/test split is cut from."""
    qs = load_questions(corpus / "eval-questions.jsonl")
    random.Random(seed).shuffle(qs)
    return qs


def raw_tokens(stores: Path) -> int:
    report = KnowledgeBase(stores, "bench-raw").current() / REPORT_FILE
    return json.loads(report.read_text())["raw"]["tokens"]


def recall(snapshot: Path, questions: list[Question]) -> float:
    """Share of the questions with a gold answer string somewhere in the store's units."""
    units = "\n".join(row["text"] for row in iter_unit_rows(snapshot))
    return round(sum(any(a in units for a in q.answers) for q in questions) / len(questions), 4)


def as_rows(questions: list[Question]) -> list[dict]:
    return [{"id": q.id, "question": q.question, "answers": q.answers,
             "source_ids": q.source_ids} for q in questions]


def page(q: Question) -> str:
    return q.source_ids[0]


def answer(settings: Settings, systems: dict[str, Path], questions: list[Question],
           out: Path) -> dict[str, dict]:
    """Each store answers every question; per system: mean F1, recall@5 and per-question F1."""
    ep = endpoint(settings, "small")
    shutil.rmtree(out, ignore_errors=True)
    run([System(name, ep, "small", snap) for name, snap in systems.items()], questions, settings,
        out, concurrency=2, style="short")
    by = defaultdict(dict)
    for r in map(json.loads, (out / RECORDS).read_text().splitlines()):
        if "error" in r:
            raise SystemExit(f"{r['system']}: {r['qid']} failed: {r['error']}")
        by[r["system"]][r["qid"]] = r
    res = {}
    for name, recs in by.items():
        f1 = [recs[q.id]["f1"] for q in questions]
        r5 = [recs[q.id].get("recall_at_5", 0.0) for q in questions]
        res[name] = {"f1": round(sum(f1) / len(f1), 4), "recall_at_5": round(sum(r5) / len(r5), 4),
                     "per_question": f1, "n": len(f1)}
    return res


def tokens_of(snapshot: Path, count) -> int:
    return sum(count(row["text"]) for row in iter_unit_rows(snapshot))


def paired(a: list[float], b: list[float]) -> dict:
    mean, lo, hi = bootstrap_ci([x - y for x, y in zip(a, b)])
    return {"mean": round(mean, 4), "ci95": [round(lo, 4), round(hi, 4)]}


def skewed(questions: list[Question], hot: int, seed: int, share: float = 0.85
           ) -> tuple[list[Question], list[Question], list[str]]:
    """(log, held_out, hot pages): ``share`` of both sets about ``hot`` pages, the rest spread
    over the other pages; a page's questions are split between the two sets, never shared."""
    rng = random.Random(seed)
    pages = sorted({page(q) for q in questions})
    hot_pages = sorted(rng.sample(pages, hot))
    on = [q for q in questions if page(q) in hot_pages]
    off = [q for q in questions if page(q) not in hot_pages]
    rng.shuffle(on)
    rng.shuffle(off)
    half = len(on) // 2
    n_off = round(half * (1 - share) / share)
    return on[:half] + off[:n_off], on[half:] + off[n_off:2 * n_off], hot_pages


def plot(points: list[dict], chosen: str, default: dict, tuned: dict, qa: dict,
         path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    by_kind = defaultdict(list)
    for p in points:
        if p.get("f1") is not None:
            by_kind[p["name"].split()[-1]].append(p)
    for kind, ps in sorted(by_kind.items()):
        ps.sort(key=lambda p: p["store_tokens"])
        ax.plot([p["store_tokens"] for p in ps], [p["f1"] for p in ps], "o-", label=kind)
    front = sorted((p for p in points if p.get("front")), key=lambda p: p["store_tokens"])
    ax.plot([p["store_tokens"] for p in front], [p["f1"] for p in front], "k--", lw=0.8,
            label="Pareto front")
    c = next(p for p in points if p["name"] == chosen)
    ax.plot([c["store_tokens"]], [c["f1"]], "r*", ms=14, label=f"chosen: {chosen}")
    ax.set_xlabel("store tokens")
    ax.set_ylabel("dev F1 (small model)")
    ax.set_title("Tuning sweep on the dev questions")
    ax.legend(fontsize=7)
    names = ["untuned default", "tuned", "uniform", "query-aware"]
    vals = [default["f1"], tuned["f1"], qa["uniform"]["f1"], qa["query_aware"]["f1"]]
    sizes = [default["store_tokens"], tuned["store_tokens"], qa["uniform"]["store_tokens"],
             qa["query_aware"]["store_tokens"]]
    bars = bx.bar(names, vals, color=["grey", "tab:red", "grey", "tab:blue"])
    for b, v, t in zip(bars, vals, sizes):
        bx.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}\n{t} tok", ha="center",
                fontsize=8)
    bx.set_ylabel("F1 (small model)")
    bx.set_ylim(0, max(vals) + 0.15)
    bx.set_title("test set: default vs tuned | skewed held-out: uniform vs query-aware",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    ap = parser(__doc__, "tuning.json")
    ap.add_argument("--dev", type=int, default=40, help="dev questions for the sweep")
    ap.add_argument("--test", type=int, default=100, help="test questions, disjoint from dev")
    ap.add_argument("--hot", type=int, default=4, help="pages most logged questions are about")
    ap.add_argument("--budget", type=float, default=0.15,
                    help="query-aware vs uniform budget, share of the raw corpus tokens")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    t_start = time.perf_counter()
    settings, count, work = setup(args.stores, "tuning-bench")
    docs, cache = args.corpus / "docs", teacher_cache(args.stores)

    def curated(kb: str, **update):
        return curate(settings, docs, cache, kb, **update)

    # part 1: tuning by evaluation
    full, full_calls = curated("bench-tune", unit_kinds=KINDS)
    qs = shuffled(args.corpus, args.seed)
    dev, test = qs[:args.dev], qs[args.dev:args.dev + args.test]
    dev_file = jsonl(work / "dev.jsonl", as_rows(dev))
    result = tune(settings, "bench-tune", dev_file, GRID, settings.tune.tolerance)
    print(table(result))
    chosen = result.points[result.chosen]
    default_snap = KnowledgeBase(args.stores, "bench-curated").current()
    compare = answer(settings, {"untuned default": default_snap, "tuned": result.snapshot},
                     test, work / "test")
    default = {**compare["untuned default"], "store_tokens": tokens_of(default_snap, count),
               "snapshot": default_snap.name}
    tuned = {**compare["tuned"], "store_tokens": tokens_of(result.snapshot, count),
             "snapshot": result.snapshot.name, "chosen": chosen["name"]}

    # part 2: query-aware vs uniform coverage at one budget
    budget = int(args.budget * raw_tokens(args.stores))
    pool = qs[args.dev + args.test:] + test  # dev questions stay out of the log and held-out
    log_qs, held_out, hot_pages = skewed(pool, args.hot, args.seed)
    log_file = jsonl(work / "query-log.jsonl",
                     [{"v": 1, "kb": "bench-qa", "question": q.question} for q in log_qs])
    uniform, u_calls = curated("bench-qa-uniform", budget_tokens=budget)
    aware, a_calls = curated("bench-qa-query", budget_tokens=budget, query_log=log_file)
    qa_res = answer(settings, {"uniform": uniform.snapshot, "query_aware": aware.snapshot},
                    held_out, work / "held-out")
    qa = {name: {**qa_res[name], "store_tokens": tokens_of(snap, count)}
          for name, snap in (("uniform", uniform.snapshot), ("query_aware", aware.snapshot))}

    doc = {
        "what": "smallbatch tune on the bench corpus (dev split), tuned vs untuned default on a "
                "disjoint test split; query-aware vs uniform coverage at one budget on skewed "
                "held-out questions; all answers by the small model",
        "swept_points": [{"name": p["name"], "settings": p.get("settings"),
                          "store_tokens": p["store_tokens"], "units": p["units"],
                          "f1": p.get("f1"), "recall_at_5": p.get("recall_at_5"),
                          "front": p.get("front", False)} for p in result.points],
        "chosen": {"name": chosen["name"], "store_tokens": chosen["store_tokens"],
                   "dev_f1": chosen["f1"], "dev_recall_at_5": chosen["recall_at_5"],
                   "tolerance": settings.tune.tolerance},
        "full_store": {"kb": "bench-tune", "snapshot": full.snapshot.name,
                       "teacher_calls": full_calls,
                       "tokens": tokens_of(full.snapshot, count)},
        "test": {"n": len(test),
                 "untuned_default": {k: v for k, v in default.items() if k != "per_question"},
                 "tuned": {k: v for k, v in tuned.items() if k != "per_question"},
                 "tuned_minus_default_f1": paired(tuned["per_question"],
                                                  default["per_question"])},
        "uniform_f1": qa["uniform"]["f1"], "query_aware_f1": qa["query_aware"]["f1"],
        "query_aware": {
            "budget_tokens": budget, "budget_share_of_raw": args.budget,
            "hot_pages": hot_pages, "log_questions": len(log_qs),
            "held_out_questions": len(held_out),
            "held_out_on_hot_pages": sum(page(q) in hot_pages for q in held_out),
            "uniform": {k: v for k, v in qa["uniform"].items() if k != "per_question"}
            | {"answer_string_recall": recall(uniform.snapshot, held_out)},
            "query_aware": {k: v for k, v in qa["query_aware"].items() if k != "per_question"}
            | {"answer_string_recall": recall(aware.snapshot, held_out)},
            "query_aware_minus_uniform_f1": paired(qa["query_aware"]["per_question"],
                                                   qa["uniform"]["per_question"]),
            "teacher_calls": u_calls + a_calls,
        },
        "retrieval": RETRIEVAL,
        "params": vars(args) | {"corpus": str(args.corpus), "stores": str(args.stores),
                                "out": str(args.out)},
        "grid": {"budgets": GRID.budgets, "kinds": GRID.kinds},
        "wall_s": round(time.perf_counter() - t_start, 1),
        "git_commit": git_commit(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    plot(result.points, chosen["name"], default, tuned, qa, args.out.with_suffix(".png"))
    print(f"tuned {tuned['chosen']}: {tuned['store_tokens']} tokens, test F1 {tuned['f1']} | "
          f"default {default['store_tokens']} tokens, F1 {default['f1']}")
    print(f"skewed held-out at {budget} tokens: uniform F1 {doc['uniform_f1']}, query-aware F1 "
          f"{doc['query_aware_f1']}")


if __name__ == "__main__":
    main()
