"""`smallbatch serve` (vLLM for the small model, then the chat API until Ctrl-C) and
`smallbatch keys add|list|revoke` (the API keys, hashed at rest)."""

from __future__ import annotations

import sys

from smallbatch.errors import UserError
from smallbatch.settings import Settings


def serve(args, s: Settings, weights=None) -> int:
    """``weights``: merged reader weights to serve instead of the base model when this command
    starts the small model (the cli passes the shipped reader's, reader/default.py)."""
    import uvicorn

    from serve import logs
    from serve.app import create_app
    from smallbatch.commands import model_server, role_endpoint
    from smallbatch.models.adapters import small_lora_modules, without_refused
    from smallbatch.models.server import is_up

    server = None
    ep = role_endpoint(s, "small")
    if not s.small.base_url and not is_up(ep.base_url):
        server = model_server(s, s.small.model, str(weights) if weights else None)
        server.lora_modules = small_lora_modules(s)  # the KB's reader, when the small role names one
        print(f"starting vLLM for the small model (log: {server.log_path})", file=sys.stderr)
        server.start()
        for name, why in server.refused.items():
            print(f"adapter {name!r} refused, answering with the base model: {why}",
                  file=sys.stderr)
        s = without_refused(s, server.refused)
        if weights:  # the app asks the merged reader, on the port it was started on
            s = s.model_copy(update={"small": s.small.model_copy(update={
                "model": server.served_name, "base_url": server.base_url})})
    else:
        print(f"answering with {ep.model!r}, already served at {ep.base_url}", file=sys.stderr)
    try:
        if server:
            server.wait_ready()
        port = args.port or s.api_port
        print(f"smallbatch serving kb {s.kb!r} at http://{s.api_host}:{port}/v1", file=sys.stderr)
        logs.configure(s.serve.log_level, s.serve.log_json)
        uvicorn.run(create_app(s), host=s.api_host, port=port, log_level="warning")
    finally:
        if server:
            server.stop()
    return 0


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
