"""Publish the chosen cut as a new snapshot, with the whole sweep in its manifest and report.

The snapshot is built like any other (``building/`` then one rename, then the ``current`` swap,
smallbatch/store.py), so a crash leaves the previous snapshot current; its files are written by
``smallbatch.snapshot.write_snapshot``, the manifest last. The manifest is the full store's
with the cut's counts, vectors and drops, and a ``tuning`` block; its rejects are the full
store's followed by the cut's; its report gets the
cut's sizes, the same block, and the accuracy-vs-size plot (``tuning.png``, shown in
``report.html``). Topic coverage and divergence need the source passages, which only the ingest
has: the tuned report leaves them empty and names the full store's report instead.
"""

from __future__ import annotations

import html
import json
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ingest.store_report import write_html
from ingest.steps import Drops
from smallbatch.gitinfo import git_commit
from smallbatch.snapshot import REJECTS_FILE, REPORT_FILE, REPORT_HTML, write_json, write_snapshot
from smallbatch.store import KnowledgeBase
from tune.full_store import FullStore
from tune.select import STEP

PLOT = "tuning.png"


def tuned_report(full_report: dict, full: FullStore, kept: list[int], dropped: dict,
                 tuning: dict) -> dict:
    units = [full.units[i] for i in kept]
    tokens = [full.tokens[i] for i in kept]
    size = {"units": len(units), "tokens": sum(tokens),
            "bytes": sum(len(u.text.encode()) for u in units),
            "by_kind": dict(Counter(u.metadata.get("kind", "passage") for u in units))}
    raw = full_report.get("raw", {})
    flag = full_report.get("flag", {})
    sources = {u.metadata.get("source_id") for u in units}
    return {**full_report, "store": size,
            "compression": {k: round(size[k] / raw[k], 4) if raw.get(k) else None
                            for k in ("tokens", "bytes")},
            "drops": {**full_report.get("drops", {}), STEP: dropped},
            "flag": {**flag, "coverage": None, "js_divergence": None, "granularity": {
                "units_per_source_mean": round(len(units) / max(1, len(sources)), 2),
                "unit_tokens_mean": round(sum(tokens) / max(1, len(units)), 1),
                "unit_tokens_p50": round(float(np.percentile(tokens, 50)), 1),
                "unit_tokens_p95": round(float(np.percentile(tokens, 95)), 1)}},
            "topics": {"k": 0, "see": f"the full store's report ({full.id})"},
            "tuning": tuning}


def tuning_html(tuning: dict) -> str:
    """The sweep as an HTML section: the plot, then one row per point."""
    head = ["candidate", "units", "tokens", "F1", "recall@5", "front", "chosen"]
    rows = []
    for p in tuning["points"]:
        cells = [p["name"], p["units"], p["store_tokens"], p.get("f1", "-"),
                 p.get("recall_at_5", "-"), "yes" if p.get("front") else "",
                 "yes" if p["name"] == tuning["chosen"] else ""]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    dev = tuning["dev"]
    return "\n".join([
        "<h2>Tuning</h2>",
        f"<p>Chosen <b>{html.escape(tuning['chosen'])}</b>: the smallest store within "
        f"{tuning['tolerance']:g} F1 of the best on {dev['questions']} dev questions "
        f"({html.escape(dev['path'])}, sha256 {dev['sha256'][:12]}), cut from "
        f"{html.escape(tuning['from'])}.</p>",
        f'<img alt="dev F1 vs store size" src="{PLOT}">',
        "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>", *rows, "</table>"])


def write_report(build: Path, kb_name: str, full: FullStore, kept: list[int], dropped: dict,
                 tuning: dict, plot: Path) -> dict:
    """report.json, report.html (the full store's report, re-cut, then the sweep) and the plot
    into ``build``; returns the report."""
    full_report = full.path / REPORT_FILE
    report = tuned_report(json.loads(full_report.read_text()) if full_report.exists() else {},
                          full, kept, dropped, tuning)
    shutil.copyfile(plot, build / PLOT)
    write_json(build / REPORT_FILE, report)
    title = f"Store report: {kb_name} {build.name} (tuned)"
    if "raw" in report:
        write_html(report, build / REPORT_HTML, title)
    else:
        (build / REPORT_HTML).write_text(f"<!doctype html><meta charset=utf-8>"
                                         f"<h1>{html.escape(title)}</h1>", encoding="utf-8")
    with (build / REPORT_HTML).open("a", encoding="utf-8") as f:
        f.write("\n" + tuning_html(tuning) + "\n")
    return report


def tuned_manifest(full: FullStore, build: Path, parent: Path | None, report: dict,
                   kept: list[int], dropped: dict, tuning: dict, t0: float) -> dict:
    """The full store's manifest with the cut's id, counts, drops and report, and the sweep
    (``tuning``). ``vectors`` is filled in by ``write_snapshot``; ``publish_s`` counts the time
    until the manifest is assembled (the report, not the snapshot's files written after it)."""
    m = full.manifest
    return {
        **m, "id": build.name, "parent": parent.name if parent else None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": git_commit(), "steps": [*m.get("steps", []), STEP],
        "vectors": None,
        "report": {k: report[k] for k in ("raw", "store", "compression", "flag") if k in report},
        "counts": {**m.get("counts", {}), "units": len(kept),
                   "unit_tokens": sum(full.tokens[i] for i in kept)},
        "drops": {**m.get("drops", {}), STEP: dropped},
        "timings": {"tune_total_s": tuning["timings"]["total_s"],
                    "publish_s": round(time.perf_counter() - t0, 3)},
        "tuning": tuning,
    }


def full_rejects(path: Path) -> list[dict]:
    """The full store's rejects, which the tuned snapshot keeps ahead of its own."""
    file = path / REJECTS_FILE
    if not file.exists():
        return []
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def publish(kb: KnowledgeBase, full: FullStore, kept: list[int], drops: Drops, tuning: dict,
            plot: Path, chroma_url: str = "") -> Path:
    """Build, finish and publish the tuned snapshot; returns its folder."""
    t0 = time.perf_counter()
    parent = kb.current()
    build = kb.new_build()
    dropped = drops.summary().get(STEP, {})
    report = write_report(build, kb.name, full, kept, dropped, tuning, plot)
    manifest = tuned_manifest(full, build, parent, report, kept, dropped, tuning, t0)
    units, vectors = full.cut(kept)
    write_snapshot(build, units, vectors, manifest, [*full_rejects(full.path), *drops.rejects],
                   chroma_url=chroma_url, kb=kb.name)
    snapshot = kb.finish_build(build)
    kb.publish(snapshot.name)
    return snapshot
