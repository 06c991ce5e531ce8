"""Every model role's server up at once on this machine, with the memory each holds.

    .venv/bin/python -m bench.all_roles [--out bench/results/all_roles.json]

Starts, one after another and kept running together, the servers a full CPU deployment runs
with the default settings (every core, 1 GiB KV cache): the small model (vLLM), the shipped
reader (vLLM, merged weights) and the 1.5B (vLLM: the large baseline, teacher and judge); then
llama.cpp's server on the 1.5B's GGUF too, the teacher/judge option for memory-short hosts. After each start: its resident memory (all its processes) and the memory left
(MemAvailable). A server the memory left cannot hold is refused up front by the memory check
(its one-line error is recorded). One short chat question then goes to each, so the memory is
read with every server warm. Writes the JSON report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import httpx

from smallbatch.gitinfo import git_commit
from smallbatch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def servers(s: Settings) -> list[tuple[str, object]]:
    from reader.default import merged_reader
    from smallbatch.commands import model_server
    from smallbatch.models.llama import llama_server

    return [("small (vLLM)", model_server(s, "small")),
            ("shipped reader (vLLM)", model_server(s, "small", str(merged_reader(s, "general")))),
            ("1.5B: large, teacher, judge (vLLM)", model_server(s, "large")),
            ("1.5B on llama.cpp (teacher/judge option)", llama_server(s, "large"))]


def ask(server) -> str:
    body = {"model": server.served_name, "max_tokens": 16, "temperature": 0,
            "messages": [{"role": "user", "content": "Name the capital of France in one word."}]}
    r = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=600)
    return r.json()["choices"][0]["message"]["content"]


def main(argv: list[str] | None = None) -> int:
    from smallbatch.models import memory
    from smallbatch.models.process import ServerError

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "all_roles.json"))
    args = p.parse_args(argv)
    s = Settings()
    rows, up = [], []
    try:
        for name, server in servers(s):
            row = {"server": name, "port": server.port, "free_before_gib":
                   round(memory.available_gib() or 0, 2)}
            try:
                row["start_s"] = round(server.start().wait_ready(), 1)
                up.append(server)
                row["rss_gib"] = round(memory.tree_rss_gib(server.proc.pid), 2)
            except ServerError as e:
                row["refused"] = str(e)
            row["free_after_gib"] = round(memory.available_gib() or 0, 2)
            print(f"[all_roles] {json.dumps(row)}", file=sys.stderr)
            rows.append(row)
        answers = {srv.served_name + f":{srv.port}": ask(srv) for srv in up}
        for row, srv in zip([r for r in rows if "rss_gib" in r], up):
            row["rss_warm_gib"] = round(memory.tree_rss_gib(srv.proc.pid), 2)
        free = memory.available_gib()
    finally:
        for srv in up:
            srv.stop()
    report = {"command": "python -m bench.all_roles", "commit": git_commit(),
              "date": time.strftime("%Y-%m-%d %H:%M"), "servers": rows, "answers": answers,
              "all_up": len(up) == len(rows), "total_gib": round(memory.total_gib(), 2), "free_with_all_up_gib": round(free or 0, 2),
              "total_rss_gib": round(sum(r.get("rss_warm_gib", 0) for r in rows), 2)}
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("all_up", "total_rss_gib",
                                             "free_with_all_up_gib")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
