#!/usr/bin/env bash
# Reproduce eval/results/ (the standard comparison on the noisy benchmark corpus) on this CPU:
#   bash eval/run_bench.sh [N_SMALL] [N_LARGE]
# Needs both model servers up (`smallbatch models serve small` :8011, `... large` :8012; the
# large one is also teacher and judge). Builds the corpus and both stores first (bench.curation;
# teacher answers are cached, so a rebuild is cheap). Samples are nested: N_LARGE questions are a
# prefix of the N_SMALL sample. Resumable: records already in the results folder are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
N_SMALL=${1:-300}
N_LARGE=${2:-300}
PY=.venv/bin/python
SB=.venv/bin/smallbatch
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
[ -f bench/corpus/questions.jsonl ] || $PY -m bench.make_corpus --out bench/corpus --articles 2 --seed 7
[ -f bench/corpus/eval-questions.jsonl ] || $PY -m bench.eval_questions
[ -e bench/stores/bench-curated/current ] || $PY -m bench.curation
# the default profile (clean: no model), with headers and sentence-bounded passages
[ -e bench/stores/bench-clean/current ] || SMALLBATCH_STORES=bench/stores $SB ingest bench/corpus/docs --kb bench-clean --profile clean
$SB eval run eval/bench.toml --n "$N_SMALL" --only "small+curated" "small+curated-full" "small+raw" "small+clean" "small closed-book"
$SB eval run eval/bench.toml --n "$N_LARGE" --only "large closed-book" "large+raw" "large+clean" "large+curated"
# the distilled reader, when its merged weights are served (eval/bench.toml, small-tuned+*)
if curl -sf http://127.0.0.1:8013/v1/models >/dev/null; then
  $SB eval run eval/bench.toml --n "$N_SMALL" --only "small-tuned+raw" "small-tuned+clean"
fi
# ragas on a subset (the judge is the large model): answers above are cached, only verdicts are new
$SB eval run eval/bench.toml --n "$N_SMALL" --only "small+curated" --ragas-n 5
$SB eval run eval/bench.toml --n "$N_LARGE" --only "large+raw" --ragas-n 5
