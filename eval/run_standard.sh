#!/usr/bin/env bash
# Reproduce eval/results/ (the standard comparison) on this CPU, one model server at a time:
#   bash eval/run_standard.sh [N] [N_LARGE_RAG]
# N questions for every system (default 300); N_LARGE_RAG for large+raw, the slowest system on
# CPU (default N). Samples are nested, so fewer questions are a prefix of the same sample.
# Resumable: records already in eval/results/records.jsonl are not asked again.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300}
N_LARGE_RAG=${2:-$N}
SQUAD=${SQUAD:-../shared/data/squad-v1.1-dev.json}
SB=.venv/bin/smallbatch
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
$SB models pull small && $SB models pull large
if [ -z "$($SB kb list --kb squad-raw)" ]; then
  $SB ingest "$SQUAD" --kb squad-raw
fi
serve_and_run() {  # MODEL N SYSTEM...
  local model=$1 n=$2; shift 2
  $SB models serve "$model" & local pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
  local port=$([ "$model" = small ] && echo 8011 || echo 8012)
  until curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null; do
    kill -0 $pid || { echo "model server $model died" >&2; exit 1; }; sleep 2; done
  $SB eval run eval/systems.toml --n "$n" --only "$@"
  kill $pid; wait $pid 2>/dev/null || true; trap - EXIT
}
serve_and_run small "$N" "small+raw" "small closed-book"
serve_and_run large "$N" "large closed-book"
serve_and_run large "$N_LARGE_RAG" "large+raw"
