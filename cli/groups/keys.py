"""`smallbatch keys add|list|revoke`: API keys of the chat API (hashed at rest)."""

from __future__ import annotations


def add(sub) -> None:
    ky = sub.add_parser("keys", help="API keys of the chat API")
    ky.add_argument("action", choices=["add", "list", "revoke"])
    ky.add_argument("name", nargs="?", help="add/revoke: the key's name (who holds it)")
    ky.add_argument("--rate-per-minute", type=float, help="add: this key's rate limit")
    ky.set_defaults(run=run)


def run(args, s) -> int:
    from serve import commands

    return commands.keys(args, s)
