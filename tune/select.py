"""Which units of the full store a candidate keeps: no model call, only the units' metadata.

A unit stays when its kind is in the candidate's kinds and its quality score reaches
``min_score``; of those, the budget keeps a prefix in ``coverage_rank`` order (the order the
ingest's coverage sampling gave every unit), stopping at the first unit that no longer fits, so
a smaller budget keeps a prefix of what a larger one keeps. Every unit left out is counted with
its reason, as the ingest steps count theirs.
"""

from __future__ import annotations

from ingest.quality import combine
from ingest.steps import Drops
from smallbatch.records import Doc
from smallbatch.snapshot import is_key
from tune.candidates import Candidate

STEP = "tune"


def unit_score(quality: dict, weights: tuple[float, float]) -> float | None:
    """The quality score under ``weights`` (heuristic, judge): their weighted mean over the
    views the unit has — the heuristic score recomputed from its stored views, the judge's
    ``judge_score``. A unit with only the view weighted 0 (the judge failed on it, say) is
    scored by that view, as the ingest kept it on heuristics. None: the unit has no view."""
    scores = []
    if quality.get("views"):
        scores.append((combine(quality["views"]), weights[0]))
    if quality.get("judge_score") is not None:
        scores.append((float(quality["judge_score"]), weights[1]))
    if not scores:
        return None
    total = sum(w for _, w in scores)
    if total == 0:
        return sum(s for s, _ in scores) / len(scores)
    return sum(s * w for s, w in scores) / total


def select(units: list[Doc], tokens: list[int], c: Candidate,
           full_tokens: int) -> tuple[list[int], Drops]:
    """Indices of the kept units (in store order) and the ledger of the rest."""
    drops = Drops()
    passed = []
    for i, u in enumerate(units):
        kind = u.metadata.get("kind", "passage")
        if kind not in c.kinds:
            drops.add(STEP, u, f"kind {kind} left out")
            continue
        if c.min_score > 0:
            score = unit_score(u.metadata.get("quality") or {}, c.weights)
            if score is None:
                drops.add(STEP, u, "no quality score")
                continue
            if score < c.min_score:
                drops.add(STEP, u, "below min score", score=round(score, 4))
                continue
        passed.append(i)
    limit, spent, full = c.budget_tokens(full_tokens), 0, False
    kept = []
    for i in sorted(passed, key=lambda i: units[i].metadata["coverage_rank"]):
        full = full or spent + tokens[i] > limit
        if full:
            drops.add(STEP, units[i], "over budget", rank=units[i].metadata["coverage_rank"])
        else:
            spent += tokens[i]
            kept.append(i)
    return sorted(_without_orphan_keys(units, kept, drops)), drops


def _without_orphan_keys(units: list[Doc], kept: list[int], drops: Drops) -> list[int]:
    """A key (it costs no budget) stays only with the passage it points at."""
    ids = {units[i].id for i in kept}
    out = []
    for i in kept:
        parent = units[i].metadata.get("parent")
        if is_key(units[i]) and parent not in ids:
            drops.add(STEP, units[i], "its passage left out")
        else:
            out.append(i)
    return out
