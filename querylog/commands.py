"""`smallbatch gaps KB`: topics users ask about that the store covers poorly, with source
passages that could fill them. querylog sits below ingest, so the CLI hands in ingest's loader."""

from __future__ import annotations

import json
from pathlib import Path

from querylog import gaps as gap_report
from querylog.gaps import Load
from smallbatch.errors import UserError
from smallbatch.settings import Settings


def gaps(args, s: Settings, load: Load) -> int:
    log = Path(args.log) if args.log else s.query_log_path(s.kb)
    try:
        report = gap_report.report(s.stores, s.kb, log, args.sources and Path(args.sources),
                                   args.top, args.threshold, s.embedder, load)
    except FileNotFoundError as e:  # no published snapshot, no query log, no such sources
        raise UserError(str(e)) from e
    print(json.dumps(report, indent=1, ensure_ascii=False) if args.json
          else gap_report.render(report))
    return 0
