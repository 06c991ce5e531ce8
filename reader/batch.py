"""A knowledge base's reading batch, end to end up to training: candidate units -> teacher
questions -> curation -> serving-format examples, written as a versioned batch folder.

    <stores>/<kb>/reader/batches/<id>/  batch.jsonl  dev.jsonl  rejects.jsonl
                                        report.json  report.html  manifest.json

Dev questions come from other units than the batch's (held apart before any question is
written), pass the same checks but are never sampled into the batch; they are teacher-made,
never human evaluation questions.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.steps import Drops
from reader import curate as curation
from reader.generate import Example, ExampleBuilder, candidate_units, write_questions
from reader.guard import EvalGuard, load_questions
from reader.prompts import PROMPT_KEYS
from reader.report import write_report
from smallbatch.records import Doc
from smallbatch.snapshot import write_json, write_jsonl


@dataclass
class Batch:
    folder: Path
    examples: list[Example]
    dev: list[Example]
    sha256: str
    report: dict


def split_units(units: list[Doc], n: int, dev_n: int, cfg) -> tuple[list[Doc], list[Doc]]:
    """(train units, dev units): disjoint, seeded; about two questions per unit."""
    want = math.ceil(n * cfg.oversample / 2)
    pool = candidate_units(units, want + dev_n, cfg.min_unit_words, cfg.seed)
    return pool[dev_n:], pool[:dev_n]


def guard_for(cfg, extra: list[Path]) -> tuple[EvalGuard, dict]:
    files = [Path(p) for p in [*cfg.eval_questions, *extra]]
    questions = [q for f in files for q in load_questions(f)]
    return EvalGuard(questions, cfg.eval_jaccard), {"files": [str(f) for f in files],
                                                    "questions": len(questions)}


def curate_questions(roles, embedder, guard, train_units, dev_units, n, cfg, drops):
    teacher, judge = roles.role("teacher"), roles.role("judge")
    train_q = write_questions(teacher, train_units, drops)
    dev_q = write_questions(teacher, dev_units, drops)
    kept, counts = curation.curate(train_q, curation.steps(teacher, judge, embedder, guard, n,
                                                           cfg), drops)
    checks = [curation.Verbatim(), guard, curation.RoundTrip(teacher, judge, cfg.round_trip_f1)]
    dev_drops = Drops()  # dev rejects are not the batch's
    dev, _ = curation.curate(dev_q, checks, dev_drops)
    return kept, dev, counts


def batch_sha256(examples: list[Example]) -> str:
    raw = "\n".join(json.dumps(e.to_json(), sort_keys=True, ensure_ascii=False) for e in examples)
    return hashlib.sha256(raw.encode()).hexdigest()


def dev_examples(builder: ExampleBuilder, questions: list[Doc]) -> list[Example]:
    """The dev set: each question as a short answer with the gold shown (dev F1 measures
    reading), then again with the gold unit taken away and the abstention as target (id
    ``<id>#none``; left out where another unit holds the answer), so a reader that declines
    what it was shown, or answers what it was not, shows on dev."""
    def made(abstain: float) -> list[Example]:
        return ExampleBuilder(builder.search, builder.units, builder.top_k, builder.count,
                              builder.max_tokens, abstain, 0.0, builder.seed + 1,
                              builder.context_words).build(questions, Drops())

    return made(0.0) + [replace(e, id=f"{e.id}#none") for e in made(1.0) if e.abstain]


def write_batch(folder: Path, examples, dev, drops: Drops, report: dict) -> Batch:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "batch.jsonl", [e.to_json() for e in examples])
    write_jsonl(folder / "dev.jsonl", [e.to_json() for e in dev])
    write_jsonl(folder / "rejects.jsonl", drops.rejects)
    sha = batch_sha256(examples)
    report = {**report, "batch": folder.name, "sha256": sha, "size": len(examples),
              "dev_size": len(dev), "drops": drops.summary(), "prompts": PROMPT_KEYS,
              "samples": [{"style": e.style, "question": e.question, "target": e.target}
                          for e in examples[:20]]}
    write_report(folder, report)
    write_json(folder / "manifest.json", {k: v for k, v in report.items() if k != "samples"})
    return Batch(folder, examples, dev, sha, report)


def read_examples(path: Path) -> list[Example]:
    with Path(path).open(encoding="utf-8") as f:
        return [Example(**json.loads(line)) for line in f if line.strip()]


def joined(examples: list, batches: list[Path], guard, drops: Drops) -> tuple[list, list]:
    """``examples`` plus those of earlier batch folders (e.g. a general reading batch written
    from other articles), each checked again against this build's evaluation guard and never
    twice the same question; and what was taken from where."""
    seen = {e.question for e in examples}
    out, taken = list(examples), []
    for folder in batches:
        path = Path(folder) / "batch.jsonl"
        if not path.exists():
            raise ValueError(f"{path}: no such batch (give a reader batch folder)")
        kept = 0
        for e in read_examples(path):
            hit = guard.match(e.question)
            if hit is not None:
                drops.add("with_batch", Doc(e.id, e.question, {"source_path": str(path)}),
                          hit[0], evaluation_question=hit[1], similarity=hit[2])
            elif e.question not in seen:
                seen.add(e.question)
                out.append(e)
                kept += 1
        taken.append({"batch": str(folder), "examples": kept})
    return out, taken
