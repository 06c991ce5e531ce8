"""Evaluate every candidate cut on the dev questions with the eval harness.

Each candidate is written as a snapshot folder in the work directory (never published) and
answered by the small model exactly as ``smallbatch eval run`` answers: the short answer style,
the settings' ``top_k``, SQuAD F1 and recall@5 (eval/run_systems.py). Records land in the work
directory's ``records.jsonl``. A candidate that keeps no unit is recorded as skipped; one that
keeps exactly the units of an earlier one takes its scores (``same_as``) instead of being asked
again. A failed answer stops the sweep: a choice on partly answered candidates is no choice.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
from tqdm import tqdm

from eval.run_systems import RECORDS, run_system
from eval.systems import System
from smallbatch.llm import Endpoint
from smallbatch.settings import Settings
from smallbatch.snapshot import write_snapshot
from tune.candidates import Candidate
from tune.errors import TuneError
from tune.full_store import FullStore
from tune.select import STEP, select

STYLE = "short"  # eval's answer style for SQuAD-style EM/F1
SCORES = ("f1", "recall_at_5", "n", "f1_n", "recall_at_5_n")


def check_model(ep: Endpoint, timeout_s: float = 5.0) -> None:
    """Fail fast when the answering model is not served, before any store is written."""
    hint = ("start it with `smallbatch models serve small`, or point SMALLBATCH_SMALL__BASE_URL "
            "at an OpenAI-compatible server")
    try:
        resp = httpx.get(f"{ep.base_url}/models", timeout=timeout_s,
                         headers={"Authorization": f"Bearer {ep.api_key}"})
    except httpx.HTTPError as e:
        raise TuneError(f"the small model does not answer at {ep.base_url} "
                        f"({type(e).__name__}: {e}); {hint}") from None
    if resp.status_code != 200:
        raise TuneError(f"the small model's server at {ep.base_url} answered HTTP "
                        f"{resp.status_code} to GET /models; {hint}")
    served = [m.get("id") for m in resp.json().get("data", [])]
    if ep.model not in served:
        raise TuneError(f"{ep.base_url} serves {served}, not {ep.model!r}; set "
                        f"SMALLBATCH_SMALL__MODEL")


def scores(records: Path, name: str) -> dict:
    """Mean F1 and recall@5 of one candidate's records (errors stop the sweep)."""
    rows = [r for r in map(json.loads, records.read_text().splitlines()) if r["system"] == name]
    errors = [r for r in rows if "error" in r]
    if errors:
        raise TuneError(f"candidate {name!r}: {len(errors)} of {len(rows)} dev questions failed "
                        f"(first: {errors[0]['error']}); records in {records}")
    out: dict = {"n": len(rows)}
    for m in ("f1", "recall_at_5"):
        vals = [r[m] for r in rows if m in r]
        out[m] = round(sum(vals) / len(vals), 4) if vals else None
        out[f"{m}_n"] = len(vals)
    return out


def write_candidate(folder: Path, full: FullStore, kept: list[int], c: Candidate,
                    point: dict) -> Path:
    """One cut as an (unpublished) snapshot folder in the work directory, for eval to answer
    over; embedded vectors, no rejects (its drops are in the sweep)."""
    folder.mkdir(parents=True, exist_ok=True)
    units, vectors = full.cut(kept)
    write_snapshot(folder, units, vectors, {
        "id": folder.name, "kb": full.manifest.get("kb"), "tuning_candidate": c.name,
        "embedder": full.manifest.get("embedder", {}), "vectors": None,  # filled by the writer
        "counts": {"units": point["units"], "unit_tokens": point["store_tokens"]}}, [])
    return folder


def sweep(full: FullStore, candidates: list[Candidate], questions, settings: Settings,
          ep: Endpoint, work: Path, concurrency: int = 2) -> list[dict]:
    """One point per candidate, in candidate order: its settings, size, drops and scores."""
    full_tokens = sum(full.tokens)
    points: list[dict] = []
    done: dict[tuple[int, ...], dict] = {}  # kept units -> the point that evaluated them
    bar = tqdm(total=len(candidates), desc="tune", unit="candidate", file=sys.stderr)
    for n, c in enumerate(candidates):
        t = time.perf_counter()
        kept, drops = select(full.units, full.tokens, c, full_tokens)
        point = {"name": c.name, "settings": c.to_json(full_tokens), "units": len(kept),
                 "store_tokens": sum(full.tokens[i] for i in kept),
                 "dropped": drops.summary().get(STEP, {})}
        if not kept:
            point["skipped"] = "no unit left"
        elif tuple(kept) in done:
            first = done[tuple(kept)]
            point.update({k: first[k] for k in SCORES}, same_as=first["name"])
        else:
            folder = write_candidate(work / "candidates" / f"{n:02d}", full, kept, c, point)
            system = System(c.name, ep, ep.model, folder)
            asyncio.run(run_system(system, questions, settings, work, concurrency, STYLE))
            point.update(scores(work / RECORDS, c.name), eval_s=round(time.perf_counter() - t, 1))
            done[tuple(kept)] = point
        points.append(point)
        bar.set_postfix_str(f"{c.name}: F1 {point.get('f1')}")
        bar.update(1)
    bar.close()
    return points
