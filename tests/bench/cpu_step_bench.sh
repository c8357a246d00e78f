#!/usr/bin/env bash
# Usage: tests/bench/cpu_step_bench.sh [BUILD_DIR] [STEPS]
# One training step of tf-launch against the same step in plain PyTorch eager
# (tests/bench/torch_tokenformer.py on Debian's python3-torch: same BLAS, same model shape, same
# micro batches, same thread count), side by side in one run, as the ratio torch / tf-launch
# (above 1: tf-launch is faster). Medians over STEPS steps (default 12), the first two left out.
# Not run by ctest: timings need a quiet machine. Needs python3-torch
# (scripts/install-deps.sh --bench installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
steps=${2:-12}
python=/usr/bin/python3
"$python" -c 'import torch' 2>/dev/null || { echo "no python3-torch: scripts/install-deps.sh --bench" >&2; exit 2; }

# name | model sets | micro batch | accumulation
shapes=(
  "tiny (configs/tiny.yaml)|hidden_size=64 num_layers=2 num_heads=4 qkv_tokens=64 proj_tokens=64 ffn_tokens=256 seq_len=64|8|2"
  "d256 x 4 layers, seq 256|hidden_size=256 num_layers=4 num_heads=4 qkv_tokens=256 proj_tokens=256 ffn_tokens=1024 seq_len=256|8|1"
)

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "BLAS: $(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')"
printf '%-26s %7s %12s %12s %8s\n' shape threads "tf-launch s" "torch s" ratio
for shape in "${shapes[@]}"; do
  IFS='|' read -r name model micro accumulation <<<"$shape"
  declare -A m=()
  sets=()
  for kv in $model; do
    m[${kv%%=*}]=${kv#*=}
    sets+=(--set "model.$kv")
  done
  for threads in 1 2; do
    log=$(OMP_NUM_THREADS=$threads "$build/launcher/tf-launch" --config configs/tiny.yaml "${sets[@]}" \
      --set train.steps="$steps" --set train.micro_batch="$micro" \
      --set train.global_batch=$((micro * accumulation)) --set train.eval_interval=0 \
      --set train.log_interval=1 --set train.threads="$threads" --set control.address= 2>&1)
    tokens=$((micro * accumulation * m[seq_len]))
    tf=$(sed -n 's/.*step *\([0-9]*\)\/[0-9]* | loss.* | \([0-9.]*\) tokens\/s.*/\1 \2/p' <<<"$log" |
      awk -v t="$tokens" '$1 > 2 { print t / $2 }' | median)
    torch=$(OMP_NUM_THREADS=$threads "$python" tests/bench/torch_tokenformer.py \
      --hidden "${m[hidden_size]}" --layers "${m[num_layers]}" --heads "${m[num_heads]}" \
      --qkv "${m[qkv_tokens]}" --proj "${m[proj_tokens]}" --ffn "${m[ffn_tokens]}" \
      --seq "${m[seq_len]}" --micro-batch "$micro" --accumulation "$accumulation" \
      --steps "$steps" --threads "$threads" | sed -n 's/^torch median step \([0-9.]*\) s.*/\1/p')
    awk -v n="$name" -v th="$threads" -v a="$tf" -v b="$torch" \
      'BEGIN { printf "%-26s %7d %12.4f %12.4f %8.2f\n", n, th, a, b, b / a }'
  done
done
