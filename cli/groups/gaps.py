"""`smallbatch gaps KB`: topics users ask about that the store covers poorly."""

from __future__ import annotations


def add(sub) -> None:
    g = sub.add_parser("gaps", help="topics users ask about that the store covers poorly, "
                       "with source passages that could fill them")
    g.add_argument("kb")
    g.add_argument("--log", help="query log (default: the serve.query_log file of the kb)")
    g.add_argument("--top", type=int, default=10, help="this many topics, worst first")
    g.add_argument("--sources", help="where the sources are (default: the snapshot's source)")
    g.add_argument("--threshold", type=float, help="cosine similarity that joins a question to "
                   "a topic (default: set per embedder; higher: more, narrower topics)")
    g.add_argument("--json", action="store_true")
    g.set_defaults(run=run)


def run(args, s) -> int:
    from ingest.load import load  # querylog sits below ingest: the loader is handed to it
    from querylog import commands

    return commands.gaps(args, s, load)
