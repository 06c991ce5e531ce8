"""Ingest errors a curator can act on, and the account of a run that left nothing to ingest.

When every record is gone, "nothing to ingest" alone leaves the curator guessing: the files may
not have loaded at all, or loaded and then been dropped by a step (empty after cleaning, low
quality, off scope). ``nothing_left`` says, file by file, which of the two happened and why.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from smallbatch.errors import UserError

if TYPE_CHECKING:
    from ingest.load import Problem

SHOWN_FILES = 20  # files listed in the message; the rest are counted
FORMATS = "md, txt, html, pdf (with a text layer), jsonl or SQuAD json"


class IngestError(UserError):
    """A source path that does not exist, a run that left nothing to ingest, a missing input."""


def file_of(path: str, files: list[str]) -> str:
    """The file a record or problem path belongs to: ``a.jsonl:3`` (a line) and ``b.json#T/0``
    (a SQuAD paragraph) belong to ``a.jsonl`` and ``b.json``."""
    owners = [f for f in files if path == f or path.startswith((f + ":", f + "#"))]
    return max(owners, key=len) if owners else path


def _what_happened(file: str, problems: list[Problem], drops: Counter) -> str:
    said = []
    for p in problems:
        where = p.path[len(file) + 1:] if p.path != file else ""
        said.append(f"line {where}: {p.reason}" if where.isdigit() else p.reason)
    for (step, reason), n in drops.items():
        said.append(f"{step} dropped {n} record{'s' * (n != 1)} ({reason})")
    return "; ".join(said) or "no record left (no reason recorded)"


def nothing_left(source: Path, files: list[str], problems: list[Problem],
                 rejects: list[dict]) -> IngestError:
    """The error for a run whose every record was dropped: what happened to each file (load
    problems with their reasons, records dropped by a step with the step and reason), and what
    to do about it."""
    if not files:
        return IngestError(f"{source}: no files to ingest; give a file or folder of documents "
                           f"({FORMATS})")
    by_file: dict[str, tuple[list[Problem], Counter]] = {f: ([], Counter()) for f in files}
    for p in problems:
        by_file.setdefault(file_of(p.path, files), ([], Counter()))[0].append(p)
    for r in rejects:
        path = str(r.get("source_path") or r.get("id"))
        by_file.setdefault(file_of(path, files), ([], Counter()))[1][(r["step"], r["reason"])] += 1
    lines = [f"nothing left to ingest from {source} ({len(files)} "
             f"file{'s' * (len(files) != 1)}):"]
    for file, (probs, drops) in list(by_file.items())[:SHOWN_FILES]:
        lines.append(f"  {file}: {_what_happened(file, probs, drops)}")
    if len(by_file) > SHOWN_FILES:
        lines.append(f"  … and {len(by_file) - SHOWN_FILES} more files")
    lines.append(f"Fix or replace the files that could not be read (formats: {FORMATS}); for "
                 "records a step dropped, check they hold the text you expect, or turn that step "
                 "off in the curation settings (--profile raw keeps every chunk).")
    return IngestError("\n".join(lines))
