"""`smallbatch ask "QUESTION"`: one cited answer, in process or through a running server."""

from __future__ import annotations


def add(sub) -> None:
    a = sub.add_parser("ask", help="answer one question with citations")
    a.add_argument("question")
    a.add_argument("--kb")
    a.add_argument("--api", help="ask a running smallbatch server, e.g. http://127.0.0.1:8000/v1")
    a.add_argument("--api-key", default="none")
    a.add_argument("--json", action="store_true", help="also print the answer as JSON")
    a.set_defaults(run=run)


def run(args, s) -> int:
    from rag import commands

    return commands.ask(args, s)
