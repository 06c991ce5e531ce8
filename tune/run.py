"""`smallbatch tune`: cut the full curated store every way the grid says, answer the dev
questions over each cut, and publish the smallest cut within a tolerance of the best F1.

    dev questions -> full store (checked) -> model check -> candidates (grid) -> sweep (eval)
        -> Pareto front -> choice -> plot -> publish (or --dry-run: the sweep only)

The work directory ``<stores>/<kb>/tuning/<run id>/`` keeps the answers (``records.jsonl``), the
sweep (``sweep.json``) and the plot; the candidate snapshots are deleted once chosen from.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.questions import Question, load_questions, sample
from smallbatch.llm import endpoint
from smallbatch.settings import Settings, TuneSettings
from smallbatch.snapshot import write_json
from smallbatch.store import KnowledgeBase, new_snapshot_id
from tune import pareto, plot
from tune.candidates import Grid
from tune.errors import TuneError
from tune.full_store import load_full_store, read_full_store, source_snapshot
from tune.publish import PLOT, publish
from tune.select import select
from tune.sweep import STYLE, check_model, sweep

__all__ = ["TuneError", "TuneResult", "grid_of", "dev_questions", "tune", "table"]


@dataclass
class TuneResult:
    points: list[dict]
    front: list[int]
    chosen: int
    tuning: dict
    work: Path
    snapshot: Path | None  # the published snapshot; None on a dry run


def grid_of(cfg: TuneSettings, toml: Path | None = None, **axes) -> Grid:
    """The settings' grid, then a TOML file's axes, then the given axes (None = not given)."""
    try:
        grid = Grid(tuple(cfg.budgets), tuple(cfg.min_scores), tuple(cfg.weights),
                    tuple(cfg.kinds))
        if toml is not None:
            grid = Grid.from_toml(toml, grid)
        return grid.replace(**axes)
    except (ValueError, OSError) as e:
        raise TuneError(str(e)) from None


def dev_questions(path: Path, source_field: str = "source_ids", n: int | None = None,
                  seed: int = 13) -> list[Question]:
    if not Path(path).is_file():
        raise TuneError(f"dev questions: no file {path}")
    questions = sample(load_questions(path, source_field), n, seed)
    if not questions:
        raise TuneError(f"dev questions: {path} holds no question")
    if not any(q.answerable and q.answers for q in questions):
        raise TuneError(f"dev questions: none of the {len(questions)} in {path} has a gold "
                        f"answer, so F1 cannot be measured")
    return questions


def tune(settings: Settings, kb_name: str, dev: Path, grid: Grid, tolerance: float,
         dry_run: bool = False, snapshot_id: str | None = None, n: int | None = None,
         source_field: str = "source_ids", concurrency: int = 2) -> TuneResult:
    t0 = time.perf_counter()
    if tolerance < 0:
        raise TuneError(f"tolerance must be >= 0, got {tolerance}")
    questions = dev_questions(dev, source_field, n)
    kb = KnowledgeBase(settings.stores, kb_name)
    path = source_snapshot(kb, snapshot_id)
    manifest, units = read_full_store(path)
    try:
        candidates = grid.candidates({u.metadata.get("kind", "passage") for u in units})
    except ValueError as e:
        raise TuneError(str(e)) from None
    ep = endpoint(settings, "small")
    check_model(ep)
    full = load_full_store(path, manifest, units, settings.chroma_url, settings.embedder)

    work = kb.dir / "tuning" / new_snapshot_id()
    work.mkdir(parents=True)
    try:
        points = sweep(full, candidates, questions, settings, ep, work, concurrency)
    finally:  # the cuts were only for answering; the chosen one is rebuilt to be published
        shutil.rmtree(work / "candidates", ignore_errors=True)
    if all(p.get("f1") is None for p in points):
        raise TuneError(f"no candidate kept any unit (every cut was empty); see {work}")
    front = pareto.front(points)
    chosen = pareto.choose(points, tolerance)
    for i, p in enumerate(points):
        p["front"] = i in front
    plot.draw(points, front, chosen, tolerance, work / PLOT)
    tuning = {
        "from": full.id, "full_store": {"units": len(full.units), "tokens": sum(full.tokens)},
        "dev": {"path": str(dev), "sha256": hashlib.sha256(Path(dev).read_bytes()).hexdigest(),
                "questions": len(questions), "n": n, "source_field": source_field},
        "tolerance": tolerance, "grid": asdict(grid),
        "model": {"base_url": ep.base_url, "model": ep.model}, "style": STYLE,
        "retrieval": settings.retrieval.model_dump(),
        "answer_max_tokens": settings.answer_max_tokens,
        "points": points, "front": [points[i]["name"] for i in front],
        "chosen": points[chosen]["name"], "plot": PLOT, "work": str(work),
        "timings": {"total_s": round(time.perf_counter() - t0, 1)},
    }
    write_json(work / "sweep.json", tuning)
    snapshot = None
    if not dry_run:
        kept, drops = select(full.units, full.tokens, candidates[chosen], sum(full.tokens))
        snapshot = publish(kb, full, kept, drops, tuning, work / PLOT, settings.chroma_url)
    return TuneResult(points, front, chosen, tuning, work, snapshot)


def table(result: TuneResult) -> str:
    """The sweep as a text table, fewest tokens first; ``*`` front, ``>`` chosen."""
    lines = [f"  {'candidate':34} {'units':>6} {'tokens':>7} {'F1':>6} {'R@5':>6}"]
    order = sorted(range(len(result.points)),
                   key=lambda i: (result.points[i]["store_tokens"], result.points[i]["name"]))
    for i in order:
        p = result.points[i]
        mark = ">" if i == result.chosen else "*" if p.get("front") else " "
        f1 = f"{p['f1']:.3f}" if p.get("f1") is not None else p.get("skipped", "-")
        r5 = f"{p['recall_at_5']:.3f}" if p.get("recall_at_5") is not None else "-"
        lines.append(f"{mark} {p['name']:34} {p['units']:>6} {p['store_tokens']:>7} {f1:>6} "
                     f"{r5:>6}")
    return "\n".join(lines)
