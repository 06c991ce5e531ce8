"""`smallbatch serve`: vLLM for the small model and the chat API, until Ctrl-C."""

from __future__ import annotations


def add(sub) -> None:
    sv = sub.add_parser("serve", help="start vLLM (small) and the chat API")
    sv.add_argument("--kb")
    sv.add_argument("--port", type=int)
    sv.set_defaults(run=run)


def run(args, s) -> int:
    from reader.default import default_weights
    from serve import commands

    return commands.serve(args, s, lambda: default_weights(s))
