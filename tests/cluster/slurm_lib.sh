# shellcheck shell=bash
# Helpers for the Slurm tests on the test hosts (sourced): a cluster of 2 test hosts
# (tests/cluster/lib.sh) with a Slurm cluster on them (tests/slurm/cluster.sh start DIR HOSTS):
# slurmctld on node1, one slurmd per host. Slurm's commands work inside the hosts only, so sbatch,
# squeue, scontrol and scancel here run on node1, as on a login node. Every wait is bounded; the
# jobs, the daemons and the hosts are removed however the script ends.
here=$(dirname "${BASH_SOURCE[0]}")
export TF_E2E_DIR=${TF_E2E_DIR:-$here/../e2e}
source "$here/../e2e/lib.sh"
source "$here/lib.sh"
source "$here/../slurm/jobs.sh"
JOB_POLL_SECONDS=0.5  # each look enters node1
: "${TF_SOURCE_DIR:?source directory}"
command -v sbatch >/dev/null || fail "no sbatch: install slurm-wlm and munge (scripts/install-deps.sh)"

chmod 755 "$WORK"  # munged (user munge) reaches its socket under it
SLURM_DIR=$WORK/slurm
slurm_stop() { bash "$TF_SOURCE_DIR/tests/slurm/cluster.sh" stop "$SLURM_DIR" >/dev/null || true; }
# Jobs and daemons first, while the hosts exist; the work directory (the hosts' files) last.
trap 'trap "" INT TERM; slurm_stop; cluster_down; cleanup' EXIT
bash "$TF_SOURCE_DIR/tests/slurm/cluster.sh" start "$SLURM_DIR" "$CLUSTER_DIR" >"$WORK/slurm.txt" 2>&1 ||
  fail "no Slurm cluster on the test hosts: $(cat "$WORK/slurm.txt")"
export SLURM_CONF=$SLURM_DIR/slurm.conf

# What the batch script reads (sbatch passes this environment on to the jobs).
export TF_REPO=$TF_SOURCE_DIR TF_LAUNCH TF_MPIRUN_ARGS=--allow-run-as-root
unset TF_LAUNCHER TF_LOG_DIR TF_PROMETHEUS_TARGETS TF_METRICS_PORT
SBATCH_SCRIPT=$TF_SOURCE_DIR/deploy/slurm/tokenformer.sbatch

sbatch() { on node1 sbatch "$@"; }
squeue() { on node1 squeue "$@"; }
scontrol() { on node1 scontrol "$@"; }
scancel() { on node1 scancel "$@"; }

# A FAIL line with the jobs' logs and the daemons' last words.
fail() {
  local f
  echo "FAIL: $*" >&2
  for f in "$WORK"/logs/*.log "$WORK"/*.out "$SLURM_DIR"/log/*.log; do
    [ -s "$f" ] || continue
    echo "--- $f (last 15 lines)" >&2
    tail -15 "$f" >&2
  done
  exit 1
}

# submit VAR SBATCH-ARGS...: sbatch --parsable from $WORK on node1; sets VAR to the job id.
submit() {
  local var=$1 id
  shift
  id=$(cd "$WORK" && sbatch --parsable "$@") || fail "sbatch $* failed"
  printf -v "$var" '%s' "$id"
}

# job_log ID [RESTART]: the batch script's log of the job's run RESTART (default 0).
job_log() { echo "$WORK/logs/tokenformer-$1-restart${2:-0}.log"; }

# rank_hosts CHECKPOINT_DIR: "host count" of the ranks, from their status files.
rank_hosts() { jq -r .host "$1"/ranks/rank-*.json | sort | uniq -c | awk '{ print $2, $1 }'; }

# trajectory LOG...: the logs' losses (in the order given) as one log, the last value logged for
# each step, in step order, so that same_losses compares a run across restarts.
trajectory() {
  local log
  for log in "$@"; do losses "$log"; done |
    awk '{ loss[$1] = $2 } END { for (s in loss) printf "step %d/0 | loss %s\n", s, loss[s] }' |
    sort -t' ' -k2,2n
}

# The tiny model on 2 hosts x 2 ranks: 4 ranks at dp 4, every step logged, no validation in
# between (the run's final validation only).
TINY_ARGS=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set train.micro_batch=4
           --set train.log_interval=1 --set train.eval_interval=0 --set control.address=)
TWO_NODES=(--nodes=2 --ntasks-per-node=2 --gpus-per-node=2)
