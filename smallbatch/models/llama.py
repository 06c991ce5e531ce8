"""llama.cpp's OpenAI-compatible server (``llama-server``) for a catalog model's GGUF, as shipped.

The roles ``llamacpp.roles`` names run here (none by default: at curation's 8 calls at a time
vLLM on both cores is faster on this CPU, while llama.cpp is 2.2x faster one call at a time and
holds a third of the memory; bench/results/teacher.json). The served name is the catalog's, as
under vLLM: the weights are the ones vLLM's folder was converted from, so cached teacher answers
stay valid.

The binary is built from the llama.cpp sources inside the ``llama-cpp-python`` sdist on PyPI by
``scripts/llama_server.sh`` (portable AVX2 flags, cached under ``<home>/llama.cpp/<version>``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from smallbatch.models.cores import span, usable_cores
from smallbatch.models.process import ModelProcess, ServerError
from smallbatch.settings import LlamaCppSettings, Settings

LLAMA_CPP_PYTHON = "0.3.36"  # the sdist whose vendored llama.cpp is built (scripts/llama_server.sh)


def binary_path(s: Settings) -> Path:
    cfg = s.llamacpp
    return Path(cfg.binary) if cfg.binary else s.home / "llama.cpp" / LLAMA_CPP_PYTHON / "llama-server"


@dataclass
class LlamaServer(ModelProcess):
    gguf: Path
    served_name: str
    cfg: LlamaCppSettings
    binary: Path
    log_path: Path
    port_: int

    @property
    def host(self) -> str:
        return self.cfg.host

    @property
    def port(self) -> int:
        return self.port_

    @property
    def ready_timeout_s(self) -> float:
        return self.cfg.ready_timeout_s

    def threads(self) -> int:
        return self.cfg.threads or len(usable_cores())

    def command(self) -> list[str]:
        return [
            str(self.binary), "--model", str(self.gguf), "--alias", self.served_name,
            "--host", self.host, "--port", str(self.port),
            "--threads", str(self.threads()), "--threads-batch", str(self.threads()),
            "--parallel", str(self.cfg.parallel),
            "--ctx-size", str(self.cfg.ctx_per_slot * self.cfg.parallel),
            "--cont-batching", "--jinja", "--no-webui",
        ]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        return env

    def check(self, env: dict[str, str]) -> None:
        if not self.binary.is_file():
            raise ServerError(f"no llama.cpp server at {self.binary}: run `bash "
                              f"scripts/llama_server.sh` (a one-time build, ~10 min on 2 cores), "
                              f"or set SMALLBATCH_LLAMACPP__ROLES='[]' to use vLLM for every role")
        if not self.gguf.is_file():
            raise ServerError(f"no GGUF at {self.gguf}: run `smallbatch models pull`")

    def start_note(self, env: dict[str, str]) -> str:
        return (f"llama.cpp on {self.threads()} threads (cores {span(usable_cores())}), "
                f"{self.cfg.parallel} requests at a time")


def llama_server(s: Settings, name: str, port: int | None = None) -> LlamaServer:
    """A (not yet started) llama.cpp server for the catalog model ``name``'s GGUF."""
    from smallbatch.models.catalog import lookup
    from smallbatch.models.pull import model_dir

    model = lookup(name)
    return LlamaServer(model_dir(s.home, name) / "model.gguf", model.served_name, s.llamacpp,
                       binary_path(s), s.home / "logs" / f"llama-{name}.log",
                       port or s.llamacpp.port_for(name))
