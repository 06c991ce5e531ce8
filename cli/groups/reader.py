"""`smallbatch reader build|eval|merge`: distil the reader (a LoRA adapter for the small model)."""

from __future__ import annotations


def add(sub) -> None:
    r = sub.add_parser("reader", help="train the small model to read the knowledge base")
    rs = r.add_subparsers(dest="action", required=True)
    b = rs.add_parser("build", help="teacher examples -> curated batch -> LoRA adapter")
    b.add_argument("--kb")
    b.add_argument("--n", type=int, help="examples in the batch (reader.n)")
    b.add_argument("--steps", type=int, help="optimizer steps (default: reader.epochs)")
    b.add_argument("--exclude", action="append", default=[], metavar="FILE",
                   help="evaluation questions (SQuAD json / jsonl) that must not enter the batch")
    b.add_argument("--with-batch", action="append", default=[], metavar="DIR",
                   help="also train on an earlier batch folder (e.g. a general reading batch "
                        "from other articles); its questions pass this build's guard again")
    b.add_argument("--start-from", metavar="DIR",
                   help="train this adapter further instead of a fresh LoRA (reader.start_from;"
                        " e.g. reader/weights/general)")
    b.add_argument("--no-publish", action="store_true",
                   help="do not make it the knowledge base's reader")
    b.set_defaults(run=run)
    e = rs.add_parser("eval", help="dev F1 of base vs adapter on held-apart teacher questions")
    e.add_argument("--kb")
    e.add_argument("--adapter", help="adapter folder (default: the KB's reader/current)")
    e.add_argument("--base-url", help="a running vLLM that serves the adapter")
    e.add_argument("--adapter-name", help="its served name there (default: reader)")
    e.set_defaults(run=run)
    m = rs.add_parser("merge", help="fold the adapter into a copy of the base weights")
    m.add_argument("--kb")
    m.add_argument("--adapter", help="adapter folder (default: the KB's reader/current)")
    m.set_defaults(run=run)


def run(args, s) -> int:
    from reader import commands

    action = {"build": commands.build, "eval": commands.evaluate, "merge": commands.merge}
    return action[args.action](args, s)
