"""Summarise records into a table (markdown + JSON) and an HTML report with plots."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from eval.metrics import bootstrap_ci
from eval.systems import System
from smallbatch.gitinfo import git_commit

METRICS = ["em", "f1", "contains", "recall_at_5", "rr", "citation_correct"]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarise(records: list[dict], systems: list[System]) -> dict:
    out = {}
    for system in systems:
        rows = [r for r in records if r["system"] == system.name]
        ok = [r for r in rows if "error" not in r]
        entry = {"model": system.model_label, "closed_book": system.closed_book,
                 "snapshot": system.snapshot.name if system.snapshot else None,
                 "store_tokens": _store_tokens(system), "n": len(rows), "errors": len(rows) - len(ok)}
        for m in METRICS:
            vals = [r[m] for r in ok if m in r]
            entry[m] = _mean(vals)
            entry[f"{m}_n"] = len(vals)
            if m in ("em", "f1", "contains") and vals:
                _, lo, hi = bootstrap_ci(vals)
                entry[f"{m}_ci"] = [round(lo, 4), round(hi, 4)]
        entry["citation_accuracy"] = entry.pop("citation_correct")
        entry["abstention"] = _mean([float(r["abstained"]) for r in ok])
        entry["withdrawn"] = _mean([float(r.get("withdrawn", False)) for r in ok])
        entry["latency_total_s"] = _mean([r["total_s"] for r in ok if r.get("total_s")])
        entry["latency_ttft_s"] = _mean([r["ttft_s"] for r in ok if r.get("ttft_s")])
        entry["tokens_in"] = _mean([r["usage"].get("prompt_tokens", 0) for r in ok if r.get("usage")])
        entry["tokens_out"] = _mean([r["usage"].get("completion_tokens", 0) for r in ok if r.get("usage")])
        out[system.name] = entry
    return out


def paired(records: list[dict], systems: list[System], metric: str = "f1") -> list[dict]:
    """A minus B on the questions both answered (paired bootstrap CI of the mean difference)."""
    by = {x.name: {r["qid"]: r[metric] for r in records
                   if r["system"] == x.name and metric in r} for x in systems}
    out = []
    for i, a in enumerate(systems):
        for b in systems[i + 1:]:
            common = sorted(set(by[a.name]) & set(by[b.name]))
            if not common:
                continue
            diffs = [by[a.name][q] - by[b.name][q] for q in common]
            mean, lo, hi = bootstrap_ci(diffs)
            out.append({"a": a.name, "b": b.name, "metric": metric, "n": len(common),
                        "diff": round(mean, 4), "ci": [round(lo, 4), round(hi, 4)]})
    return out


def _store_tokens(system: System) -> int | None:
    if system.snapshot is None:
        return None
    manifest = json.loads((system.snapshot / "manifest.json").read_text())
    return manifest.get("counts", {}).get("unit_tokens")


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _cells(line: str, tag: str) -> str:
    return "".join(f"<{tag}>{c.strip()}</{tag}>" for c in line.strip("|").split("|"))


def markdown(summary: dict) -> str:
    head = ("| system | model | store tokens | n | EM | F1 (95% CI) | contains | recall@5 | "
            "citation acc. | abstention | TTFT s | total s | errors |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, e in summary.items():
        ci = e.get("f1_ci")
        f1 = f"{_fmt(e['f1'])} ({ci[0]:.3f}–{ci[1]:.3f})" if ci else _fmt(e["f1"])
        lines.append(f"| {name} | {e['model']} | {_fmt(e['store_tokens'])} | {e['n']} | "
                     f"{_fmt(e['em'])} | {f1} | {_fmt(e['contains'])} | {_fmt(e['recall_at_5'])} | "
                     f"{_fmt(e['citation_accuracy'])} | {_fmt(e['abstention'])} | "
                     f"{_fmt(e['latency_ttft_s'])} | {_fmt(e['latency_total_s'])} | {e['errors']} |")
    return "\n".join(lines) + "\n"


def plots(summary: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summary)
    f1 = [summary[n]["f1"] or 0 for n in names]
    err = [[(summary[n]["f1"] or 0) - summary[n].get("f1_ci", [0, 0])[0] for n in names],
           [summary[n].get("f1_ci", [0, 0])[1] - (summary[n]["f1"] or 0) for n in names]]
    paths = []

    fig, ax = plt.subplots(figsize=(8, 4))
    colors = ["tab:blue" if "small" in n else "tab:orange" for n in names]
    ax.bar(names, f1, yerr=err, capsize=4, color=colors)
    ax.set_ylabel("answer F1 (95% bootstrap CI)")
    ax.set_title("Accuracy by system")
    ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    paths.append(out / "f1_by_system.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for n in names:
        e = summary[n]
        x = e["store_tokens"] or 0
        ax.errorbar([x], [e["f1"] or 0], yerr=[[(e["f1"] or 0) - e.get("f1_ci", [0, 0])[0]],
                                               [e.get("f1_ci", [0, 0])[1] - (e["f1"] or 0)]],
                    fmt="o", capsize=4, label=n)
    ax.set_xlabel("store size (tokens; 0 = closed-book)")
    ax.set_ylabel("answer F1")
    ax.set_title("Accuracy vs store size")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "f1_vs_store_size.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    ttft = [summary[n]["latency_ttft_s"] or 0 for n in names]
    total = [summary[n]["latency_total_s"] or 0 for n in names]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], ttft, width=0.4, label="time to first token")
    ax.bar([x + 0.2 for x in xs], total, width=0.4, label="total")
    ax.set_xticks(list(xs), names, rotation=20)
    ax.set_ylabel("seconds (mean)")
    ax.set_title("Latency")
    ax.legend()
    fig.tight_layout()
    paths.append(out / "latency.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def html(summary: dict, settings: dict, images: list[Path]) -> str:
    rows = markdown(summary).splitlines()
    table = "<tr>" + _cells(rows[0], "th") + "</tr>" + "".join(
        "<tr>" + _cells(r, "td") + "</tr>" for r in rows[2:])
    imgs = "".join(
        f'<img alt="{p.stem}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in images)
    return (f"<!doctype html><meta charset=utf-8><title>smallbatch eval</title>"
            f"<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
            f"td,th{{border:1px solid #ccc;padding:4px 8px}}img{{max-width:48%;margin:1em 0}}</style>"
            f"<h1>smallbatch evaluation</h1><table>{table}</table>{imgs}"
            f"<h2>Settings</h2><pre>{json.dumps(settings, indent=2)}</pre>")


def write_report(records_path: Path, systems: list[System], settings: dict) -> dict:
    out = records_path.parent
    records = [json.loads(l) for l in records_path.read_text().splitlines() if l.strip()]
    summary = summarise(records, systems)
    pairs = paired(records, systems)
    doc = {"settings": settings, "git_commit": git_commit(), "systems": summary,
           "paired_f1": pairs}
    (out / "summary.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = [f"| {p['a']} − {p['b']} | {p['n']} | {p['diff']:+.3f} ({p['ci'][0]:+.3f} to "
             f"{p['ci'][1]:+.3f}) |" for p in pairs]
    (out / "summary.md").write_text(
        markdown(summary) + "\n| paired F1 difference | common questions | mean (95% CI) |\n"
        "|---|---|---|\n" + "\n".join(lines) + "\n")
    images = plots(summary, out)
    (out / "report.html").write_text(html(summary, settings, images))
    return doc
