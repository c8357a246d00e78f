#!/usr/bin/env bash
# The paper's claim in miniature (docs/model.md, Growth): a chain growing a small TokenFormer to a
# target size in four stages, each doubling every token count, against the target size trained
# from scratch on the same data for as many steps as the whole chain. Every run is repeated for
# SEEDS seeds. Writes each run's metrics file (train.metrics_file) under OUT, then prints the
# final validation loss per run (mean, standard deviation, min-max over seeds) and the share of
# the scratch FLOPs each chain needs to reach the scratch run's final validation loss (same seed),
# and draws validation loss against FLOPs (tests/bench/progressive_report.py). Not run by ctest.
# About 37 minutes on 2 cores with the settings below.
#
#   [OUT=dir] tests/bench/progressive_scaling.sh [BUILD_DIR]
set -euo pipefail

# --- settings -------------------------------------------------------------------------------
STAGE_STEPS=${STAGE_STEPS:-48}    # optimizer steps per chain stage; scratch: 4 x STAGE_STEPS
EVAL_INTERVAL=${EVAL_INTERVAL:-12} # steps between validation passes
EVAL_BATCHES=${EVAL_BATCHES:-4}   # micro batches of 16 x 256 bytes per validation pass
SEEDS=${SEEDS:-"1 2 3 4 5"}       # train.seed: initialisation and data order
PARALLEL=${PARALLEL:-2}           # runs at a time, one thread each
VARIANTS=${VARIANTS:-"scratch chain-normal-reset-fresh chain-preserve-carry-rewarm"}
LR=${LR:-2.0e-3}                  # peak learning rate (scratch, and every fresh warm-up)
REWARM_LR=${REWARM_LR:-1.0e-3}    # peak of stages 2-4 in the "rewarm" chains
# Model: d 128, 4 layers, seq 256, byte-level tokens (a 257-row embedding, so the compute goes
# into the Pattentions); chain qkv = proj tokens 32 -> 64 -> 128 -> 256, ffn = 4 x qkv.
# ---------------------------------------------------------------------------------------------

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
corpus=$root/../shared/data/brown.jsonl
out=${OUT:-$root/build/progressive}
mkdir -p "$out"
export OMP_NUM_THREADS=1
started=$(date +%s)

# A document-aligned split: every 20th document (25 of 500, across all of the corpus's
# categories) is validation.
awk 'NR % 20 != 0' "$corpus" >"$out/train.jsonl"
awk 'NR % 20 == 0' "$corpus" >"$out/valid.jsonl"
for split in train valid; do
  "$build/launcher/tf-data" build --input "$out/$split.jsonl" --format jsonl --tokenizer byte \
    --append-eod --output "$out/$split" >/dev/null
done

base() {  # seed
  cat <<YAML
model: {hidden_size: 128, num_layers: 4, num_heads: 4, seq_len: 256, vocab_size: 257,
        qkv_tokens: 256, proj_tokens: 256, ffn_tokens: 1024}
train: {steps: $((4 * STAGE_STEPS)), global_batch: 16, micro_batch: 16, lr: $LR,
        min_lr: $(python3 -c "print($LR / 10)"), warmup_steps: 20, eval_interval: $EVAL_INTERVAL,
        eval_batches: $EVAL_BATCHES, log_interval: 16, threads: 1, seed: $1}
data: {train: [{path: $out/train}], valid: [{path: $out/valid}], tokenizer: byte}
YAML
}

stage() {  # name tokens lr growth optimizer
  printf '  - {name: %s, qkv_tokens: %d, proj_tokens: %d, ffn_tokens: %d, steps: %d, lr: %s,\n' \
    "$1" "$2" "$2" $((4 * $2)) "$STAGE_STEPS" "$3"
  printf '     min_lr: %s, warmup_steps: 20, growth: %s, optimizer: %s}\n' \
    "$(python3 -c "print($3 / 10)")" "$4" "$5"
}

config() {  # variant seed
  base "$2"
  [ "$1" = scratch ] && return
  local growth optimizer schedule later_lr
  IFS=- read -r _ growth optimizer schedule <<<"$1"
  later_lr=$LR
  [ "$schedule" = rewarm ] && later_lr=$REWARM_LR
  echo "stages:"
  stage s32 32 "$LR" "$growth" "$optimizer"
  stage s64 64 "$later_lr" "$growth" "$optimizer"
  stage s128 128 "$later_lr" "$growth" "$optimizer"
  stage s256 256 "$later_lr" "$growth" "$optimizer"
}

run() {  # variant seed
  local name="$1-seed$2"
  config "$1" "$2" >"$out/$name.yaml"
  rm -f "$out/$name.jsonl"
  "$build/launcher/tf-launch" --config "$out/$name.yaml" \
    --set "train.metrics_file=$out/$name.jsonl" >"$out/$name.log" 2>&1 ||
    { echo "FAIL: $name (log: $out/$name.log)" >&2; return 1; }
}

jobs_file=$out/jobs
: >"$jobs_file"
for seed in $SEEDS; do
  for variant in $VARIANTS; do echo "$variant $seed" >>"$jobs_file"; done
done
export -f run config base stage
export out build STAGE_STEPS LR REWARM_LR EVAL_INTERVAL EVAL_BATCHES
xargs -P "$PARALLEL" -L 1 bash -c 'run "$0" "$1"' <"$jobs_file"

"$root/tests/bench/progressive_report.py" --out "$out" --seeds $SEEDS \
  --variants $VARIANTS --figure "$out/progressive-scaling.png"
echo "settings: STAGE_STEPS=$STAGE_STEPS SEEDS='$SEEDS' PARALLEL=$PARALLEL LR=$LR" \
  "REWARM_LR=$REWARM_LR EVAL_INTERVAL=$EVAL_INTERVAL EVAL_BATCHES=$EVAL_BATCHES; took $(( ($(date +%s) - started) / 60 )) min"
