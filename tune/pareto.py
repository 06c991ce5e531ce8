"""The Pareto front of (store tokens, F1) and the smallest store within a tolerance of the best.

A point is on the front when no other point has at most its tokens and at least its F1 with one
of the two strictly better. The choice: the fewest tokens among the points whose F1 is within
``tolerance`` of the best F1 (ties: the higher F1, then the earlier point). That point is always
on the front: a point dominating it would be within the tolerance too and smaller or better.
Points without an F1 (not evaluated) take part in neither.
"""

from __future__ import annotations


def _scored(points: list[dict]) -> list[int]:
    return [i for i, p in enumerate(points) if p.get("f1") is not None]


def front(points: list[dict]) -> list[int]:
    """Indices of the points on the front, fewest tokens first."""
    scored = _scored(points)

    def dominated(i: int) -> bool:
        a = points[i]
        return any(b["store_tokens"] <= a["store_tokens"] and b["f1"] >= a["f1"]
                   and (b["store_tokens"] < a["store_tokens"] or b["f1"] > a["f1"])
                   for b in (points[j] for j in scored if j != i))

    return sorted((i for i in scored if not dominated(i)),
                  key=lambda i: (points[i]["store_tokens"], -points[i]["f1"], i))


def choose(points: list[dict], tolerance: float) -> int:
    """Index of the smallest store whose F1 is at least the best F1 minus ``tolerance``."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    scored = _scored(points)
    if not scored:
        raise ValueError("no evaluated point to choose from")
    best = max(points[i]["f1"] for i in scored)
    near = [i for i in scored if points[i]["f1"] >= best - tolerance - 1e-12]
    return min(near, key=lambda i: (points[i]["store_tokens"], -points[i]["f1"], i))
