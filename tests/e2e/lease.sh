#!/usr/bin/env bash
# End to end: one job per checkpoint directory (docs/checkpoints.md). A second launch on the
# checkpoint.dir of a running job is refused at once, naming the holder, and leaves the running
# job's status files alone; a lease left by a killed run is taken over by the relaunch; and the
# ranks of a killed mpirun complete no checkpoint after its death.
source "$(dirname "$0")/lib.sh"

args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=100000
      --set train.log_interval=1 --set train.eval_interval=0 --set checkpoint.interval=20
      --set checkpoint.dir="$WORK/ckpt")

# start LOG: a one-rank run on $WORK/ckpt; sets RUN (the background job) and TF (its tf-launch).
start() {
  launch 1 "${args[@]}" >"$WORK/$1" 2>&1 &
  RUN=$!
  PIDS+=("$RUN")
  for _ in $(seq 150); do
    TF=$(rank_pids "$RUN" | head -1)
    [ -z "$TF" ] || break
    sleep 0.2
  done
  [ -n "$TF" ] || fail "no tf-launch process"
}

# stop_run: SIGUSR1 (checkpoint and stop) and exit 5; the lease is released.
stop_run() {
  kill -USR1 "$TF"
  local rc=0
  wait_exit 60 "$RUN" || rc=$?
  [ $rc -eq 5 ] || fail "$1: the run exited $rc after SIGUSR1, expected 5"
  [ ! -e "$WORK/ckpt/LEASE" ] || fail "$1: the lease is still there after the run ended"
}

# (a) A second launch while the first runs: refused with exit 2, naming the first.
start first.log
wait_for 120 grep -q "step *5/" "$WORK/first.log" || fail "the first run did not reach step 5"
[ -f "$WORK/ckpt/LEASE" ] || fail "the running job holds no lease"
launch_id=$(jq -r .launch "$WORK/ckpt/ranks/rank-0.json")
[ "$(jq -r .launch "$WORK/ckpt/LEASE")" = "$launch_id" ] || fail "the lease names another launch"
before=$(ls "$WORK/ckpt/ranks")
rc=0
timeout 60 "$TF_LAUNCH" "${args[@]}" >"$WORK/second.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "the second launch exited $rc, expected 2: $(tail -3 "$WORK/second.log")"
grep -q "checkpoint.dir $WORK/ckpt is in use by launch $launch_id (host $(hostname), pid $TF, lease renewed [0-9]* s ago): one job per checkpoint directory" \
  "$WORK/second.log" || fail "the refusal does not name the holder: $(cat "$WORK/second.log")"
[ "$(grep -c "error:" "$WORK/second.log")" -eq 1 ] || fail "the refusal was not printed once"
grep -q "step *[0-9]*/" "$WORK/second.log" && fail "the refused launch trained"
[ "$(ls "$WORK/ckpt/ranks")" = "$before" ] || fail "the refused launch wrote into ranks/"
[ "$(jq -r .launch "$WORK/ckpt/ranks/rank-0.json")" = "$launch_id" ] ||
  fail "the refused launch overwrote the running job's status file"
[ "$(jq -r .state "$WORK/ckpt/ranks/rank-0.json")" = running ] || fail "the status is not running"
step=$(jq -r .step "$WORK/ckpt/ranks/rank-0.json")
wait_for 60 bash -c "[ \$(jq -r .step '$WORK/ckpt/ranks/rank-0.json') -gt $((step + 3)) ]" ||
  fail "the first run stopped training"
stop_run first
[ "$(jq -r .state "$WORK/ckpt/ranks/rank-0.json")" = preempted ] || fail "the first run's end"
echo "refused: $(grep -o 'error: .*' "$WORK/second.log")"

# (b) A run killed with SIGKILL leaves its lease; the relaunch takes it over and resumes.
start killed.log
wait_for 120 grep -q "resumed from" "$WORK/killed.log" || fail "the run did not resume"
wait_for 60 grep -q "step *[0-9]*/" "$WORK/killed.log" || fail "the run did not train"
kill -9 "$TF"
wait "$RUN" 2>/dev/null || true
[ -f "$WORK/ckpt/LEASE" ] || fail "a killed run left no lease"
killed_launch=$(jq -r .launch "$WORK/ckpt/LEASE")
start relaunch.log
wait_for 120 grep -q "step *[0-9]*/" "$WORK/relaunch.log" ||
  fail "the relaunch did not train: $(tail -3 "$WORK/relaunch.log")"
line=$(grep "taking over the stale lease" "$WORK/relaunch.log" || true)
echo "$line" | grep -q "of launch $killed_launch (host $(hostname), pid [0-9]*, lease renewed" ||
  fail "no take-over line naming the old holder: $line"
echo "taken over: $line"
stop_run relaunch

# (c) mpirun killed while its 2 ranks save a checkpoint every step: no checkpoint is completed
# after its death.
launch 2 "${args[@]}" --set checkpoint.interval=1 --set checkpoint.dir="$WORK/orphans" \
  >"$WORK/orphans.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 120 grep -q "step *8/" "$WORK/orphans.log" || fail "the 2-rank run did not reach step 8"
mapfile -t ranks < <(rank_pids "$run")
[ ${#ranks[@]} -eq 2 ] || fail "expected 2 rank processes under mpirun, found ${#ranks[@]}"
PIDS+=("${ranks[@]}")
mpirun=$(ps -o ppid= -p "${ranks[0]}" | tr -d ' ')  # whatever name it runs under
kill -9 "$mpirun"
touch "$WORK/mpirun-killed"
wait "$run" 2>/dev/null || true
for pid in "${ranks[@]}"; do
  wait_for 30 bash -c "! kill -0 $pid" || fail "rank $pid outlived mpirun by 30 s"
done
late=$(find "$WORK/orphans" -name COMPLETE -newer "$WORK/mpirun-killed")
[ -z "$late" ] || fail "checkpoints completed after mpirun was killed: $late"
echo "orphans: $(grep -c "the launcher (pid $mpirun) is gone: this rank writes no more checkpoints" \
  "$WORK/orphans.log" || true) launcher-gone lines; no checkpoint completed after mpirun's death"
echo "PASS"
