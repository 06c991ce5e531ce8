#!/usr/bin/env bash
# Reproduce eval/results-squad-clean/ (clean SQuAD paragraphs, no curation) on this CPU, one model server at a time:
#   bash eval/run_standard.sh [N] [N_LARGE_RAG] [RAGAS_N]
# N questions for every system (default 300); N_LARGE_RAG for large+raw, the slowest system on
# CPU (default N). Samples are nested, so fewer questions are a prefix of the same sample.
# RAGAS_N (default 0 = off): ragas on the first RAGAS_N questions of every system, judged by the
# large model (≈1 min per sample per metric on 2 cores). Resumable: answers already in
# eval/results/records.jsonl and verdicts in eval/results/ragas.jsonl are not asked again.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300}
N_LARGE_RAG=${2:-$N}
RAGAS_N=${3:-0}
SQUAD=${SQUAD:-../shared/data/squad-v1.1-dev.json}
SB=.venv/bin/smallbatch
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
$SB models pull small && $SB models pull large
if [ -z "$($SB kb list --kb squad-raw)" ]; then
  $SB ingest "$SQUAD" --kb squad-raw
fi
serve_and_run() {  # MODEL EVAL-RUN-ARGS...
  local model=$1; shift
  $SB models serve "$model" & local pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
  local port=$([ "$model" = small ] && echo 8011 || echo 8012)
  until curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null; do
    kill -0 $pid || { echo "model server $model died" >&2; exit 1; }; sleep 2; done
  $SB eval run eval/systems.toml "$@"
  kill $pid; wait $pid 2>/dev/null || true; trap - EXIT
}
serve_and_run small --n "$N" --ragas-n 0 --only "small+raw" "small closed-book"
serve_and_run large --n "$N" --ragas-n 0 --only "large closed-book"
serve_and_run large --n "$N_LARGE_RAG" --ragas-n 0 --only "large+raw"
if [ "$RAGAS_N" -gt 0 ]; then  # judge every system's answers (all cached) while the judge is up
  serve_and_run large --n "$RAGAS_N" --ragas-n "$RAGAS_N"
fi
