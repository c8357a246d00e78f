#!/usr/bin/env bash
# Usage: tests/gpu/run_gpu_checks.sh OUT_DIR
# For the GPU machine (DESIGN.md, GPU build): configures and builds the CUDA path against the CUDA
# LibTorch of the local PyTorch with the control plane off, then runs a single-rank NCCL collective
# check and a short training check. Writes configure/build logs, each check's output and
# summary.txt (one PASS/FAIL line per stage) to OUT_DIR; exits non-zero if any stage failed.
set -uo pipefail
out=${1:?usage: run_gpu_checks.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-gpu
summary=$out/summary.txt
: > "$summary"
status=0

stage() {  # name command... : runs command with output to OUT_DIR/name.log, records PASS/FAIL
  local name=$1
  shift
  local start=$(date +%s)
  if "$@" > "$out/$name.log" 2>&1; then
    echo "PASS $name ($(( $(date +%s) - start )) s)" | tee -a "$summary"
  else
    echo "FAIL $name ($(( $(date +%s) - start )) s, see $name.log)" | tee -a "$summary"
    status=1
  fi
}

{
  echo "date: $(date -u)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1
} > "$out/environment.txt"

prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
stage configure cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DTF_WITH_CONTROL=OFF -DTF_WITH_CUDA=ON -DTF_WITH_NCCL=ON \
  -DTF_BUILD_TESTS=OFF
grep -q "NCCL communicator: /" "$out/configure.log" || { echo "FAIL nccl-found" | tee -a "$summary"; status=1; }
stage build cmake --build "$build" -j "$(nproc)" --target tf_nccl_check tf-launch
mpirun=(mpirun --allow-run-as-root --oversubscribe -np 1)
stage nccl-check "${mpirun[@]}" "$build/tests/gpu/tf_nccl_check"

# Training check: the tiny config for 60 steps; the loss at the end must be below the first one.
stage train "${mpirun[@]}" "$build/launcher/tf-launch" --config "$root/configs/tiny.yaml" \
  --set train.steps=60 --set train.log_interval=10 --set train.eval_interval=0
if [ -f "$out/train.log" ]; then
  losses=$(grep -o 'loss [0-9.]*' "$out/train.log" | awk '{print $2}')
  first=$(echo "$losses" | head -1)
  last=$(echo "$losses" | tail -1)
  if [ -n "$first" ] && awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'; then
    echo "PASS train-loss-falls ($first -> $last)" | tee -a "$summary"
  else
    echo "FAIL train-loss-falls (${first:-none} -> ${last:-none})" | tee -a "$summary"
    status=1
  fi
fi
exit $status
