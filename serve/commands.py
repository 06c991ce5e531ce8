"""`smallbatch serve` (vLLM for the small model, then the chat API until Ctrl-C) and
`smallbatch keys add|list|revoke` (the API keys, hashed at rest)."""

from __future__ import annotations

import sys

from smallbatch.errors import UserError
from smallbatch.settings import Settings


def serve(args, s: Settings, weights=lambda: None) -> int:
    """``weights()``: merged reader weights to serve instead of the base model when this command
    starts the small model (the cli passes the shipped reader's, reader/default.py); asked
    after the cheap checks, since making them may take a minute."""
    import uvicorn

    from serve import logs
    from serve.app import create_app

    port = args.port or s.api_port
    check_cheap_things(s, port)
    server, s = start_small_model(s, weights())
    try:
        if server:
            server.wait_ready()
        print(f"smallbatch serving kb {s.kb!r} at http://{s.api_host}:{port}/v1", file=sys.stderr)
        logs.configure(s.serve.log_level, s.serve.log_json)
        uvicorn.run(create_app(s), host=s.api_host, port=port, log_level="warning")
    finally:
        if server:
            server.stop()
    return 0


def start_small_model(s: Settings, weights=None):
    """The small model's server, started (not yet ready) unless one already serves it, and the
    settings with the small role pointed at what answers."""
    from smallbatch.commands import model_server, role_endpoint
    from smallbatch.models.adapters import small_lora_modules, without_refused
    from smallbatch.models.server import is_up, serves

    ep = role_endpoint(s, "small")
    if s.small.base_url or is_up(ep.base_url):
        print(f"answering with {ep.model!r}, already served at {ep.base_url}", file=sys.stderr)
        return None, s
    server = model_server(s, s.small.model, str(weights) if weights else None)
    server.lora_modules = small_lora_modules(s)  # the KB's reader, when the small role names one
    if not server.lora_modules and serves(server.base_url, server.served_name):
        # e.g. the merged reader left running by an earlier `smallbatch serve`
        print(f"answering with {server.served_name!r}, already served at {server.base_url}",
              file=sys.stderr)
        return None, _small_at(s, server)
    print(f"starting vLLM for the small model (log: {server.log_path})", file=sys.stderr)
    server.start()
    for name, why in server.refused.items():
        print(f"adapter {name!r} refused, answering with the base model: {why}", file=sys.stderr)
    s = without_refused(s, server.refused)
    return server, _small_at(s, server) if weights else s


def _small_at(s: Settings, server) -> Settings:
    """The small role answered by ``server`` (the merged reader, on the port it serves)."""
    return s.model_copy(update={"small": s.small.model_copy(update={
        "model": server.served_name, "base_url": server.base_url})})


def check_cheap_things(s: Settings, port: int) -> None:
    """What can be told in a millisecond is told before a model server is asked or started:
    the port, and whether the knowledge base exists at all (one that exists with nothing
    published yet is served, and /readyz says 503 until a snapshot is published)."""
    from smallbatch.commands import check_port
    from smallbatch.models.server import port_free
    from smallbatch.store import KnowledgeBase

    check_port(port)
    kb = KnowledgeBase(s.stores, s.kb)
    if not kb.dir.is_dir():
        known = sorted(p.name for p in s.stores.glob("*") if p.is_dir()) if s.stores.is_dir() else []
        raise UserError(f"knowledge base {s.kb!r} does not exist under {s.stores} (known: "
                        f"{', '.join(known) or 'none'}); build it with `smallbatch ingest PATH "
                        f"--kb {s.kb}`")
    if not port_free(s.api_host, port):
        raise UserError(f"port {port} on {s.api_host} is already in use; stop what listens "
                        f"there or give another --port")


def keys(args, s: Settings) -> int:
    from serve.auth import KeyFileError, KeyStore

    store = KeyStore(s.keys_path())
    try:
        if args.action == "add":
            secret, key = store.add(args.name or "", args.rate_per_minute)
            print(f"added key {key.name!r} to {store.path}; it is shown only now:\n{secret}")
        elif args.action == "revoke":
            print(f"revoked {store.revoke(args.name or '').name!r} (in effect on the next request)")
        else:
            for k in store.list():
                state = "revoked" if k.revoked else "active"
                rate = f"{k.rate_per_minute:g}/min" if k.rate_per_minute else "default rate"
                print(f"{k.name:24} {state:8} {rate:14} sha256:{k.sha256[:12]}…")
    except KeyFileError as e:
        raise UserError(str(e)) from e
    return 0
