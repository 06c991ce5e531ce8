"""The results report of an eval run: records summarised into tables (markdown + JSON) and an
HTML page with plots (summary.json, summary.md, report.html beside records.jsonl)."""

from __future__ import annotations

import base64
import html as htmlesc
import json
from pathlib import Path

from eval import faithfulness, plots, ragas_run, utilisation
from eval.scoring import bootstrap_ci
from eval.store_size import store_info
from eval.systems import System
from smallbatch.gitinfo import git_commit
from smallbatch.snapshot import is_complete

METRICS = ["em", "f1", "contains", "recall_at_5", "rr", "citation_correct", "abstention_correct"]
WITH_CI = {"em", "f1", "contains", "abstention_correct"}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _store(system: System) -> dict:
    if system.snapshot is None or not is_complete(system.snapshot):  # closed-book, or not built
        return {"kb": None, "snapshot": None, "store_units": None, "store_tokens": None}
    info = store_info(system.snapshot)
    return {"kb": info.kb, "snapshot": info.snapshot_id, "store_units": info.units,
            "store_tokens": info.tokens}


def summarise(records: list[dict], systems: list[System]) -> dict:
    out = {}
    for system in systems:
        rows = [r for r in records if r["system"] == system.name]
        ok = [r for r in rows if "error" not in r]
        answerable = [r for r in ok if r.get("answerable", True)]
        entry = {"model": system.model_label, "params": system.params,
                 "closed_book": system.closed_book, "top_k": system.top_k, **_store(system),
                 "n": len(rows), "n_unanswerable": len(rows) - len(
                     [r for r in rows if r.get("answerable", True)]),
                 "errors": len(rows) - len(ok)}
        for m in METRICS:
            vals = [r[m] for r in ok if m in r]
            entry[m] = _mean(vals)
            entry[f"{m}_n"] = len(vals)
            if m in WITH_CI and vals:
                _, lo, hi = bootstrap_ci(vals)
                entry[f"{m}_ci"] = [round(lo, 4), round(hi, 4)]
        entry["citation_accuracy"] = entry.pop("citation_correct")
        entry["citation_accuracy_n"] = entry.pop("citation_correct_n")
        # abstention: share of answerable questions the system declined (lower is better);
        # abstention_correct: share of unanswerable questions it declined (higher is better)
        entry["abstention"] = _mean([float(r["abstained"]) for r in answerable])
        entry["withdrawn"] = _mean([float(r.get("withdrawn", False)) for r in answerable])
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


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _with_ci(v, ci) -> str:
    return f"{_fmt(v)} ({ci[0]:.3f}–{ci[1]:.3f})" if ci and v is not None else _fmt(v)


def _table(head: list[str], rows: list[list]) -> list[str]:
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def markdown(summary: dict) -> str:
    """The results table: one row per system."""
    head = ["system", "model", "store tokens", "n", "EM", "F1 (95% CI)", "contains", "recall@5",
            "citation acc.", "abstention", "abstention correct (unanswerable)", "TTFT s",
            "total s", "tokens in/out", "errors"]
    rows = []
    for name, e in summary.items():
        unans = (f"{_with_ci(e['abstention_correct'], e.get('abstention_correct_ci'))} "
                 f"of {e['abstention_correct_n']}" if e.get("abstention_correct_n") else "–")
        rows.append([name, e["model"], _fmt(e["store_tokens"]), e["n"], _fmt(e["em"]),
                     _with_ci(e["f1"], e.get("f1_ci")), _fmt(e["contains"]),
                     _fmt(e["recall_at_5"]), _fmt(e["citation_accuracy"]), _fmt(e["abstention"]),
                     unans, _fmt(e["latency_ttft_s"]), _fmt(e["latency_total_s"]),
                     f"{_fmt(e['tokens_in'])} / {_fmt(e['tokens_out'])}", e["errors"]])
    return "\n".join(_table(head, rows)) + "\n"


def systems_markdown(summary: dict, settings: dict) -> str:
    urls = settings.get("systems", {})
    rows = [[name, e["model"], _fmt(e["params"]), urls.get(name, {}).get("base_url", "–"),
             _fmt(e["kb"]), _fmt(e["snapshot"]), _fmt(e["store_units"]),
             _fmt(e["store_tokens"]), _fmt(e["top_k"])] for name, e in summary.items()]
    return "\n".join(_table(["system", "model", "params", "base URL", "kb", "snapshot",
                             "store units", "store tokens", "top_k"], rows)) + "\n"


def ragas_markdown(ragas: dict) -> str:
    if not ragas.get("systems"):
        return ""
    metrics = list(dict.fromkeys(m for per in ragas["systems"].values() for m in per))
    rows = []
    for name, per in ragas["systems"].items():
        cells = []
        for m in metrics:
            c = per.get(m)
            cells.append("–" if c is None else
                         f"{_with_ci(c['score'], c['ci'])} [scored {c['n']}, failed {c['failed']}]")
        rows.append([name] + cells)
    lines = [f"ragas, judge {', '.join(ragas['judge'])} (failed = judge error or NaN, never "
             "averaged in):", ""] + _table(["system"] + metrics, rows)
    reasons = [f"- {name} / {m}: failed {c['failures']}" + (f", skipped {c['skipped']}"
                                                            if c["skipped"] else "")
               for name, per in ragas["systems"].items() for m, c in per.items()
               if c["failures"] or c["skipped"]]
    if reasons:
        lines += ["", "Unscored verdicts by reason:", ""] + reasons
    cal = [[m, _fmt(c["good"]), _fmt(c["bad"]), c["unscored"]]
           for m, c in ragas["calibration"].items()]
    if cal:
        lines += ["", "Judge calibration (known-good vs known-bad samples):", ""]
        lines += _table(["metric", "good", "bad", "unscored"], cal)
    lines += [""] + [f"**WARNING** {w}" for w in ragas["warnings"]]
    return "\n".join(lines) + "\n"


