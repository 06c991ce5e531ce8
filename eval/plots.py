"""The report's plots: accuracy by system, vs store size, vs model size; latency. Error bars are
the bootstrap 95 % confidence intervals of the summary."""

from __future__ import annotations

import re
from pathlib import Path


def _f1(e: dict) -> tuple[float, list[float]]:
    f1 = e["f1"] or 0.0
    lo, hi = e.get("f1_ci") or (f1, f1)
    return f1, [f1 - lo, hi - f1]


def params_billions(params: str | None) -> float | None:
    """"0.5B" -> 0.5, "70B" -> 70.0, "350M" -> 0.35; None when unknown."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([BbMm])\s*", params or "")
    if not m:
        return None
    return float(m[1]) if m[2] in "Bb" else float(m[1]) / 1000


def _f1_by_system(ax, summary: dict) -> None:
    names = list(summary)
    vals = [_f1(summary[n]) for n in names]
    ax.bar(names, [v for v, _ in vals], yerr=[[e[0] for _, e in vals], [e[1] for _, e in vals]],
           capsize=4, color=["tab:blue" if "small" in n else "tab:orange" for n in names])
    ax.set_ylabel("answer F1 (95% bootstrap CI)")
    ax.set_title("Accuracy by system")
    ax.tick_params(axis="x", rotation=20)


def _f1_vs_store_size(ax, summary: dict) -> None:
    for n in summary:
        f1, err = _f1(summary[n])
        ax.errorbar([summary[n]["store_tokens"] or 0], [f1], yerr=[[err[0]], [err[1]]],
                    fmt="o", capsize=4, label=n)
    ax.set_xlabel("store size (tokens; 0 = closed-book)")
    ax.set_ylabel("answer F1")
    ax.set_title("Accuracy vs store size")
    ax.legend(fontsize=8)


def _f1_vs_model_size(ax, summary: dict) -> None:
    for n in summary:
        size = params_billions(summary[n].get("params"))
        if size is None:
            continue
        f1, err = _f1(summary[n])
        ax.errorbar([size], [f1], yerr=[[err[0]], [err[1]]], capsize=4, label=n,
                    fmt="s" if summary[n]["closed_book"] else "o")
    sizes = sorted({params_billions(e.get("params")) for e in summary.values()} - {None})
    if sizes:
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{s:g}B" for s in sizes])
        ax.minorticks_off()
        ax.set_xlim(sizes[0] / 1.5, sizes[-1] * 1.5)
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no model sizes known (set params)", ha="center", transform=ax.transAxes)
    ax.set_xlabel("model parameters (billions, log; square = closed-book)")
    ax.set_ylabel("answer F1")
    ax.set_title("Accuracy vs model size")


def _latency(ax, summary: dict) -> None:
    names = list(summary)
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [summary[n]["latency_ttft_s"] or 0 for n in names], width=0.4,
           label="time to first token")
    ax.bar([x + 0.2 for x in xs], [summary[n]["latency_total_s"] or 0 for n in names], width=0.4,
           label="total")
    ax.set_xticks(list(xs), names, rotation=20)
    ax.set_ylabel("seconds (mean)")
    ax.set_title("Latency")
    ax.legend()


# (file, figure size, drawing function): the report shows them in this order
PLOTS = [("f1_by_system.png", (8, 4), _f1_by_system),
         ("f1_vs_store_size.png", (6, 4), _f1_vs_store_size),
         ("f1_vs_model_size.png", (6, 4), _f1_vs_model_size),
         ("latency.png", (8, 4), _latency)]


def draw(summary: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for name, size, plot in PLOTS:
        fig, ax = plt.subplots(figsize=size)
        plot(ax, summary)
        fig.tight_layout()
        paths.append(out / name)
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
