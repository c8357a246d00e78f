#!/usr/bin/env bash
# Usage: tests/bench/cpu_step_bench.sh [BUILD_DIR] [STEPS]
# One training step of tf-launch against the same step in plain PyTorch, eager and under
# torch.compile (inductor on the CPU), with tests/bench/torch_tokenformer.py on the PyTorch of the
# project's Python environment: the same LibTorch and oneMKL as tf-launch, the same model shape,
# micro batches, thread count and precision (fp32 and bf16), side by side in one run. Prints the
# median seconds per step of each and the ratios torch / tf-launch (above 1: tf-launch is faster),
# and beside tf-launch the same run with its Pattention rows on the unfused LibTorch formulas
# (TF_PATTENTION_ROWS=reference), with the peak resident set of both (/usr/bin/time).
# Medians over STEPS steps (default 12), the first three left out (torch.compile compiles in the
# first). The last shape is one layer of configs/150m.yaml (d 768, 12 heads, tokens 768/768/3072)
# at seq 1024, micro batch 2, with the byte vocabulary. Not run by ctest: timings need a quiet
# machine. On 2 cores without native bf16 most of the time goes to PyTorch's bf16 rows (about 18 s
# per step at d256), so STEPS 8 takes about 40 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
steps=${2:-12}
readonly skip=3
python=$(scripts/python-env.sh python)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -c 'import torch' 2>/dev/null ||
  { echo "no PyTorch in $python: run scripts/install-deps.sh" >&2; exit 2; }

# name | model sets | micro batch | accumulation
shapes=(
  "tiny (configs/tiny.yaml)|hidden_size=64 num_layers=2 num_heads=4 qkv_tokens=64 proj_tokens=64 ffn_tokens=256 seq_len=64|8|2"
  "d256 x 4 layers, seq 256|hidden_size=256 num_layers=4 num_heads=4 qkv_tokens=256 proj_tokens=256 ffn_tokens=1024 seq_len=256|8|1"
  "150M layer (d768), seq 1024|hidden_size=768 num_layers=1 num_heads=12 qkv_tokens=768 proj_tokens=768 ffn_tokens=3072 seq_len=1024|2|1"
)

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# torch_step THREADS PRECISION [--compile]: torch_tokenformer.py's median seconds per step; its
# messages (inductor's warnings among them) go to $work/torch.log, which a failure prints.
torch_step() {
  local threads=$1 precision=$2
  shift 2
  OMP_NUM_THREADS=$threads "$python" tests/bench/torch_tokenformer.py \
    --hidden "${m[hidden_size]}" --layers "${m[num_layers]}" --heads "${m[num_heads]}" \
    --qkv "${m[qkv_tokens]}" --proj "${m[proj_tokens]}" --ffn "${m[ffn_tokens]}" \
    --seq "${m[seq_len]}" --micro-batch "$micro" --accumulation "$accumulation" \
    --steps "$steps" --skip "$skip" --threads "$threads" --precision "$precision" "$@" \
    2>"$work/torch.log" | sed -n 's/^torch median step \([0-9.]*\) s.*/\1/p'
  [ "${PIPESTATUS[0]}" -eq 0 ] || { cat "$work/torch.log" >&2; return 1; }
}

# tf_step THREADS PRECISION: tf-launch's median seconds per step and its peak resident set (KiB).
tf_step() {
  local threads=$1 precision=$2 tokens=$((micro * accumulation * m[seq_len]))
  local log
  log=$(OMP_NUM_THREADS=$threads /usr/bin/time -f 'peak_rss_kib %M' \
    "$build/launcher/tf-launch" --config configs/tiny.yaml \
    "${sets[@]}" --set train.steps="$steps" --set train.micro_batch="$micro" \
    --set train.global_batch=$((micro * accumulation)) --set train.eval_interval=0 \
    --set train.log_interval=1 --set train.threads="$threads" \
    --set train.precision="$precision" --set control.address= 2>&1)
  echo "$(sed -n 's/.*step *\([0-9]*\)\/[0-9]* | loss.* | \([0-9.]*\) tokens\/s.*/\1 \2/p' <<<"$log" |
    awk -v t="$tokens" -v skip="$skip" '$1 > skip { print t / $2 }' | median)" \
    "$(sed -n 's/^peak_rss_kib //p' <<<"$log")"
}

echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)'), $(nproc) cores, $steps steps (median of steps $((skip + 1))-$steps)"
echo "tf-launch: $("$build/launcher/tf-launch" --config configs/tiny.yaml --dry-run --set control.address= 2>&1 | sed -n 's/.*\] \(tokenformer .*\)/\1/p' | head -1)"
printf '%-30s %7s %9s %12s %12s %12s %12s %8s %8s %10s %10s\n' shape threads precision \
  "tf-launch s" "unfused s" "eager s" "compile s" eager/tf compile/tf "rss MiB" "unfused MiB"
for shape in "${shapes[@]}"; do
  IFS='|' read -r name model micro accumulation <<<"$shape"
  declare -A m=()
  sets=()
  for kv in $model; do
    m[${kv%%=*}]=${kv#*=}
    sets+=(--set "model.$kv")
  done
  for precision in fp32 bf16; do
    for threads in 1 2; do
      tf=$(tf_step "$threads" "$precision")
      unfused=$(TF_PATTENTION_ROWS=reference tf_step "$threads" "$precision")
      eager=$(torch_step "$threads" "$precision")
      compiled=$(torch_step "$threads" "$precision" --compile)
      awk -v n="$name" -v th="$threads" -v p="$precision" -v a="${tf% *}" -v u="${unfused% *}" \
        -v b="$eager" -v c="$compiled" -v ra="${tf#* }" -v ru="${unfused#* }" \
        'BEGIN { printf "%-30s %7d %9s %12.4f %12.4f %12.4f %12.4f %8.2f %8.2f %10d %10d\n",
                 n, th, p, a, u, b, c, b / a, c / a, ra / 1024, ru / 1024 }'
    done
  done
done