def paired_markdown(pairs: list[dict]) -> str:
    rows = [[f"{p['a']} − {p['b']}", p["n"],
             f"{p['diff']:+.3f} ({p['ci'][0]:+.3f} to {p['ci'][1]:+.3f})"] for p in pairs]
    return "\n".join(_table(["paired F1 difference", "common questions", "mean (95% CI)"],
                            rows)) + "\n"


def faithful_markdown(doc: dict) -> str:
    """The citation check and the context-utilisation table (eval/faithfulness.py,
    eval/utilisation.py), each followed by a blank line."""
    parts = [faithfulness.markdown(doc.get("citation_check") or {}),
             faithfulness.agreement_markdown(doc.get("faithfulness_agreement") or []),
             utilisation.markdown(doc.get("utilisation") or [])]
    return "".join(p + "\n" for p in parts if p)


def _html_table(md: str) -> str:
    lines = [l for l in md.splitlines() if l.startswith("|")]
    if not lines:
        return ""

    def cells(line, tag):
        return "".join(f"<{tag}>{htmlesc.escape(c.strip())}</{tag}>"
                       for c in line.strip().strip("|").split("|"))
    return ("<table><tr>" + cells(lines[0], "th") + "</tr>"
            + "".join("<tr>" + cells(r, "td") + "</tr>" for r in lines[2:]) + "</table>")


def html(doc: dict, images: list[Path]) -> str:
    summary, settings = doc["systems"], doc["settings"]
    ragas = doc.get("ragas") or {}
    agreement = doc.get("faithfulness_agreement") or []
    imgs = "".join(
        f'<img alt="{p.stem}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in images)
    warn = "".join(f"<p class=warn>WARNING: {htmlesc.escape(w)}</p>"
                   for w in ragas.get("warnings", []))
    ragas_html = ""
    if ragas.get("systems"):
        ragas_md = ragas_markdown(ragas)
        ragas_html = (f"<h2>ragas (judge {htmlesc.escape(', '.join(ragas['judge']))})</h2>{warn}"
                      + _html_table(ragas_md.split("\n\nUnscored")[0].split("\n\nJudge")[0])
                      + f"<pre>{htmlesc.escape(ragas_md)}</pre>")
    return (f"<!doctype html><meta charset=utf-8><title>smallbatch eval</title>"
            f"<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;"
            f"margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px}}"
            f"img{{max-width:48%;margin:1em 0}}.warn{{color:#b00;font-weight:bold}}</style>"
            f"<h1>smallbatch evaluation</h1><p>git commit <code>{doc['git_commit']}</code></p>"
            f"<h2>Results</h2>{_html_table(markdown(summary))}"
            f"<h2>Systems</h2>{_html_table(systems_markdown(summary, settings))}"
            f"<h2>Paired F1 differences</h2>{_html_table(paired_markdown(doc['paired_f1']))}"
            f"<h2>Citation check</h2>"
            f"{_html_table(faithfulness.markdown(doc.get('citation_check') or {}))}"
            f"{_html_table(faithfulness.agreement_markdown(agreement))}"
            f"<h2>Context utilisation</h2>"
            f"{_html_table(utilisation.markdown(doc.get('utilisation') or []))}"
            f"{ragas_html}<h2>Plots</h2>{imgs}"
            f"<h2>Settings</h2><pre>{htmlesc.escape(json.dumps(settings, indent=2))}</pre>")


def write_report(records_path: Path, systems: list[System], settings: dict,
                 judge_model: str | None = None) -> dict:
    out = records_path.parent
    records = [json.loads(l) for l in records_path.read_text().splitlines() if l.strip()]
    summary = summarise(records, systems)
    doc = {"settings": settings, "git_commit": git_commit(), "systems": summary,
           "paired_f1": paired(records, systems),
           "citation_check": faithfulness.summarise(records),
           "utilisation": utilisation.table(records, {s.name: (s.model_label, s.closed_book)
                                                      for s in systems})}
    for name, check in doc["citation_check"].items():
        if name in summary:
            summary[name]["citation_check"] = check
    ragas_path = out / ragas_run.RAGAS
    if ragas_path.exists():
        doc["ragas"] = ragas_run.summarise(ragas_path, judge_model)
        doc["faithfulness_agreement"] = faithfulness.agreement(ragas_run.load(ragas_path),
                                                               records)
        for name, per in doc["ragas"]["systems"].items():
            if name in summary:
                summary[name]["ragas"] = per
    (out / "summary.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out / "summary.md").write_text(
        markdown(summary) + "\n" + systems_markdown(summary, settings) + "\n"
        + paired_markdown(doc["paired_f1"]) + "\n" + faithful_markdown(doc)
        + ragas_markdown(doc.get("ragas") or {})
        + f"\ngit commit {doc['git_commit']}\n")
    images = plots.draw(summary, out)
    (out / "report.html").write_text(html(doc, images))
    return doc
