"""`smallbatch ingest PATH --kb NAME`: curate a file or folder into a snapshot and publish it."""

from __future__ import annotations

import sys
from pathlib import Path

from smallbatch.settings import Settings


def ingest(args, s: Settings) -> int:
    from ingest.load import source_files

    source = Path(args.path)
    source_files(source)  # a missing path is said here, before the embedder loads
    from ingest.pipeline import ingest as build

    result = build(source, s.kb, with_curation(args, s), publish=not args.no_publish)
    for p in result.problems:
        print(f"skipped {p}", file=sys.stderr)
    state = "published" if result.published else "built (not published)"
    print(f"{state} {result.snapshot} — {result.sources} sources, {result.units} units, "
          f"{len(result.problems)} problems")
    for step, reasons in result.drops.items():
        print(f"  {step}: " + ", ".join(f"{n} {r}" for r, n in reasons.items()))
    return 0


def with_curation(args, s: Settings) -> Settings:
    """The settings with the command line's profile, budget, scope, query log and engine."""
    c = s.curation
    c = c.raw() if args.profile == "raw" else c.curated() if args.profile == "curated" else c
    if args.budget_tokens:
        c = c.model_copy(update={"budget_tokens": args.budget_tokens})
    if args.scope:
        c = c.model_copy(update={"scope": args.scope})
    if args.query_log:
        c = c.model_copy(update={"query_log": Path(args.query_log)})
    return s.model_copy(update={"curation": c, "engine": args.engine or s.engine})
