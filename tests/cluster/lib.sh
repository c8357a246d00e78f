# shellcheck shell=bash
# Helpers for the cluster tests (sourced after tests/e2e/lib.sh, whose WORK, fail, wait_for and
# cleanup they extend): a cluster of CLUSTER_HOSTS test hosts (tests/cluster/hosts.sh, default 2)
# made in $WORK/cluster and always taken down when the script ends, however it ends.
CLUSTER_DIR=$WORK/cluster
HOSTS_SH=$(realpath "$(dirname "${BASH_SOURCE[0]}")/hosts.sh")

cluster_down() { bash "$HOSTS_SH" down "$CLUSTER_DIR" || true; }
# The hosts go first (every process in them with them), while $WORK still says which they are;
# then the e2e cleanup kills what else the script started and removes $WORK.
trap 'cluster_down; cleanup' EXIT
trap 'exit 130' INT TERM

bash "$HOSTS_SH" up "$CLUSTER_DIR" "${CLUSTER_HOSTS:-2}" >/dev/null || fail "no test cluster"

# on HOST CMD...: CMD inside HOST, with the cluster's settings for mpirun (its rsh agent and
# subnet, which launches on this machine itself must not see).
on() {
  (
    # shellcheck source=/dev/null
    source "$CLUSTER_DIR/env"
    exec bash "$HOSTS_SH" on "$CLUSTER_DIR" "$@"
  )
}
# link HOST up|down: HOST's network link.
link() { bash "$HOSTS_SH" link "$CLUSTER_DIR" "$@"; }
# host_pids HOST: every process running inside HOST.
host_pids() { bash "$HOSTS_SH" pids "$CLUSTER_DIR" "$1"; }

# across HOSTS ARGS...: tf-launch with ARGS on HOSTS (mpirun's --host list, e.g. node1:2,node2:2),
# mpirun started on node1 as on a login node.
across() {
  local hosts=$1 count=0 slots
  shift
  for slots in ${hosts//,/ }; do count=$((count + ${slots#*:})); done
  # shellcheck disable=SC2086  # TF_MPIRUN is a command line
  OMP_NUM_THREADS=1 on node1 $TF_MPIRUN -x OMP_NUM_THREADS -np "$count" --host "$hosts" \
    "$TF_LAUNCH" "$@"
}

# losses LOG: "step loss" of every logged step, in order.
losses() { sed -n 's/.*step *\([0-9]*\)\/[0-9]* | loss \([0-9.]*\).*/\1 \2/p' "$1"; }

# same_losses A B TOLERANCE: A's and B's logged losses are at the same steps and within the
# relative TOLERANCE (0 for bit-equal text); prints the largest gap.
same_losses() {
  awk -v tol="$3" '
    NR == FNR { want[$1] = $2; n++; next }
    { if (!($1 in want)) { print "step " $1 " only in the second"; bad = 1; next }
      gap = want[$1] - $2; if (gap < 0) gap = -gap; gap /= (want[$1] > 0 ? want[$1] : 1)
      if (gap > worst) worst = gap
      if ((tol == 0 && want[$1] != $2) || gap > tol) {
        print "step " $1 ": " want[$1] " against " $2; bad = 1 }
      seen++ }
    END { if (seen != n) { print seen " of " n " steps"; bad = 1 }
          printf "largest relative gap %.3g over %d steps\n", worst, seen; exit bad }' \
    <(losses "$1") <(losses "$2")
}
