#!/usr/bin/env bash
# Reproduce eval/results/ (the standard comparison) on this CPU, one model server at a time:
#   bash eval/run_standard.sh [N]
# Resumable: records already in eval/results/records.jsonl are not asked again.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300}
SQUAD=${SQUAD:-../shared/data/squad-v1.1-dev.json}
SB=.venv/bin/smallbatch
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
$SB models pull small && $SB models pull large
if [ -z "$($SB kb list --kb squad-raw)" ]; then
  $SB ingest "$SQUAD" --kb squad-raw
fi
serve_and_run() {  # MODEL SYSTEM...
  local model=$1; shift
  $SB models serve "$model" & local pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
  local port=$([ "$model" = small ] && echo 8011 || echo 8012)
  until curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null; do
    kill -0 $pid || { echo "model server $model died" >&2; exit 1; }; sleep 2; done
  $SB eval run eval/systems.toml --n "$N" --only "$@"
  kill $pid; wait $pid 2>/dev/null || true; trap - EXIT
}
serve_and_run small "small+raw" "small closed-book"
serve_and_run large "large closed-book" "large+raw"
