"""What `smallbatch reader …` does (cli/groups/reader.py parses the command line).

    reader build --kb NAME [--n N] [--steps S] [--exclude FILE…] [--with-batch DIR…] [--no-publish]
    reader eval  --kb NAME [--adapter DIR] [--base-url URL]
    reader merge --kb NAME [--adapter DIR]      base + adapter folded into one model folder

``eval`` needs the small model's vLLM server with the adapter loaded: it starts one (base +
adapter, the adapter verified first) unless ``--base-url`` names a running one.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from smallbatch.errors import UserError
from smallbatch.settings import Settings

ADAPTER_NAME = "reader"


def build(args, s: Settings) -> int:
    from reader.build import build as run

    s = s.model_copy(update={"reader": s.reader.model_copy(update={
        k: v for k, v in (("n", args.n), ("steps", args.steps),
                          ("start_from", _path(getattr(args, "start_from", None)))) if v})})
    try:
        out, manifest = run(s, s.reader.n, s.reader.steps, [Path(p) for p in args.exclude],
                            not args.no_publish, [Path(p) for p in args.with_batch])
    except ValueError as e:
        raise UserError(str(e)) from e
    t = manifest["training"]
    print(f"adapter {out} — batch {manifest['batch']['size']} examples, {t['steps']} steps, "
          f"{t['tokens_per_s']} tokens/s, loss {t['final_loss']}, {t['wall_s']} s"
          + ("" if args.no_publish else f"; published as {s.reader_dir() / 'current'}"))
    return 0


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def evaluate(args, s: Settings) -> int:
    from reader.batch import read_examples
    from reader.build import small_dir
    from reader.evaluate import compare
    from smallbatch.llm import async_client, endpoint
    from smallbatch.models.adapters import MANIFEST, AdapterError, verify
    from smallbatch.snapshot import write_json

    adapter = Path(args.adapter) if args.adapter else s.adapter_path()
    try:
        manifest = verify(adapter, small_dir(s))
    except AdapterError as e:
        raise UserError(f"adapter refused: {e}") from e
    dev = read_examples(Path(manifest["batch"]["path"]) / "dev.jsonl")
    if not dev:
        raise UserError(f"{manifest['batch']['path']}/dev.jsonl: no dev questions")
    server = None if args.base_url else _start(s, adapter)
    try:
        base_url = (args.base_url or server.base_url).rstrip("/")
        client = async_client(replace(endpoint(s, "small"), base_url=base_url))
        result = compare(client, _base_name(), args.adapter_name or ADAPTER_NAME, dev)
    finally:
        if server is not None:
            server.stop()
    manifest.pop("rank", None)
    write_json(adapter / MANIFEST, {**manifest, "dev": result})
    print(json.dumps(result, indent=1))
    return 0


def _base_name() -> str:
    from smallbatch.models.catalog import lookup

    return lookup("small").served_name


def _start(s: Settings, adapter: Path):
    from smallbatch.commands import model_server

    server = model_server(s, "small")
    server.lora_modules = {ADAPTER_NAME: adapter.resolve()}
    print(f"starting vLLM (small + adapter {adapter}; log: {server.log_path})", file=sys.stderr)
    server.start()
    if server.refused:
        raise UserError(server.refused[ADAPTER_NAME])
    server.wait_ready()
    return server


def merge(args, s: Settings) -> int:
    """Fold the adapter into a copy of the base weights (``<adapter>/merged``)."""
    from reader.build import small_dir
    from reader.merge import merge as run
    from smallbatch.models.adapters import AdapterError

    adapter = Path(args.adapter) if args.adapter else s.adapter_path()
    try:
        out = run(adapter.resolve(), small_dir(s))
    except AdapterError as e:
        raise UserError(f"adapter refused: {e}") from e
    print(out)
    return 0
