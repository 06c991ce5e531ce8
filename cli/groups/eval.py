"""`smallbatch eval run SYSTEMS.toml` and `smallbatch eval testset DOCS --out FILE`."""

from __future__ import annotations

from pathlib import Path


def add(sub) -> None:
    e = sub.add_parser("eval", help="run an accuracy comparison declared in a TOML file")
    e.add_argument("action", choices=["run", "testset"],
                   help="run: the comparison; testset: teacher-written questions from DOCS")
    e.add_argument("systems", metavar="SYSTEMS|DOCS",
                   help="run: systems file, e.g. eval/systems.toml; testset: documents (file/folder)")
    e.add_argument("--n", type=int, help="number of questions (run: overrides the file)")
    e.add_argument("--questions", type=Path, help="questions file (overrides the file)")
    e.add_argument("--out", help="run: results folder (overrides the file); testset: FILE.jsonl")
    e.add_argument("--only", nargs="*", help="run only these systems (the report lists all)")
    e.add_argument("--ragas-n", type=int, help="ragas on this many answerable questions per "
                   "system (overrides ragas_n in the file; 0 = off)")
    e.add_argument("--ragas-metrics", nargs="+", help="ragas metrics to judge (overrides "
                   "ragas_metrics in the file), e.g. faithfulness_one_call")
    e.add_argument("--holdout", type=float, default=0.2,
                   help="testset: fraction of documents held apart for questions")
    e.add_argument("--seed", type=int, default=13, help="testset: seed of the holdout split")
    e.add_argument("--passes", type=int, default=3, help="testset: attempts per held-apart "
                   "document, each on its next passage (few long documents: raise it)")
    e.add_argument("--lang", choices=["en", "zh"], help="testset: ask only the held-apart "
                   "documents in this language (e.g. skip a translation's untranslated pages)")
    e.add_argument("--replay-only", action="store_true", help="testset: write the items the "
                   "journal (OUT.teacher.jsonl) holds, asking the teacher nothing (a run stopped "
                   "before --n)")
    e.set_defaults(run=run)


def run(args, s) -> int:
    from eval import commands

    return commands.run(args, s) if args.action == "run" else commands.testset(args, s)
