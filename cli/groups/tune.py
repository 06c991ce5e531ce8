"""`smallbatch tune --kb NAME --dev FILE`: choose the curation cut by dev-set F1 and publish it."""

from __future__ import annotations

from pathlib import Path


def add(sub) -> None:
    t = sub.add_parser("tune", help="choose the curation cut by dev-set F1 and publish it")
    t.add_argument("--kb", help="knowledge base built with --profile curated, no budget")
    t.add_argument("--dev", required=True, help="dev questions (JSONL or SQuAD JSON), held "
                   "apart from the test questions")
    t.add_argument("--grid", type=Path, help="TOML with budgets, min_scores, weights, kinds")
    t.add_argument("--budgets", nargs="+", type=float, help="shares of the full store (<= 1) "
                   "or tokens (> 1)")
    t.add_argument("--min-scores", nargs="+", type=float, help="quality thresholds in [0, 1]")
    t.add_argument("--weights", nargs="+", help="heuristic:judge quality weights, e.g. 1:1 0:1")
    t.add_argument("--kinds", nargs="+", help="unit kinds kept: all, fact,qa or all-summary")
    t.add_argument("--tolerance", type=float, help="F1 a smaller store may give up (default "
                   "settings tune.tolerance, 0.01)")
    t.add_argument("--snapshot", help="tune from this snapshot (default: the published one, or "
                   "the full store a tuned one was cut from)")
    t.add_argument("--n", type=int, help="a seeded sample of this many dev questions")
    t.add_argument("--source-field", default="source_ids", help="JSONL field of the gold "
                   "source ids")
    t.add_argument("--concurrency", type=int, help="dev questions answered at once")
    t.add_argument("--dry-run", action="store_true", help="sweep and choose; publish nothing")
    t.set_defaults(run=run)


def run(args, s) -> int:
    from tune import commands

    return commands.tune(args, s)
