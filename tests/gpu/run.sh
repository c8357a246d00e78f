#!/usr/bin/env bash
# Usage: tests/gpu/run.sh [--build-only] OUT_DIR [BUILD_DIR]
# The checks and the benchmark of the GPU machine (docs/getting-started.md, Training on GPUs;
# docs/performance.md, GPU), in at most 9 minutes. Each check proves one thing:
#   build       the CUDA path configures and builds against the local PyTorch's LibTorch with the
#               control plane off, and CMake finds NCCL
#   nccl        tf_nccl_check: every NCCL collective against closed-form values, and training
#               through the NCCL communicator with the gradient buckets and with ZeRO-1
#   kernels     tf_kernel_check: the Pattention row kernels (three norms, fused and split at the
#               statistic) against the reference formulas (nccl.log)
#   tiny-fp32   configs/tiny.yaml on cuda has the CPU run's losses (1e-3 relative, every step): the
#               CUDA kernels compute the same model and step
#   tiny-bf16   the same in bf16 stays within 2e-2 of the cuda fp32 losses
#   150m, 1.4b-stage
#               bf16 throughput, MFU and peak memory at the released 150M shape (seq 2048 x 8) and
#               at the largest stage of configs/1.4b.yaml (seq 1024 x 4), on the synthetic corpus
#   torch-eager plain PyTorch eager (tests/bench/torch_tokenformer.py) of the same two shapes and
#               step, and the ratio tf-launch tokens/s / torch tokens/s
#   torch-compile
#               the same under torch.compile (inductor), and its ratio
# With --build-only, only the build (no GPU needed: CI runs it, tests/gpu/CMakeLists.txt).
# PyTorch is the one of $TF_PYTHON (default python3): its LibTorch is what tf-launch builds against.
# OUT_DIR gets summary.txt (environment, one PASS/FAIL line per check, figures for
# docs/performance.md) and the logs build.log, nccl.log, tiny.log, bench.log, torch.log.
# A failed check does not stop the next ones, except that nothing runs tf-launch after a failed
# build. Exits 1 if any check failed.
# A machine whose image lacks ICU or nlohmann_json (the core needs both): run tests/gpu/fetch-deps.sh
# on a Debian 12 machine first and carry .gpu-deps/ along; the packages are unpacked here.
set -uo pipefail

# Seconds for the whole run, under the device's 10-minute limit per call; and for the build alone.
# --build-only (CI, where nothing else runs and a cold build takes several minutes on 2 cores)
# raises both.
deadline=530
build_limit=300
readonly kPeakFlops=989e12  # H200 dense bf16, FLOP/s
readonly kSteps=20
readonly kFirstTimedStep=5  # medians over steps 5..20: the first steps warm up allocator and kernels

# The benchmark shapes, the same for tf-launch (as --set overrides on the config) and for torch.
# name|config|hidden layers heads qkv proj ffn vocab|seq|batch|more --set|torch eager reference
readonly kSizes=(
  "150m|configs/150m.yaml|768 12 12 768 768 3072 50277|2048|8||151k tokens/s"
  # The 1.4B stage of the progressive chain, trained on its own: the stage list goes, its token
  # counts become the model's.
  "1.4b-stage|configs/1.4b.yaml|768 12 12 9232 9232 36928 50277|1024|4|stages=[]|19k tokens/s"
)
readonly kTorchReference="PyTorch eager on an H200, 2026-11-29"

# ---- bookkeeping ---------------------------------------------------------------------------

started=$SECONDS
status=0

seconds_left() { echo $((deadline - (SECONDS - started))); }

# record PASS|FAIL NAME BEGIN DETAILS: one summary line; a FAIL makes the exit status 1.
record() {
  local verdict=$1 name=$2 begin=$3 details=$4
  [ "$verdict" = PASS ] || status=1
  printf '%s %s (%d s) | %s\n' "$verdict" "$name" $((SECONDS - begin)) "$details" | tee -a "$summary"
}

