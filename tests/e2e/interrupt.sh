#!/usr/bin/env bash
# End to end: Ctrl-C (docs/operations.md, Signals).
# - One process, SIGINT: the run checkpoints at the next step boundary, exits 5, its status file
#   says "preempted", and the relaunch resumes from that checkpoint.
# - One process, a second SIGINT while the first one's save is under way: it exits 130 at once,
#   saying no checkpoint was written, and the save is never completed.
# - `mpirun -np 2` typed on a terminal, Ctrl-C pressed on it: the same save and exit 5 from
#   mpirun (which on its own would kill the ranks within 2 s and exit 1), and the terminal is
#   mpirun's again afterwards (the job ends normally).
# - A background mpirun sent SIGUSR1 (it passes it on): the same save and exit 5.
source "$(dirname "$0")/lib.sh"

args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=100000
      --set train.log_interval=1 --set train.eval_interval=0 --set checkpoint.interval=100000)

# saved_at NAME LOG: the step of the preemption logged in LOG, with a complete checkpoint there.
saved_at() {
  local step
  step=$(sed -n 's/.*step *\([0-9]*\) | preempted by a signal: saving.*/\1/p' "$2" | head -1)
  [ -n "$step" ] || fail "$1: no preemption line: $(tail -3 "$2")"
  [ -f "$WORK/$1/step_$step/COMPLETE" ] || fail "$1: no complete checkpoint at step $step"
  echo "$step"
}

# One process, one SIGINT.
OMP_NUM_THREADS=1 "$TF_LAUNCH" "${args[@]}" --set checkpoint.dir="$WORK/one" >"$WORK/one.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 120 grep -q "step *10/" "$WORK/one.log" || fail "one: the run did not reach step 10"
kill -INT "$run"
rc=0
wait_exit 60 "$run" || rc=$?
[ $rc -eq 5 ] || fail "one: exited $rc after SIGINT, expected 5: $(tail -3 "$WORK/one.log")"
step=$(saved_at one "$WORK/one.log")
state=$(jq -r .state "$WORK/one/ranks/rank-0.json")
[ "$state" = preempted ] || fail "one: the status file says '$state', expected 'preempted'"
launch 1 "${args[@]}" --set train.steps=$((step + 2)) --set checkpoint.dir="$WORK/one" \
  >"$WORK/one.resumed.log" 2>&1 || fail "one: relaunch failed: $(tail -3 "$WORK/one.resumed.log")"
grep -q "resumed from $WORK/one/step_$step: step $step" "$WORK/one.resumed.log" ||
  fail "one: the relaunch did not resume from step $step"
echo "one process: SIGINT at step $step: exit 5, checkpoint complete, status preempted, resumed"

# One process, two SIGINTs: the second while the first one's save is held (each fsync 3 s,
# strace's fault injection), so it is cut short.
OMP_NUM_THREADS=1 "$TF_LAUNCH" "${args[@]}" --set checkpoint.dir="$WORK/twice" \
  >"$WORK/twice.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 120 grep -q "step *10/" "$WORK/twice.log" || fail "twice: the run did not reach step 10"
strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=3s -p "$run" \
  2>"$WORK/twice.strace.log" &
PIDS+=("$!")
sleep 1  # strace attached
kill -INT "$run"
wait_for 30 grep -q "preempted by a signal" "$WORK/twice.log" || fail "twice: no preemption"
kill -INT "$run"
rc=0
wait_exit 60 "$run" || rc=$?
[ $rc -eq 130 ] || fail "twice: exited $rc after two SIGINTs, expected 130"
grep -q "second interrupt: exiting at once; no checkpoint was written" "$WORK/twice.log" ||
  fail "twice: no message: $(tail -3 "$WORK/twice.log")"
step=$(sed -n 's/.*step *\([0-9]*\) | preempted by a signal.*/\1/p' "$WORK/twice.log" | head -1)
[ ! -f "$WORK/twice/step_$step/COMPLETE" ] || fail "twice: the save at step $step was completed"
echo "one process: a second SIGINT during the save at step $step: exit 130 at once, no checkpoint"

# mpirun on a terminal, Ctrl-C.
: "${TF_MPIRUN:?mpirun command line}"
rc=0
# shellcheck disable=SC2086  # TF_MPIRUN is a command line
OMP_NUM_THREADS=1 timeout 300 "$TF_E2E_DIR/ctrl_c.py" "$WORK/tty.log" "step +10/" 1 \
  $TF_MPIRUN -x OMP_NUM_THREADS -np 2 "$TF_LAUNCH" "${args[@]}" --set checkpoint.dir="$WORK/tty" ||
  rc=$?
[ $rc -eq 5 ] || fail "tty: mpirun exited $rc after Ctrl-C, expected 5: $(tail -5 "$WORK/tty.log")"
step=$(saved_at tty "$WORK/tty.log")
for r in 0 1; do
  state=$(jq -r .state "$WORK/tty/ranks/rank-$r.json")
  [ "$state" = preempted ] || fail "tty: rank $r's status says '$state', expected 'preempted'"
done
echo "mpirun -np 2 on a terminal: Ctrl-C at step $step: mpirun exit 5, checkpoint complete"

# A background mpirun, SIGUSR1.
launch 2 "${args[@]}" --set checkpoint.dir="$WORK/usr1" >"$WORK/usr1.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 120 grep -q "step *10/" "$WORK/usr1.log" || fail "usr1: the run did not reach step 10"
# mpirun (whatever name it was started by: mpirun, mpiexec, orterun) is the ranks' parent.
first_rank=$(rank_pids "$run" | sed -n 1p)
mpirun_pid=$(ps -o ppid= -p "$first_rank" 2>/dev/null | tr -d ' ')
[ -n "$mpirun_pid" ] || fail "usr1: no mpirun process"
kill -USR1 "$mpirun_pid"
rc=0
wait_exit 60 "$run" || rc=$?
[ $rc -eq 5 ] || fail "usr1: mpirun exited $rc after SIGUSR1, expected 5"
step=$(saved_at usr1 "$WORK/usr1.log")
echo "background mpirun -np 2: SIGUSR1 at step $step: mpirun exit 5, checkpoint complete"
echo "PASS"
