"""`smallbatch eval run` and `smallbatch eval testset`: argument handling around the eval parts.

The pattern every package's ``commands.py`` follows: one function per command taking the parsed
arguments and the settings, returning the exit code; a mistake a person can fix is raised as a
``UserError`` (the CLI prints one ``error:`` line and exits 2), converted here when the part that
found it raised a plain ``ValueError`` or ``OSError``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from smallbatch.commands import role_endpoint
from smallbatch.errors import UserError
from smallbatch.llm import Endpoint, async_client
from smallbatch.models.server import is_up
from smallbatch.settings import Settings


def run(args, s: Settings) -> int:
    from eval.ragas_judge import RAGAS_METRICS
    from eval.ragas_run import judge_run
    from eval.results_report import markdown, write_report
    from eval.run_systems import run as answer_all
    from eval.systems import load_plan, plan_questions

    try:
        plan = load_plan(Path(args.systems), s)
        questions = plan_questions(plan, args.questions, args.n)
    except OSError as e:
        if not e.filename:  # e.g. a snapshot folder without its manifest: the message says which
            raise UserError(f"eval run: {e}") from e
        raise UserError(f"eval run: cannot read {e.filename} ({e.strerror}); "
                        f"give a systems file such as eval/systems.toml") from e
    except ValueError as e:  # a malformed systems or questions file
        raise UserError(f"eval run: {e}") from e
    out = Path(args.out or plan.out)
    metrics = getattr(args, "ragas_metrics", None) or plan.ragas_metrics
    unknown = set(metrics) - set(RAGAS_METRICS)
    if unknown:
        raise UserError(f"eval run: unknown ragas metrics {sorted(unknown)}; choose from "
                        f"{', '.join(RAGAS_METRICS)}")
    chosen = [x for x in plan.systems if not args.only or x.name in args.only]
    unans = sum(not q.answerable for q in questions)
    print(f"eval: {len(questions)} questions ({unans} unanswerable) x {len(chosen)} systems "
          f"-> {out}", file=sys.stderr)
    records_path = answer_all(chosen, questions, s, out, plan.concurrency, plan.style)
    ragas_n = args.ragas_n if args.ragas_n is not None else plan.ragas_n
    judge = role_endpoint(s, "judge")
    if ragas_n > 0 and not is_up(judge.base_url):
        raise UserError(f"the judge ({judge.model}) does not answer at {judge.base_url}; start it "
                        f"or set SMALLBATCH_JUDGE__BASE_URL and __MODEL (answers are kept; rerun "
                        f"to judge)")
    if ragas_n > 0:
        names = {x.name for x in chosen}
        records = [r for r in map(json.loads, records_path.read_text().splitlines())
                   if r["system"] in names]
        asyncio.run(judge_run(records, questions, out, judge, metrics, ragas_n,
                              plan.ragas_calibration, plan.concurrency, s.embedder))
    settings = run_settings(args, s, plan, questions, ragas_n, judge, metrics)
    doc = write_report(records_path, plan.systems, settings, judge.model)
    print(markdown(doc["systems"]))
    for w in (doc.get("ragas") or {}).get("warnings", []):
        print(f"WARNING: {w}", file=sys.stderr)
    return 0


def run_settings(args, s: Settings, plan, questions: list, ragas_n: int, judge: Endpoint,
                 metrics: list[str] | None = None) -> dict:
    """What the summary records of how the run was made."""
    files = [args.questions] if args.questions else plan.questions
    return {"systems_file": str(plan.source), "questions": ", ".join(map(str, files)),
            "n": len(questions), "unanswerable": sum(not q.answerable for q in questions),
            "unanswerable_from": str(plan.unanswerable_from or "") or None,
            "source_field": plan.source_field, "seed": plan.seed,
            "concurrency": plan.concurrency, "style": plan.style,
            "retrieval": s.retrieval.model_dump(), "answer_max_tokens": s.answer_max_tokens,
            "embedder": s.embedder,
            "ragas": {"n": ragas_n, "metrics": metrics or plan.ragas_metrics,
                      "calibration_pairs": plan.ragas_calibration,
                      "judge": {"base_url": judge.base_url, "model": judge.model}},
            "systems": {x.name: {"base_url": x.endpoint.base_url, "model": x.endpoint.model,
                                 "params": x.params, "top_k": x.top_k, "retrieval": x.retrieval,
                                 "snapshot": str(x.snapshot) if x.snapshot else None}
                        for x in plan.systems}}


def testset(args, s: Settings) -> int:
    from eval import testset as ts
    from ingest.load import load

    if not args.out:
        raise UserError("eval testset needs --out FILE.jsonl")
    problems = []
    docs = list(load(Path(args.systems), problems))  # a missing path raises IngestError
    for p in problems:
        print(f"skipped {p}", file=sys.stderr)
    if not docs:
        raise UserError(f"no documents read from {args.systems}")
    teacher = role_endpoint(s, "teacher")
    items, meta = asyncio.run(ts.generate(docs, async_client(teacher), teacher.model,
                                          args.n or 50, args.holdout, args.seed,
                                          concurrency=s.curation.teacher_concurrency,
                                          passes=getattr(args, "passes", 3),
                                          lang=getattr(args, "lang", None),
                                          replay_only=getattr(args, "replay_only", False),
                                          journal=Path(args.out).with_suffix(".teacher.jsonl")))
    meta_path = ts.write(Path(args.out), items, meta)
    c = meta["counts"]
    print(f"{c['accepted']} items -> {args.out} ({c['rejected']} rejected: "
          f"{meta['reject_reasons']}; split and rejects in {meta_path}; "
          f"{meta['seconds_per_attempt']} s per teacher item)")
    return 0 if items else 1