# run_logged LOG TITLE LIMIT COMMAND...: runs COMMAND for at most LIMIT seconds (less if the
# deadline is nearer); its output goes to $tmp/last.log and is appended to LOG under TITLE.
# Returns the command's status (124: timed out or no time left).
run_logged() {
  local log=$1 title=$2 limit=$3 left rc
  shift 3
  left=$(seconds_left)
  ((limit > left)) && limit=$left
  if ((limit < 5)); then
    echo "no time left (the run's deadline is $deadline s)" > "$tmp/last.log"
    rc=124
  else
    timeout --kill-after=10 "$limit" "$@" < /dev/null > "$tmp/last.log" 2>&1
    rc=$?
    ((rc == 124)) && echo "timed out after $limit s" >> "$tmp/last.log"
  fi
  { echo "==== $title (exit $rc): $(quoted "$@")"; cat "$tmp/last.log"; echo; } >> "$log"
  return $rc
}

# quoted ARGS...: the arguments as one command line to paste into a shell.
quoted() {
  local arg line=
  for arg in "$@"; do
    if [[ ! $arg =~ ^[A-Za-z0-9_./=:,+@%-]*$ ]]; then
      [[ $arg == *"'"* ]] && arg=$(printf '%q' "$arg") || arg="'$arg'"
    fi
    line+="${line:+ }$arg"
  done
  echo "$line"
}

# why_failed FILE: the line that says why a run failed: out of memory first, then the last error,
# else the last line that is not mpirun's closing banner.
why_failed() {
  local line
  line=$(grep -m1 -iE 'out of memory|OutOfMemory' "$1") ||
    line=$(grep -iE 'error|timed out|no time left|Traceback' "$1" | tail -1) ||
    line=$(grep -vE '^[-=]*$|^ |mpirun|Primary job|non-zero exit' "$1" | tail -1)
  echo "${line:0:300}"
}

# ---- tf-launch log parsing -----------------------------------------------------------------

# step_table FILE: one row per step log line: step loss tokens/s MFU% allocated_GiB reserved_GiB,
# "-" where the line has no such part (MFU needs metrics.peak_flops > 0, memory needs CUDA).
# Parts are found by their words, not their position, so new parts do not break it.
step_table() {
  awk '
    / step +[0-9]+\/[0-9]+ \| loss / {
      step = $0; sub(/.* step +/, "", step); sub(/\/.*/, "", step)
      loss = tok = mfu = alloc = reserved = "-"
      n = split($0, part, / \| /)
      for (i = 1; i <= n; ++i) {
        p = part[i]
        if (p ~ /^loss /) { loss = p; sub(/^loss /, "", loss) }
        else if (p ~ / tokens\/s$/) { tok = p; sub(/ tokens\/s$/, "", tok) }
        else if (p ~ /^MFU /) { mfu = p; sub(/^MFU /, "", mfu); sub(/%$/, "", mfu) }
        else if (p ~ /^GPU memory peak /) {
          alloc = p; sub(/^GPU memory peak /, "", alloc); sub(/ GiB allocated.*/, "", alloc)
          reserved = p; sub(/.*allocated, /, "", reserved); sub(/ GiB reserved.*/, "", reserved)
        }
      }
      print step, loss, tok, mfu, alloc, reserved
    }' "$1"
}

