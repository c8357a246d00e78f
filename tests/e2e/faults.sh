#!/usr/bin/env bash
# End to end: the fault matrix under plain mpirun. One rank of a 3-rank run is killed (-9) during a
# step, inside a collective, or during a checkpoint save, or is stopped (SIGSTOP). Each time the
# job ends within the step time-out, the failure summary (rank 0's, or the wrapper's
# `tf-launch summary --unless-printed` when rank 0 could not print it) names that rank first, and
# the next launch resumes from the newest complete checkpoint.
source "$(dirname "$0")/lib.sh"

timeout_s=6
args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=100000
      --set train.global_batch=24
      --set train.log_interval=1 --set train.eval_interval=0 --set checkpoint.interval=10
      --set fault.step_timeout=$timeout_s --set fault.checkpoint_timeout=$timeout_s
      --set fault.startup_timeout=60)

# start NAME: a 3-rank run into $WORK/NAME; sets RUN, RANKS (pids by world rank) and LOG.
start() {
  LOG="$WORK/$1.log"
  launch 3 "${args[@]}" --set checkpoint.dir="$WORK/$1" >"$LOG" 2>&1 &
  RUN=$!
  PIDS+=("$RUN")
  wait_for 120 grep -q "step *12/" "$LOG" || fail "$1: the run did not reach step 12"
  RANKS=()
  for r in 0 1 2; do
    RANKS[r]=$(jq -r .pid "$WORK/$1/ranks/rank-$r.json")
  done
}

# ends NAME RANK BEFORE [PHASE]: the job ended within BEFORE seconds, non-zero, and the summary
# (the log's, else the wrapper's) names RANK first (in PHASE when given); the relaunch resumes
# from the newest complete checkpoint.
ends() {
  local name=$1 rank=$2 started=$SECONDS rc=0
  wait_exit "$3" "$RUN" || rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 143 ] || fail "$name: launch exited $rc"
  [ $((SECONDS - started)) -lt "$3" ] || fail "$name: the job did not end within $3 s"
  local summary
  summary=$(grep "first failure:" "$LOG" || true)
  [ -n "$summary" ] || summary=$("$TF_LAUNCH" summary --unless-printed "$WORK/$name/ranks")
  echo "$name: exit $rc after $((SECONDS - started)) s; $(echo "$summary" | grep 'first failure')"
  echo "$summary" | grep -q "first failure: rank $rank " ||
    fail "$name: the summary does not name rank $rank first: $summary"
  [ -z "${4:-}" ] || echo "$summary" | grep -q "first failure: rank $rank .*in phase $4 " ||
    fail "$name: the summary does not say rank $rank was in phase '$4': $summary"
  local newest
  newest=$(for d in "$WORK/$name"/step_*; do if [ -f "$d/COMPLETE" ]; then echo "$d"; fi; done |
    sort -t_ -k2 -n | tail -1)
  [ -n "$newest" ] || fail "$name: no complete checkpoint"
  launch 3 "${args[@]}" --set checkpoint.dir="$WORK/$name" >"$WORK/$name.resumed.log" 2>&1 &
  local again=$!
  PIDS+=("$again")
  wait_for 60 grep -q "resumed from $newest:" "$WORK/$name.resumed.log" ||
    fail "$name: the relaunch did not resume from $newest: $(tail -3 "$WORK/$name.resumed.log")"
  kill -USR1 $(rank_pids "$again")  # checkpoint and stop
  rc=0
  wait_exit 60 "$again" || rc=$?
  [ $rc -eq 5 ] || fail "$name: the relaunch exited $rc after SIGUSR1, expected 5"
}

# kill -9 during a step.
start step
kill -9 "${RANKS[1]}"
ends step 1 30

# kill -9 inside a collective: with rank 0 stopped, rank 2 soon waits in the next collective.
start collective
kill -STOP "${RANKS[0]}"
sleep 1
kill -9 "${RANKS[2]}"
kill -CONT "${RANKS[0]}"
ends collective 2 30

# kill -9 during a checkpoint save: rank 1's fsyncs are held 3 s each (strace's fault injection;
# nothing else in a rank calls fsync), and it is killed once its own status says it is saving.
start save
strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=3s -p "${RANKS[1]}" \
  2>"$WORK/save.strace.log" &
PIDS+=("$!")
wait_for 60 jq -e '.phase == "checkpoint save"' "$WORK/save/ranks/rank-1.json" ||
  fail "save: rank 1 was not seen saving"
kill -9 "${RANKS[1]}"
ends save 1 30 "checkpoint save"

# SIGSTOP: the others time out in the phase the stopped rank left them in (a step, or a checkpoint
# save when the signal lands during one); rank 0 prints the summary.
start stopped
kill -STOP "${RANKS[2]}"
ends stopped 2 $((timeout_s + 25))
grep -Eq "watchdog: the [a-z ]+ phase at step [0-9]+ has lasted" "$LOG" ||
  fail "stopped: no watchdog time-out logged: $(grep watchdog "$LOG" | head -3)"
grep -q "first failure: rank 2 " "$LOG" || fail "stopped: rank 0 printed no summary naming rank 2"
echo "PASS"
