#!/usr/bin/env bash
# The paper's claim in miniature (SPEC.md section 4): a chain that grows a small TokenFormer to a
# target size in three stages, against the target size trained from scratch on the same data.
# Prints, for each run, the final validation loss and the training FLOPs spent, and the share of
# the from-scratch FLOPs the chain needed to reach the from-scratch final loss. Compares the
# growth policies. About 10 minutes on 2 CPU cores (STEPS=600).
#
#   [STEPS=600] [SEED=1234] tests/bench/progressive_scaling.sh [CORPUS.txt] [BUILD_DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-$root/../shared/data/tinyshakespeare.txt}
build=${2:-$root/build}
steps=${STEPS:-600}               # from-scratch length; each chain stage gets steps / 3
seed=${SEED:-1234}                # train.seed: initialisation and data order
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1

"$build/launcher/tf-data" build --input "$corpus" --format text --tokenizer byte \
  --output "$work/corpus" --append-eod >/dev/null

cat >"$work/base.yaml" <<YAML
model: {hidden_size: 64, num_layers: 2, num_heads: 4, seq_len: 64, vocab_size: 257,
        qkv_tokens: 64, proj_tokens: 64, ffn_tokens: 256}
train: {steps: $steps, global_batch: 16, micro_batch: 16, lr: 3.0e-3, min_lr: 3.0e-4,
        warmup_steps: 10, eval_interval: 20, eval_batches: 8, log_interval: 100, threads: 1,
        seed: $seed}
data: {train: [{path: $work/corpus}], tokenizer: byte, valid_fraction: 0.02}
YAML

chain_stages() {  # growth policy
  local third=$((steps / 3))
  cat <<YAML
stages:
  - {name: s16, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 64, steps: $third,
     lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 10}
  - {name: s32, qkv_tokens: 32, proj_tokens: 32, ffn_tokens: 128, steps: $third,
     lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 10, growth: $1}
  - {name: s64, qkv_tokens: 64, proj_tokens: 64, ffn_tokens: 256, steps: $third,
     lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 10, growth: $1}
YAML
}

# "FLOPS LOSS" per validation line of a run's log.
curve() { sed -n 's/.*validation loss \([0-9.]*\) | training FLOPs so far \([0-9.e+]*\).*/\2 \1/p' "$1"; }

"$build/launcher/tf-launch" --config "$work/base.yaml" >"$work/scratch.log"
read -r scratch_flops scratch_loss < <(curve "$work/scratch.log" | tail -1)
printf '%-26s %12s %14s %s\n' run "final loss" "train FLOPs" "FLOPs to reach scratch loss"
printf '%-26s %12.4f %14.4e %s\n' "scratch (64/256)" "$scratch_loss" "$scratch_flops" "1.00 (by definition)"

for policy in normal zero preserve; do
  { cat "$work/base.yaml"; chain_stages "$policy"; } >"$work/chain-$policy.yaml"
  "$build/launcher/tf-launch" --config "$work/chain-$policy.yaml" >"$work/chain-$policy.log"
  read -r flops loss < <(curve "$work/chain-$policy.log" | tail -1)
  reach=$(curve "$work/chain-$policy.log" | awk -v target="$scratch_loss" -v total="$scratch_flops" \
    '$2 <= target { printf "%.2f of scratch", $1 / total; found = 1; exit }
     END { if (!found) print "not reached" }')
  printf '%-26s %12.4f %14.4e %s\n' "chain 16->32->64 $policy" "$loss" "$flops" "$reach"
done
