"""`smallbatch kb list|publish|rollback|diff|gc`: the snapshots of a knowledge base."""

from __future__ import annotations


def add(sub) -> None:
    k = sub.add_parser("kb", help="snapshots of a knowledge base")
    k.add_argument("action", choices=["list", "publish", "rollback", "diff", "gc"])
    k.add_argument("snapshot", nargs="*", help="publish: ID; diff: A B (`current` works too)")
    k.add_argument("--kb")
    k.add_argument("--to", help="rollback: this snapshot (default: the one published before)")
    k.add_argument("--keep", type=int, default=3, help="gc: keep this many newest snapshots "
                   "(the current one and the rollback target are always kept)")
    k.add_argument("--json", action="store_true", help="list, diff: JSON output")
    k.set_defaults(run=run)


def run(args, s) -> int:
    from smallbatch import commands

    return commands.kb(args, s)
