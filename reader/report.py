"""The batch report: what curation did to the teacher's questions, as JSON and HTML."""

from __future__ import annotations

import html
import json
from pathlib import Path

from smallbatch.snapshot import write_json


def write_report(folder: Path, report: dict) -> None:
    write_json(folder / "report.json", report)
    (folder / "report.html").write_text(render(report), encoding="utf-8")


def _table(rows: list[list], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def render(report: dict) -> str:
    steps = _table([[c["step"], c["in"], c["out"]] for c in report.get("steps", [])],
                   ["step", "in", "out"])
    drops = _table([[s, r, n] for s, rs in report.get("drops", {}).items()
                    for r, n in rs.items()], ["step", "reason", "dropped"])
    types = _table([[t, n] for t, n in report.get("types", {}).items()], ["type", "questions"])
    samples = _table([[e["style"], e["question"], e["target"]]
                      for e in report.get("samples", [])], ["style", "question", "target"])
    extra = html.escape(json.dumps({k: v for k, v in report.items()
                                    if k not in ("steps", "drops", "types", "samples")},
                                   indent=1, ensure_ascii=False))
    return ("<!doctype html><meta charset=utf-8><title>reading batch</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "td,th{border:1px solid #ccc;padding:.2em .5em}table{border-collapse:collapse}</style>"
            f"<h1>Reading batch {html.escape(str(report.get('batch', '')))}</h1>"
            f"<h2>Steps</h2>{steps}<h2>Drops</h2>{drops}<h2>Question types</h2>{types}"
            f"<h2>Examples</h2>{samples}<h2>Details</h2><pre>{extra}</pre>")
