# shellcheck shell=bash
# Helpers for the Slurm tests (sourced). They run against the one-node cluster that
# tests/slurm/cluster.sh started (the slurm_cluster fixture); every wait is bounded, and cleanup
# cancels the jobs the script submitted.
source "$(dirname "${BASH_SOURCE[0]}")/../strict.sh"
source "$(dirname "${BASH_SOURCE[0]}")/jobs.sh"

: "${TF_LAUNCH:?path of tf-launch}"
: "${TF_SOURCE_DIR:?source directory}"
: "${SLURM_CONF:?slurm.conf of the test cluster (tests/slurm/cluster.sh start DIR)}"
if [ ! -f "$SLURM_CONF" ] || ! command -v sbatch >/dev/null; then
  echo "FAIL: no test cluster at $SLURM_CONF (or no sbatch): see the slurm_cluster_start test" >&2
  exit 1
fi

# What the batch script reads (sbatch passes this environment on to the jobs).
export TF_REPO=$TF_SOURCE_DIR TF_LAUNCH TF_MPIRUN_ARGS=--allow-run-as-root
unset TF_LAUNCHER TF_LOG_DIR TF_PROMETHEUS_TARGETS TF_METRICS_PORT
SBATCH_SCRIPT=$TF_SOURCE_DIR/deploy/slurm/tokenformer.sbatch

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tf-slurm.XXXXXX")
JOBS=()

cleanup() {
  if [ ${#JOBS[@]} -gt 0 ]; then
    scancel "${JOBS[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 30)) id
    for id in "${JOBS[@]}"; do
      while squeue -h -j "$id" -o %i 2>/dev/null | grep -q .; do
        [ $SECONDS -lt $deadline ] || { echo "job $id still listed after cancel" >&2; break; }
        sleep 0.2
      done
    done
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
  local f
  echo "FAIL: $*" >&2
  for f in "$WORK"/logs/*.log "$WORK"/*.out; do
    [ -s "$f" ] || continue
    echo "--- $f (last 25 lines)" >&2
    tail -25 "$f" >&2
  done
  exit 1
}

# submit VAR SBATCH-ARGS...: sbatch --parsable from $WORK; sets VAR to the job id and remembers
# the job for cleanup (not in a command substitution, whose subshell would forget it).
submit() {
  local var=$1 id
  shift
  id=$(cd "$WORK" && sbatch --parsable "$@") || fail "sbatch $* failed"
  JOBS+=("$id")
  printf -v "$var" '%s' "$id"
}

# epoch TIME: seconds since 1970 of a Slurm time stamp (2026-12-02T22:13:47).
epoch() { date -d "$1" +%s; }

# The tiny run of the tests: 150 steps, every step logged, no validation in between.
TINY_ARGS=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set train.steps=150
           --set train.log_interval=1 --set train.eval_interval=0 --set control.address=)
# One node, two ranks, one (fake) GPU each.
TWO_RANKS=(--nodes=1 --ntasks=2 --ntasks-per-node=2 --gpus-per-node=2)
