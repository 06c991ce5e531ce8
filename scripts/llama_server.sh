#!/usr/bin/env bash
# Builds llama.cpp's OpenAI-compatible server (llama-server) once, from the llama.cpp sources
# vendored in the llama-cpp-python sdist on PyPI, and caches it where smallbatch looks:
#   ${SMALLBATCH_HOME:-~/.cache/smallbatch}/llama.cpp/<version>/llama-server
# The teacher and judge run on it on a CPU host (smallbatch/models/llama.py). Portable flags
# (AVX2, FMA, F16C; no -march=native), so the cached binary runs on every machine of this kind,
# with or without AVX-512. About 10 minutes on 2 cores; a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.3.36  # keep in step with LLAMA_CPP_PYTHON in smallbatch/models/llama.py
HOME_DIR=${SMALLBATCH_HOME:-$HOME/.cache/smallbatch}
OUT="$HOME_DIR/llama.cpp/$VERSION"
say() { printf '[llama.cpp %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
if [ -x "$OUT/llama-server" ] && "$OUT/llama-server" --version >/dev/null 2>&1; then
  say "llama-server $VERSION up to date ($OUT)"
  exit 0
fi
command -v cmake >/dev/null || { apt-get update -qq >&2; apt-get install -y -qq cmake >&2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
say "fetching the llama-cpp-python $VERSION sdist (PyPI)"
.venv/bin/pip download -q --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$WORK" >&2
tar xzf "$WORK"/llama_cpp_python-$VERSION.tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
say "building llama-server (about 10 minutes on 2 cores)"
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=ON >&2
cmake --build "$WORK/build" --target llama-server -j "$(nproc)" >&2
mkdir -p "$OUT"
cp "$WORK/build/bin/llama-server" "$OUT/llama-server.partial"
mv "$OUT/llama-server.partial" "$OUT/llama-server"
say "built $OUT/llama-server"
