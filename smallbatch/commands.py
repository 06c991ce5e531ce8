"""`smallbatch models` and `smallbatch kb`: the command groups the core answers alone.

Each function takes the parsed arguments and the settings and returns the exit code; a mistake a
person can fix is raised as a ``UserError`` (the CLI prints it as one ``error:`` line, exit 2).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from smallbatch.errors import UserError
from smallbatch.settings import Settings

if TYPE_CHECKING:
    from smallbatch.llm import Endpoint


def models(args, s: Settings) -> int:
    from smallbatch.models import pull as pulling
    from smallbatch.models.catalog import CATALOG

    if args.action == "list":
        for name, m in CATALOG.items():
            state = "ready" if pulling.is_ready(s.home, name) else "not pulled"
            print(f"{name:6} {m.params:5} {m.served_name:32} {state}")
        return 0
    if args.action == "pull":
        try:
            name = getattr(s, args.name).model if args.name in ROLES else args.name
            print(pulling.pull(name, s.home, s.vllm.python_path()))
        except (pulling.PullError, KeyError) as e:
            raise UserError(e.args[0] if isinstance(e, KeyError) else str(e)) from e
        return 0
    # serve: the model server in the foreground
    engine, port = getattr(args, "engine", None), getattr(args, "port", None)
    server = (role_server(s, args.name, engine, port) if args.name in ROLES or engine
              else model_server(s, args.name, getattr(args, "weights", None), port))
    server.start()
    try:
        took = server.wait_ready()
        print(f"{args.name} model ready at {server.base_url} as {server.served_name!r} after "
              f"{took:.0f}s (Ctrl-C stops it)", file=sys.stderr)
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


ROLES = ("teacher", "judge")  # `models serve teacher`: the server that role's endpoint names


def role_server(s: Settings, name: str, engine: str | None = None, port: int | None = None):
    """The server a role (or a catalog model, with ``engine``) is answered by: llama.cpp's for
    the roles ``llamacpp.roles`` names, vLLM's otherwise."""
    from smallbatch.models.llama import llama_server

    model = getattr(s, name).model if name in ROLES else name
    engine = engine or ("llama.cpp" if name in s.llamacpp.roles else "vllm")
    if engine == "vllm":
        return model_server(s, model, None, port)
    check_port(port)
    require_pulled(s, model)
    return llama_server(s, model, port)


def check_port(port: int | None) -> None:
    """A port a person gave (None: the default) must be one a server can listen on."""
    if port is not None and not 0 < port < 65536:
        raise UserError(f"port {port} is out of range: give --port between 1 and 65535")


def require_pulled(s: Settings, name: str) -> None:
    from smallbatch.models import pull as pulling

    if not pulling.is_ready(s.home, name):
        raise UserError(f"model {name!r} is not pulled: run `smallbatch models pull {name}`")


READER_SUFFIX = "-reader"  # served name of merged reader weights: "<base served name>-reader"


def model_server(s: Settings, name: str, weights: str | None = None, port: int | None = None):
    """A (not yet started) vLLM server for the catalog model ``name``; with ``weights``, for
    merged reader weights made from it (verified first), served as "<name>-reader" on
    ``vllm.port + 2`` so the base model's port stays free for comparison."""
    from smallbatch.models import pull as pulling
    from smallbatch.models.catalog import lookup
    from smallbatch.models.server import VllmServer

    check_port(port)
    try:
        model = lookup(name)
    except KeyError as e:
        raise UserError(f"{e.args[0]}; set the model role's model to one of them, or give it a "
                        f"base_url") from e
    require_pulled(s, name)
    offset = 0 if name == "small" else 1
    path, served, log = pulling.hf_dir(s.home, name), model.served_name, f"vllm-{name}.log"
    if weights:
        path, served = _merged(path, Path(weights)), served + READER_SUFFIX
        log, offset = f"vllm-{name}-reader.log", 2
    cfg = s.vllm.model_copy(update={"port": port or s.vllm.port + offset})
    return VllmServer(path, served, cfg, s.home / "logs" / log)


def _merged(base: Path, weights: Path) -> Path:
    from smallbatch.models.adapters import AdapterError, verify_merged

    try:
        verify_merged(weights, base)
    except AdapterError as e:
        raise UserError(f"merged weights refused: {e}") from e
    return weights.resolve()


def role_endpoint(s: Settings, role: str) -> Endpoint:
    """``smallbatch.llm.endpoint``, with a model role that cannot be reached said as a UserError."""
    from smallbatch.llm import endpoint

    try:
        return endpoint(s, role)
    except ValueError as e:  # a model outside the catalog without a base_url
        raise UserError(f"{e}: set SMALLBATCH_{role.upper()}__BASE_URL, or "
                        f"SMALLBATCH_{role.upper()}__MODEL to small or large") from e


def kb(args, s: Settings) -> int:
    from smallbatch.store import KnowledgeBase, StoreError

    store = KnowledgeBase(s.stores, s.kb)
    try:
        if args.action == "list":
            _kb_list(store, args.json)
        elif args.action == "publish":
            if not args.snapshot:
                raise UserError("kb publish needs a SNAPSHOT id (see `smallbatch kb list`)")
            print(f"published {store.publish(_ids(store, args.snapshot)[0]).name}")
        elif args.action == "rollback":
            print(f"rolled back to {store.rollback(args.to).name}")
        elif args.action == "diff":
            _kb_diff(store, _ids(store, args.snapshot), args.json)
        else:
            removed = store.gc(args.keep)
            print(f"removed {len(removed)} snapshots" + "".join(f"\n  {sid}" for sid in removed))
    except StoreError as e:
        raise UserError(str(e)) from e
    return 0


def _ids(store, given: list[str]) -> list[str]:
    """Snapshot ids, with `current` standing for the published one."""
    current = store.current()
    return [current.name if sid == "current" and current else sid for sid in given]


def _kb_list(store, as_json: bool) -> None:
    from dataclasses import asdict

    infos = [store.info(sid) for sid in store.list()]
    if as_json:
        print(json.dumps([asdict(i) for i in infos], indent=1))
        return
    print(f"  {'id':24} {'created':21} {'units':>7} {'tokens':>9}  parent")
    for i in infos:
        print(f"{'*' if i.published else ' '} {i.id:24} {i.created or '?':21} "
              f"{i.units if i.units is not None else '?':>7} "
              f"{i.tokens if i.tokens is not None else '?':>9}  {i.parent or '-'}")


def _kb_diff(store, ids: list[str], as_json: bool) -> None:
    from smallbatch.diff import diff_snapshots

    if len(ids) != 2:
        raise UserError("kb diff needs two snapshot ids, A and B (`current` names the published "
                        "one)")
    d = diff_snapshots(store.snapshot_path(ids[0]), store.snapshot_path(ids[1]))
    print(json.dumps(d.to_json(), indent=1, ensure_ascii=False) if as_json else d.render())
