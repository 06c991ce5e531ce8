"""`smallbatch ingest PATH --kb NAME`: build a snapshot from a file or folder and publish it."""

from __future__ import annotations


def add(sub) -> None:
    i = sub.add_parser("ingest", help="build a snapshot from a file or folder and publish it")
    i.add_argument("path")
    i.add_argument("--kb", help="knowledge base name (default: settings kb)")
    i.add_argument("--no-publish", action="store_true", help="build only; publish later")
    i.add_argument("--profile", choices=["raw", "clean", "curated"], default="clean",
                   help="raw: chunks only (for comparisons); clean (default): every step that "
                        "needs no model; curated: clean + judge, teacher distillation, "
                        "grounding, semantic dedup, augmentation (needs the teacher and judge)")
    i.add_argument("--budget-tokens", type=int, help="coverage-sample the store to this many "
                   "unit tokens")
    i.add_argument("--scope", help="what belongs in this knowledge base (for the judge)")
    i.add_argument("--query-log", help="query-aware budget: spend a share of it on units like "
                   "the questions in this query log (see `smallbatch gaps`)")
    i.add_argument("--engine", choices=["local", "ray"], help="run the steps in this process "
                   "(default) or on Ray Data (SMALLBATCH_RAY__ADDRESS joins a cluster)")
    i.set_defaults(run=run)


def run(args, s) -> int:
    from ingest import commands

    return commands.ingest(args, s)