# median: of the numbers on stdin ("-" and blank lines ignored); prints nothing for none.
median() {
  grep -E '^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# column_median TABLE COLUMN: median of COLUMN over steps >= kFirstTimedStep.
column_median() {
  awk -v c="$2" -v first="$kFirstTimedStep" '$1 >= first { print $c }' "$1" | median
}

# peak_memory TABLE: "A GiB allocated, R GiB reserved" from the highest peak logged, or nothing.
peak_memory() {
  awk '$5 != "-" && $5 + 0 >= best { best = $5 + 0; line = $5 " GiB allocated, " $6 " GiB reserved" }
       END { if (line != "") print line }' "$1"
}

# flops_per_token FILE: the training FLOPs per token tf-launch's banner states (core/sizes.h).
flops_per_token() {
  sed -n 's/.*training FLOPs per token: \([0-9.e+]*\).*/\1/p' "$1" | head -1
}

# compare_losses REFERENCE CANDIDATE TOLERANCE STEPS: every step 1..STEPS in both tables with
# finite losses and |candidate - reference| <= TOLERANCE x |reference|. Prints the largest
# relative difference and where it is, or what is missing; status 1 when the check fails.
compare_losses() {
  awk -v tol="$3" -v steps="$4" '
    function finite(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
    NR == FNR { ref[$1] = $2; next }
    { got[$1] = $2 }
    END {
      worst = 0; at = 0
      for (s = 1; s <= steps; ++s) {
        if (!(s in ref) || !(s in got)) { printf "step %d missing\n", s; exit 1 }
        if (!finite(ref[s]) || !finite(got[s])) {
          printf "step %d: loss %s vs reference %s\n", s, got[s], ref[s]; exit 1
        }
        d = got[s] - ref[s]; if (d < 0) d = -d
        r = ref[s] < 0 ? -ref[s] : ref[s]
        rel = r > 0 ? d / r : d
        if (rel >= worst) { worst = rel; at = s }
      }
      printf "%d steps, max relative difference %.2e at step %d (loss %s vs %s, tolerance %g)\n",
             steps, worst, at, got[at], ref[at], tol
      exit !(worst <= tol)
    }' "$1" "$2"
}

# ---- the checks ----------------------------------------------------------------------------

# The versions the figures depend on (PyTorch's own CUDA and NCCL, which LibTorch links).
readonly kTorchVersions='
import torch
nccl = torch.cuda.nccl.version() if torch.cuda.is_available() else "-"
nccl = ".".join(map(str, nccl)) if isinstance(nccl, tuple) else nccl
print("torch", torch.__version__, "cuda", torch.version.cuda, "nccl", nccl)'

write_environment() {
  local commit
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || commit=unknown
  [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && commit+=" (with uncommitted changes)"
  {
    echo "env: date $(date -u '+%Y-%m-%d %H:%M UTC') | source $commit | $(nproc) cores"
    echo "env: gpu $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
    echo "env: $("$python" -c "$kTorchVersions" 2>&1 | tail -1)"
    echo "env: $(nvcc --version 2>&1 | tail -1) | $(mpirun --version 2>&1 | head -1) | $(cmake --version | head -1)"
  } | tee -a "$summary"
}

# unpack_carried: the packages tests/gpu/fetch-deps.sh put in .gpu-deps/ (ICU, nlohmann_json),
# unpacked under $tmp, as CMake hints; their libraries go on LD_LIBRARY_PATH. Nothing without them.
carried_hints=()
unpack_carried() {
  local deb deps=$tmp/deps
  compgen -G "$root/.gpu-deps/*.deb" > /dev/null || return 0
  for deb in "$root"/.gpu-deps/*.deb; do dpkg -x "$deb" "$deps"; done
  carried_hints=(-DICU_ROOT="$deps/usr" -Dnlohmann_json_DIR="$deps/usr/share/cmake/nlohmann_json")
  export LD_LIBRARY_PATH=$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "carried packages: $(cd "$root/.gpu-deps" && echo ./*.deb)" >> "$summary"
}

# build: configure and build tf-launch and the check binaries; status 1 when anything failed.
check_build() {
  local begin=$SECONDS log=$out/build.log prefix
  if ! prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>&1); then
    echo "$prefix" > "$log"
    record FAIL build "$begin" "$python cannot import torch: ${prefix:0:200}"
    return 1
  fi
  # The build type of make (CMakeLists.txt): the same objects, so ccache shares them with CI's build.
  if ! run_logged "$log" configure 120 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_PREFIX_PATH="$prefix" -DTF_WITH_CONTROL=OFF -DTF_BUILD_TESTS=OFF \
      "${carried_hints[@]}"; then
    record FAIL build "$begin" "configure: $(why_failed "$tmp/last.log")"
    return 1
  fi
  if grep -q "with CUDA: OFF" "$tmp/last.log"; then
    record FAIL build "$begin" "configure found a LibTorch without CUDA: $(grep -m1 'with CUDA' "$tmp/last.log")"
    return 1
  fi
  if ! grep -q "NCCL communicator: /" "$tmp/last.log"; then
    record FAIL build "$begin" "configure did not find NCCL: $(grep -m1 'NCCL communicator' "$tmp/last.log")"
    return 1
  fi
  if ! run_logged "$log" build "$build_limit" cmake --build "$build" -j "$(nproc)" --target tf-launch tf_nccl_check tf_kernel_check; then
    record FAIL build "$begin" "$(why_failed "$tmp/last.log")"
    return 1
  fi
  record PASS build "$begin" "$(grep -E -m2 'with CUDA|NCCL communicator' "$log" | sed 's/^-- //' | paste -sd';')"
}

# checks_binary NAME LOG COMMAND...: a check binary printing PASS/FAIL lines, exit 0 when all pass.
checks_binary() {
  local name=$1 log=$2 begin=$SECONDS passed failed
  shift 2
  run_logged "$log" "$name" 90 "$@"
  local rc=$?
  passed=$(grep -cE '^(\[[^]]*\] *)?PASS ' "$tmp/last.log")
  failed=$(grep -cE '^(\[[^]]*\] *)?FAIL ' "$tmp/last.log")
  if ((rc == 0)); then
    record PASS "$name" "$begin" "$passed checks passed, $failed failed"
  elif ((failed > 0)); then
    record FAIL "$name" "$begin" "exit $rc, $passed checks passed, $failed failed: $(grep -m3 -E '^(\[[^]]*\] *)?FAIL ' "$tmp/last.log" | paste -sd';')"
  else
    record FAIL "$name" "$begin" "exit $rc, $passed checks passed: $(why_failed "$tmp/last.log")"
  fi
}

# nccl: every collective, and training through NCCL with buckets and ZeRO-1 against the CPU.
check_nccl() { checks_binary nccl "$out/nccl.log" "${mpirun[@]}" "$build/tests/gpu/tf_nccl_check"; }
# kernels: the l2_norm_gelu row kernels against the LibTorch path (fp32 1e-5, bf16 1e-2).
check_kernels() { checks_binary kernels "$out/nccl.log" "$build/tests/gpu/tf_kernel_check"; }

# tiny_run NAME SETS...: trains configs/tiny.yaml for kSteps steps, logging every step, into
# tiny.log; leaves the step table in $tmp/NAME.steps. Status: tf-launch's.
tiny_run() {
  local name=$1
  shift
  run_logged "$out/tiny.log" "tiny $name" 90 "${tf_launch[@]}" --config "$root/configs/tiny.yaml" \
    --set train.steps=$kSteps "${quiet_sets[@]}" "$@"
  local rc=$?
  cp "$tmp/last.log" "$tmp/$name.log"
  step_table "$tmp/$name.log" > "$tmp/$name.steps"
  return $rc
}

check_tiny() {
  local begin=$SECONDS cpu_ok=1 cuda_ok=1 result
  tiny_run cpu --set train.device=cpu || cpu_ok=0
  tiny_run cuda --set train.device=cuda || cuda_ok=0
  if ((!cpu_ok)); then
    record FAIL tiny-fp32 "$begin" "cpu run: $(why_failed "$tmp/cpu.log")"
  elif ((!cuda_ok)); then
    record FAIL tiny-fp32 "$begin" "cuda run: $(why_failed "$tmp/cuda.log")"
  elif result=$(compare_losses "$tmp/cpu.steps" "$tmp/cuda.steps" 1e-3 $kSteps); then
    record PASS tiny-fp32 "$begin" "cuda vs cpu: $result"
  else
    record FAIL tiny-fp32 "$begin" "cuda vs cpu: $result"
  fi

  begin=$SECONDS
  if ! tiny_run bf16 --set train.device=cuda --set train.precision=bf16; then
    record FAIL tiny-bf16 "$begin" "$(why_failed "$tmp/bf16.log")"
  elif ((!cuda_ok)); then
    record FAIL tiny-bf16 "$begin" "ran, but there are no cuda fp32 losses to compare with"
  elif result=$(compare_losses "$tmp/cuda.steps" "$tmp/bf16.steps" 2e-2 $kSteps); then
    record PASS tiny-bf16 "$begin" "bf16 vs fp32 on cuda: $result"
  else
    record FAIL tiny-bf16 "$begin" "bf16 vs fp32 on cuda: $result"
  fi
}

# size_field SIZE INDEX: field INDEX (1-based) of a kSizes entry.
size_field() { cut -d'|' -f"$2" <<<"$1"; }

# model_sets SIZE: the --set flags that give tf-launch the entry's shape, batch and sequence.
model_sets() {
  local hidden layers heads qkv proj ffn vocab seq batch extra
  read -r hidden layers heads qkv proj ffn vocab <<<"$(size_field "$1" 3)"
  seq=$(size_field "$1" 4)
  batch=$(size_field "$1" 5)
  extra=$(size_field "$1" 6)
  printf '%s\n' --set model.hidden_size="$hidden" --set model.num_layers="$layers" \
    --set model.num_heads="$heads" --set model.qkv_tokens="$qkv" --set model.proj_tokens="$proj" \
    --set model.ffn_tokens="$ffn" --set model.vocab_size="$vocab" --set model.seq_len="$seq" \
    --set train.micro_batch="$batch" --set train.global_batch="$batch"
  [ -z "$extra" ] || printf '%s\n' --set "$extra"
}

# check_size SIZE: kSteps bf16 steps of tf-launch at that size; records tokens/s, MFU, memory.
check_size() {
  local size=$1 name begin=$SECONDS sets
  name=$(size_field "$size" 1)
  mapfile -t sets < <(model_sets "$size")
  # Synthetic data (the configs name corpus files that are not here), no checkpoints, one
  # validation batch at the end.
  local command=("${tf_launch[@]}" --config "$root/$(size_field "$size" 2)" "${sets[@]}"
    --set train.steps="$kSteps" --set train.precision=bf16 --set train.device=cuda
    --set 'data.train=[]' --set data.tokenizer=byte --set train.eval_batches=1
    --set metrics.peak_flops="$kPeakFlops" "${quiet_sets[@]}")
  commands+=("$(quoted "${command[@]}" | sed "s|$root/||g")")
  run_logged "$out/bench.log" "$name" 150 "${command[@]}"
  local rc=$?
  step_table "$tmp/last.log" > "$tmp/$name.steps"
  local tok mfu_log memory fpt
  tok=$(column_median "$tmp/$name.steps" 3)
  mfu_log=$(column_median "$tmp/$name.steps" 4)
  memory=$(peak_memory "$tmp/$name.steps")
  fpt=$(flops_per_token "$tmp/last.log")
  if ((rc != 0)) || [ -z "$tok" ]; then
    record FAIL "$name" "$begin" "exit $rc: $(why_failed "$tmp/last.log")"
    return
  fi
  tf_tok[$name]=$tok
  local mfu=-
  [ -n "$fpt" ] && mfu=$(awk -v t="$tok" -v f="$fpt" -v p="$kPeakFlops" 'BEGIN { printf "%.1f%%", 100 * t * f / p }')
  figures[$name]="$fpt|$tok|$mfu|${memory:--}"
  record PASS "$name" "$begin" "$(printf '%.0f' "$tok") tokens/s (median of steps $kFirstTimedStep-$kSteps) | MFU $mfu of 989 TFLOP/s (log: ${mfu_log:--}%) | $fpt FLOPs/token | peak ${memory:-(no GPU memory in the log)}"
}

# check_torch SIZE MODE: the same shape and step in plain PyTorch, eager or compile (torch.compile),
# bf16 autocast on cuda.
check_torch() {
  local size=$1 mode=$2 name begin=$SECONDS
  name=$(size_field "$size" 1)
  local hidden layers heads qkv proj ffn vocab
  read -r hidden layers heads qkv proj ffn vocab <<<"$(size_field "$size" 3)"
  local flags=()
  [ "$mode" = compile ] && flags=(--compile)
  local command=("$python" "$root/tests/bench/torch_tokenformer.py" --hidden "$hidden"
    --layers "$layers" --heads "$heads" --qkv "$qkv" --proj "$proj" --ffn "$ffn" --vocab "$vocab"
    --seq "$(size_field "$size" 4)" --micro-batch "$(size_field "$size" 5)" --accumulation 1
    --steps "$kSteps" --skip "$((kFirstTimedStep - 1))" --device cuda --precision bf16 "${flags[@]}")
  commands+=("$(quoted "${command[@]}" | sed "s|$root/||g")")
  run_logged "$out/torch.log" "torch $mode $name" 150 "${command[@]}"
  local rc=$?
  local tok memory
  tok=$(sed -n 's/^torch tokens\/s \([0-9.]*\) .*/\1/p' "$tmp/last.log")
  memory=$(sed -n 's/^torch tokens\/s .* peak_memory_gib \([0-9.]*\).*/\1/p' "$tmp/last.log")
  if ((rc != 0)) || [ -z "$tok" ]; then
    record FAIL "torch-$mode/$name" "$begin" "exit $rc: $(why_failed "$tmp/last.log")"
    return
  fi
  local ratio=-
  [ -n "${tf_tok[$name]:-}" ] &&
    ratio=$(awk -v a="${tf_tok[$name]}" -v b="$tok" 'BEGIN { printf "%.2f", a / b }')
  torch_figures[$name/$mode]="$tok|$memory GiB|$ratio"
  local reference=
  [ "$mode" = eager ] && reference=" | reference ($kTorchReference): $(size_field "$size" 7)"
  record PASS "torch-$mode/$name" "$begin" "$tok tokens/s | peak $memory GiB allocated | tf-launch / torch $ratio$reference"
}

# The figures of this run as a docs/performance.md table, and the commands that gave them.
write_figures() {
  {
    echo
    echo "figures: $(date -u +%Y-%m-%d), $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1), bf16, $kSteps steps, medians of steps $kFirstTimedStep-$kSteps, MFU of 989 TFLOP/s"
    echo "| shape | seq x batch | training FLOPs/token | tf-launch tokens/s | MFU | tf-launch peak memory | torch eager tokens/s | eager peak allocated | tf-launch / eager | torch.compile tokens/s | compile peak allocated | tf-launch / compile |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    local size name fpt tok mfu memory etok ememory eratio ctok cmemory cratio
    for size in "${kSizes[@]}"; do
      name=$(size_field "$size" 1)
      IFS='|' read -r fpt tok mfu memory <<<"${figures[$name]:-"-|-|-|-"}"
      IFS='|' read -r etok ememory eratio <<<"${torch_figures[$name/eager]:-"-|-|-"}"
      IFS='|' read -r ctok cmemory cratio <<<"${torch_figures[$name/compile]:-"-|-|-"}"
      [ "$tok" = - ] || tok=$(printf '%.0f' "$tok")
      echo "| $name | $(size_field "$size" 4) x $(size_field "$size" 5) | $fpt | $tok | $mfu | $memory | $etok | $ememory | $eratio | $ctok | $cmemory | $cratio |"
    done
    echo "commands (from the repository root):"
    printf '  %s\n' "${commands[@]}"
  } | tee -a "$summary"
}

main() {
  local build_only=0
  [ "${1:-}" = --build-only ] && { build_only=1; shift; }
  out=${1:?usage: tests/gpu/run.sh [--build-only] OUT_DIR [BUILD_DIR]}
  mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 2
  root=$(cd "$(dirname "$0")/../.." && pwd)
  build=${2:-$root/build-gpu}
  python=${TF_PYTHON:-python3}
  summary=$out/summary.txt
  : > "$summary"
  rm -f "$out"/{build,nccl,tiny,bench,torch}.log  # the groups' logs are appended to
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # LibTorch's CMake config looks for nvcc and the GPU's architecture (H200: 9.0); name both.
  [ -d /usr/local/cuda/bin ] && PATH=/usr/local/cuda/bin:$PATH
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
  mpirun=(mpirun --allow-run-as-root --oversubscribe -np 1)
  tf_launch=("${mpirun[@]}" "$build/launcher/tf-launch")
  # Every tf-launch run: a line per step, no validation until the end, no checkpoints, no server.
  quiet_sets=(--set train.log_interval=1 --set train.eval_interval=0 --set checkpoint.dir=
    --set control.address=)
  declare -gA tf_tok=() figures=() torch_figures=()
  commands=()

  if ((build_only)); then
    deadline=1800
    build_limit=1700
    check_build
    exit $status
  fi
  write_environment
  unpack_carried
  local size
  if check_build; then
    check_nccl
    check_kernels
    check_tiny
    for size in "${kSizes[@]}"; do check_size "$size"; done
  else
    local name
    for name in nccl kernels tiny-fp32 tiny-bf16; do record FAIL "$name" "$SECONDS" "not run: the build failed"; done
    for size in "${kSizes[@]}"; do
      record FAIL "$(size_field "$size" 1)" "$SECONDS" "not run: the build failed"
    done
  fi
  for size in "${kSizes[@]}"; do check_torch "$size" eager; done
  # Compiles take a minute or more each: after every eager figure, so a short slot keeps those.
  for size in "${kSizes[@]}"; do check_torch "$size" compile; done
  write_figures
  echo "total $((SECONDS - started)) s; $(grep -c '^FAIL' "$summary") check(s) failed" | tee -a "$summary"
  exit $status
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
