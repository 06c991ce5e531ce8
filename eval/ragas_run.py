"""The ragas pass: judge a subset of the answers (and the calibration samples), resumably, with
the wrapper of ``eval/ragas_judge.py``.

Every (system, question, metric, judge model) verdict is appended to ``ragas.jsonl`` as it
finishes, so an interrupted or extended run judges only what is missing (and what failed for a
server reason: connection, timeout, HTTP 5xx — the latest verdict counts). A verdict is ``scored``
(a value), ``failed`` (the judge errored or gave NaN: reason counted) or ``skipped`` (the metric
does not apply, e.g. faithfulness of an abstention: reason counted).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from eval import calibration
from eval.questions import Question
from eval.ragas_judge import NEEDS_CONTEXT, RagasJudge, Sample, Verdict, applicable
from eval.scoring import bootstrap_ci
from rag.citations import strip_markers
from smallbatch.llm import Endpoint

RAGAS = "ragas.jsonl"


def load(path: Path) -> list[dict]:
    """The latest verdict per (system, question, metric, judge)."""
    if not path.exists():
        return []
    latest = {}
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            latest[(r["system"], r["qid"], r["metric"], r["judge"])] = r
    return list(latest.values())


def transient(row: dict) -> bool:
    """A failure of the judge's server rather than of its output: asked again on resume."""
    reason = row.get("reason") or ""
    return row["status"] == "failed" and (
        reason in ("connection error", "timeout") or reason.startswith("HTTP 5"))


def subset(records: list[dict], questions: list[Question], n: int) -> list[dict]:
    """The records of the first ``n`` answerable questions (in sample order), for every system
    that answered them without error."""
    qids = [q.id for q in questions if q.answerable][:n]
    by = {(r["system"], r["qid"]): r for r in records if "error" not in r}
    systems = list(dict.fromkeys(r["system"] for r in records))
    return [by[(s, q)] for s in systems for q in qids if (s, q) in by]


def to_sample(rec: dict) -> tuple[Sample, str | None]:
    """The ragas sample of a record, and why context metrics cannot run on it (if so)."""
    answer = "" if rec.get("abstained") else strip_markers(rec.get("answer", ""))
    missing = None
    if rec.get("context") and "context_text" not in rec:
        missing = "record has no context text (answered by an older runner)"
    gold = rec.get("gold") or [""]
    return Sample(rec["question"], answer, list(rec.get("context_text", [])), gold[0]), missing


def _row(system: str, qid: str, metric: str, judge: str, v: Verdict, status: str) -> dict:
    return {"system": system, "qid": qid, "metric": metric, "judge": judge, "status": status,
            "value": v.value, "reason": v.reason, "detail": v.detail,
            "seconds": round(v.seconds, 3)}


def _jobs(records: list[dict], questions: list[Question], metrics: list[str], n: int,
          pairs: int) -> list[tuple]:
    """(system, qid, metric, sample, skip reason) for the calibration samples, then the subset."""
    jobs = []
    for qid, s in calibration.samples(pairs).items():
        jobs += [(calibration.SYSTEM, qid, m, s, None) for m in metrics]
    for rec in subset(records, questions, n):
        s, missing = to_sample(rec)
        for m in metrics:
            why = applicable(m, s, bool(rec.get("abstained")))
            if why is None and missing and m in NEEDS_CONTEXT:
                why = missing
            jobs.append((rec["system"], rec["qid"], m, s, why))
    return jobs


async def judge_run(records: list[dict], questions: list[Question], out: Path, ep: Endpoint,
                    metrics: list[str], n: int, pairs: int = 1, concurrency: int = 2,
                    embedder: str = "all-MiniLM-L6-v2",
                    judge: RagasJudge | None = None) -> Path:
    path = out / RAGAS
    done = {(r["system"], r["qid"], r["metric"], r["judge"]) for r in load(path)
            if not transient(r)}
    jobs = [j for j in _jobs(records, questions, metrics, n, pairs)
            if (j[0], j[1], j[2], ep.model) not in done]
    if not jobs:
        return path
    judge = judge or RagasJudge(ep, metrics, embedder)
    sem = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(jobs), desc=f"ragas ({ep.model})", unit="verdict", file=sys.stderr)

    async def one(system, qid, metric, sample, why):
        if why:
            row = _row(system, qid, metric, ep.model, Verdict(None, why), "skipped")
        else:
            async with sem:
                v = await judge.score(metric, sample)
            row = _row(system, qid, metric, ep.model, v, "scored" if v.reason is None else "failed")
        with path.open("a") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        bar.update(1)

    try:
        await asyncio.gather(*(one(*j) for j in jobs))
    finally:
        bar.close()
    return path


def summarise(path: Path, judge_model: str | None = None) -> dict:
    """Per system and metric: mean with bootstrap CI over scored verdicts only, the failures and
    skips counted by reason, and mean judge seconds per sample; plus the calibration check."""
    rows = [r for r in load(path) if judge_model is None or r["judge"] == judge_model]
    per: dict[str, dict[str, dict]] = {}
    for r in rows:
        cell = per.setdefault(r["system"], {}).setdefault(r["metric"], {
            "values": [], "failures": Counter(), "skipped": Counter(), "seconds": []})
        if r["status"] == "scored":
            cell["values"].append(r["value"])
        elif r["status"] == "failed":
            cell["failures"][r["reason"]] += 1
        else:
            cell["skipped"][r["reason"]] += 1
        if r["status"] != "skipped":
            cell["seconds"].append(r["seconds"])
    cal = per.pop(calibration.SYSTEM, {})
    table, warnings = calibration.check(
        {m: {r["qid"]: r["value"] for r in rows if r["system"] == calibration.SYSTEM
             and r["metric"] == m} for m in cal})
    out = {}
    for system, metrics in per.items():
        out[system] = {}
        for m, c in metrics.items():
            entry = {"score": None, "ci": None, "n": len(c["values"]),
                     "failed": sum(c["failures"].values()), "failures": dict(c["failures"]),
                     "skipped": dict(c["skipped"]),
                     "seconds_per_sample": (round(sum(c["seconds"]) / len(c["seconds"]), 2)
                                            if c["seconds"] else None)}
            if c["values"]:
                mean, lo, hi = bootstrap_ci(c["values"])
                entry.update(score=round(mean, 4), ci=[round(lo, 4), round(hi, 4)])
            out[system][m] = entry
    judges = sorted({r["judge"] for r in rows})
    return {"judge": judges, "systems": out, "calibration": table, "warnings": warnings}
