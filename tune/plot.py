"""Dev F1 against store size: every candidate, the Pareto front, the tolerance line, the choice."""

from __future__ import annotations

from pathlib import Path


def draw(points: list[dict], front: list[int], chosen: int, tolerance: float, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = [p for p in points if p.get("f1") is not None]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter([p["store_tokens"] for p in scored], [p["f1"] for p in scored], color="tab:gray",
               label="candidate", zorder=2)
    ax.plot([points[i]["store_tokens"] for i in front], [points[i]["f1"] for i in front], "-o",
            color="tab:blue", label="Pareto front", zorder=3)
    best = max(p["f1"] for p in scored)
    ax.axhline(best - tolerance, ls=":", color="tab:red", label=f"best F1 - {tolerance:g}")
    c = points[chosen]
    ax.scatter([c["store_tokens"]], [c["f1"]], marker="*", s=260, color="tab:red", zorder=4,
               label=f"chosen: {c['name']}")
    ax.set_xlabel("store size (unit tokens)")
    ax.set_ylabel("dev answer F1")
    ax.set_title("Accuracy vs store size (tuning sweep)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
