#!/usr/bin/env bash
# The network between hosts cut mid-step (node2's link to the bridge taken down; this kernel has
# no netem for a 100% loss), 2 test hosts x 2 ranks, tp 2 inside a host, dp 2 across:
# - the watchdog ends the job: every rank times out in the step (each side waits for the other),
#   rank 0 prints the failure summary, which says so (the network between node1 and node2), and
#   aborts; mpirun, which cannot reach
#   node2's daemon to confirm the abort, is ended by the rank's watcher (parallel/launcher_guard.h),
#   so the job ends within fault.step_timeout + the summary's wait + the launcher's grace;
# - nothing is left running on node1 (mpirun, ranks);
# - once the link is back up, node2's processes end too, and a relaunch on both hosts resumes
#   from the newest complete checkpoint.
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/lib.sh"

timeout_s=6
args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set train.log_interval=1
      --set train.eval_interval=0 --set control.address= --set parallel.tp=2
      --set checkpoint.interval=5 --set checkpoint.dir="$WORK/ckpt"
      --set fault.step_timeout=$timeout_s)
# Appended to (O_APPEND): mpirun's watcher writes to the same file (mpirun's stderr) through an
# open file of its own, which would otherwise be overwritten at the shell's offset.
across node1:2,node2:2 "${args[@]}" --set train.steps=100000 >>"$WORK/run.log" 2>&1 &
job=$!
PIDS+=("$job")
wait_for 120 test -f "$WORK/ckpt/step_10/COMPLETE" || fail "no checkpoint at step 10"
start=$(date +%s.%N)
link node2 down
rc=0
wait_exit 90 "$job" || rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
[ $rc -ne 0 ] || fail "the job exited 0 with its network cut"
echo "link node2 down: the job ended in $took s (exit $rc; fault.step_timeout $timeout_s s)"
# The step time-out, rank 0's wait for the others' files (3 status intervals + 2 s, the interval
# a quarter of the time-out), the launcher's grace (12 s) and 5 s for the rest.
limit=$(echo "$timeout_s + 3 * $timeout_s / 4 + 2 + 12 + 5" | bc)
awk -v t="$took" -v limit="$limit" 'BEGIN { exit !(t <= limit) }' ||
  fail "the job took $took s to end, more than $limit s"
grep -q "mpirun (pid [0-9]*) has not ended the job 12 s after a rank aborted it" "$WORK/run.log" ||
  fail "mpirun was not ended by the launcher's watcher"
grep -A4 "failure summary" "$WORK/run.log" || fail "no failure summary in the job's output"
grep -Eq "(first failure|the same on|consequence): +rank [23] on node2" "$WORK/run.log" ||
  fail "the summary does not name node2's ranks"
grep -q "every rank on every host (node1, node2) timed out at the same step, none failed first" \
  "$WORK/run.log" || fail "the summary does not say that the network between the hosts failed"
# (The aborting ranks' watchers end within a second of mpirun.)
nothing_on() { [ -z "$(host_pids "$1")" ]; }
wait_for 5 nothing_on node1 ||
  fail "left running on node1: $(ps -o pid=,comm= -p "$(host_pids node1 | paste -sd,)")"

link node2 up
wait_for 60 bash -c "[ -z \"\$(bash '$HOSTS_SH' pids '$CLUSTER_DIR' node2)\" ]" ||
  fail "still running on node2 60 s after the link came back:" \
    "$(ps -o pid=,comm= -p "$(host_pids node2 | paste -sd,)")"
newest=$(cd "$WORK/ckpt" && for d in step_*; do [ -f "$d/COMPLETE" ] && echo "${d#step_}"; done |
  sort -n | tail -1)
across node1:2,node2:2 "${args[@]}" --set train.steps=$((newest + 3)) >"$WORK/again.log" 2>&1 ||
  fail "the relaunch failed: $(tail -5 "$WORK/again.log")"
grep -q "resumed from $WORK/ckpt/step_$newest: step $newest" "$WORK/again.log" ||
  fail "the relaunch did not resume from step $newest"
echo "link back up: node2's processes ended; the relaunch on both hosts resumed from step $newest"
echo "PASS"
