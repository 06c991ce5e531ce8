"""Latency by method and store size, p50 bars with p95 whiskers (log scale)."""

from __future__ import annotations

from pathlib import Path

METHODS = ["query_embedding", "bm25_bm25s", "bm25_rank_bm25", "vector", "hybrid", "llamaindex_fusion"]


def plot(report: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    sizes = sorted(report["sizes"], key=int)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(sizes)
    x = np.arange(len(METHODS))
    for j, size in enumerate(sizes):
        lat = report["sizes"][size]["latency"]
        p50 = [lat.get(m, {}).get("p50_ms", np.nan) for m in METHODS]
        p95 = [lat.get(m, {}).get("p95_ms", np.nan) for m in METHODS]
        err = [np.zeros(len(METHODS)), np.subtract(p95, p50)]
        bars = ax.bar(x + j * width, p50, width, yerr=err, capsize=3, label=f"{int(size):,} units")
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in p50], fontsize=7, padding=2)
    ax.set_yscale("log")
    ax.set_xticks(x + width * (len(sizes) - 1) / 2, [m.replace("_", "\n") for m in METHODS], fontsize=8)
    ax.set_ylabel("latency per question, ms (p50; whisker p95)")
    ax.set_title("smallbatch retrieval latency by method and store size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
