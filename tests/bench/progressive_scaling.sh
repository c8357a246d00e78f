#!/usr/bin/env bash
# Growth recipes measured (docs/progressive-scaling.md, The experiment): a chain growing a small
# TokenFormer to a target size in four stages, each doubling every token count, against the target
# size trained from scratch on the same data for as many steps as the whole chain. Phase 1 runs
# the paper's recipe and every single change from it (growth policy, optimizer rule, re-warm peak,
# noise, freezing); phase 2 runs the combination of the changes that lowered the mean final loss
# (tests/bench/progressive_report.py --best). Every run is repeated for SEEDS seeds and writes its
# metrics file (train.metrics_file) under OUT; the report prints the final validation loss per run
# (mean, std, min-max over seeds), the share of the scratch FLOPs each chain needs to reach the
# same seed's scratch final loss, the seeds that reach it, the jump at each growth, and draws
# validation loss against cumulative FLOPs. Not run by ctest. About 50 minutes on 2 cores.
#
#   [OUT=dir] tests/bench/progressive_scaling.sh [BUILD_DIR]
set -euo pipefail

# --- settings -------------------------------------------------------------------------------
STAGE_STEPS=${STAGE_STEPS:-200}     # optimizer steps per chain stage; scratch: 4 x STAGE_STEPS
EVAL_INTERVAL=${EVAL_INTERVAL:-25}  # steps between validation passes
EVAL_BATCHES=${EVAL_BATCHES:-4}     # micro batches of 16 sequences per validation pass
SEEDS=${SEEDS:-"1 2 3 4 5"}         # train.seed: initialisation and data order
PARALLEL=${PARALLEL:-2}             # runs at a time, one thread each
LR=${LR:-3.0e-3}                    # peak learning rate (scratch, and every stage's warm-up)
WARMUP=${WARMUP:-20}                # warm-up steps of scratch and of every stage
NOISE=${NOISE:-0.02}                # the `noise` change: relative to each old row's RMS
FREEZE=${FREEZE:-$((STAGE_STEPS / 4))}  # the `freeze` change: steps the old tokens stay fixed
LOW_PEAK=${LOW_PEAK:-0.5}           # the `low-peak` change: stages 2-4 re-warm to this x LR
PHASE1=${PHASE1:-"scratch paper zero preserve carry low-peak noise freeze"}
# Model: d 64, 4 layers, 4 heads, seq 128, byte-level tokens (a 257-row embedding, so the
# compute goes into the Pattentions); chain qkv = proj tokens 16 -> 32 -> 64 -> 128,
# ffn = 4 x qkv.
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
model: {hidden_size: 64, num_layers: 4, num_heads: 4, seq_len: 128, vocab_size: 257,
        qkv_tokens: 128, proj_tokens: 128, ffn_tokens: 512}
train: {steps: $((4 * STAGE_STEPS)), global_batch: 16, micro_batch: 16, lr: $LR,
        min_lr: $(python3 -c "print($LR / 10)"), warmup_steps: $WARMUP,
        eval_interval: $EVAL_INTERVAL, eval_batches: $EVAL_BATCHES, log_interval: 50, threads: 1,
        seed: $1}
data: {train: [{path: $out/train}], valid: [{path: $out/valid}], tokenizer: byte}
YAML
}

# The recipe of a variant, as KEY=VALUE words: growth, optimizer, peak (x LR for stages 2-4),
# noise, freeze. `paper` is the authors' recipe; each other phase-1 variant changes one thing.
recipe() {  # variant
  local growth=normal optimizer=reset peak=1 noise=0 freeze=0
  case "$1" in
    paper) ;;
    zero | preserve) growth=$1 ;;
    carry) optimizer=carry ;;
    low-peak) peak=$LOW_PEAK ;;
    noise) noise=$NOISE ;;
    freeze) freeze=$FREEZE ;;
    best) eval "$(cat "$out/best.recipe")" ;;
    *) echo "unknown variant $1" >&2; return 1 ;;
  esac
  echo "growth=$growth optimizer=$optimizer peak=$peak noise=$noise freeze=$freeze"
}

stage() {  # name tokens lr growth optimizer noise freeze
  printf '  - {name: %s, qkv_tokens: %d, proj_tokens: %d, ffn_tokens: %d, steps: %d, lr: %s,\n' \
    "$1" "$2" "$2" $((4 * $2)) "$STAGE_STEPS" "$3"
  printf '     min_lr: %s, warmup_steps: %d' "$(python3 -c "print($3 / 10)")" "$WARMUP"
  if [ -n "${4:-}" ]; then
    printf ',\n     growth: %s, optimizer: %s, noise: %s, freeze_old_steps: %d' "$4" "$5" "$6" "$7"
  fi
  printf '}\n'
}

config() {  # variant seed
  base "$2"
  [ "$1" = scratch ] && return
  local growth optimizer peak noise freeze later
  eval "$(recipe "$1")"
  later=$(python3 -c "print($LR * $peak)")
  echo "stages:"
  stage s16 16 "$LR"
  for tokens in 32 64 128; do
    stage "s$tokens" "$tokens" "$later" "$growth" "$optimizer" "$noise" "$freeze"
  done
}

run() {  # variant seed
  local name="$1-seed$2"
  config "$1" "$2" >"$out/$name.yaml"
  rm -f "$out/$name.jsonl"
  "$build/launcher/tf-launch" --config "$out/$name.yaml" \
    --set "train.metrics_file=$out/$name.jsonl" >"$out/$name.log" 2>&1 ||
    { echo "FAIL: $name (log: $out/$name.log)" >&2; return 1; }
}

run_all() {  # variants...
  local jobs_file=$out/jobs
  : >"$jobs_file"
  for seed in $SEEDS; do
    for variant in "$@"; do echo "$variant $seed" >>"$jobs_file"; done
  done
  xargs -P "$PARALLEL" -L 1 bash -c 'run "$0" "$1"' <"$jobs_file"
}

export -f run config base stage recipe
export out build STAGE_STEPS LR WARMUP NOISE FREEZE LOW_PEAK EVAL_INTERVAL EVAL_BATCHES

report=$root/tests/bench/progressive_report.py
run_all $PHASE1
phase1_min=$(( ($(date +%s) - started) / 60 ))
# Phase 2: the changes that lowered the mean final loss, together.
"$report" --out "$out" --seeds $SEEDS --variants $PHASE1 --best >"$out/best.recipe"
echo "best combination: $(cat "$out/best.recipe")"
run_all best

"$report" --out "$out" --seeds $SEEDS --variants $PHASE1 best \
  --recipes "$(for v in $PHASE1 best; do [ "$v" = scratch ] || echo "$v: $(recipe "$v")"; done)" \
  --figure "$out/progressive-scaling.png"
echo "settings: STAGE_STEPS=$STAGE_STEPS SEEDS='$SEEDS' PARALLEL=$PARALLEL LR=$LR WARMUP=$WARMUP" \
  "NOISE=$NOISE FREEZE=$FREEZE LOW_PEAK=$LOW_PEAK EVAL_INTERVAL=$EVAL_INTERVAL" \
  "EVAL_BATCHES=$EVAL_BATCHES; phase 1 took $phase1_min min, all $(( ($(date +%s) - started) / 60 )) min"
