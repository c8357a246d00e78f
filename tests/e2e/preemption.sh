#!/usr/bin/env bash
# End to end: checkpoint on signal. A 2-rank run gets SIGUSR1 on one rank only (then a second
# signal and a SIGTERM while it saves): every rank stops at the same step boundary, the checkpoint
# is written and complete, and the launch exits 5. The relaunch resumes from it by itself and ends
# with the same final and validation losses as an uninterrupted run.
source "$(dirname "$0")/lib.sh"

args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=150
      --set train.log_interval=1 --set train.eval_interval=0)

launch 2 "${args[@]}" --set checkpoint.dir="$WORK/whole" >"$WORK/whole.log" 2>&1 ||
  fail "uninterrupted run failed: $(tail -5 "$WORK/whole.log")"

launch 2 "${args[@]}" --set checkpoint.dir="$WORK/ckpt" >"$WORK/run.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 120 grep -q "step *20/150" "$WORK/run.log" || fail "the run did not reach step 20"
mapfile -t ranks < <(rank_pids "$run")
[ ${#ranks[@]} -eq 2 ] || fail "expected 2 rank processes under mpirun, found ${#ranks[@]}"
kill -USR1 "${ranks[1]}"
wait_for 30 grep -q "preempted by a signal" "$WORK/run.log" || fail "the signal was not seen"
kill -USR1 "${ranks[1]}" 2>/dev/null || true  # repeats while saving change nothing
kill -TERM "${ranks[0]}" 2>/dev/null || true
rc=0
wait_exit 60 "$run" || rc=$?
[ $rc -eq 5 ] || fail "preempted launch exited $rc, expected 5"
step=$(sed -n 's/.*step *\([0-9]*\) | preempted by a signal.*/\1/p' "$WORK/run.log" | head -1)
[ -n "$step" ] && [ "$step" -lt 150 ] || fail "no preemption step in the log"
[ -f "$WORK/ckpt/step_$step/COMPLETE" ] || fail "no complete checkpoint at step $step"
grep -q "checkpoint saved to $WORK/ckpt/step_$step" "$WORK/run.log" || fail "save not logged"

launch 2 "${args[@]}" --set checkpoint.dir="$WORK/ckpt" >"$WORK/resumed.log" 2>&1 ||
  fail "relaunch failed: $(tail -5 "$WORK/resumed.log")"
grep -q "resumed from $WORK/ckpt/step_$step: step $step" "$WORK/resumed.log" || fail "did not resume"
last() { grep -o "step *150/150 | loss [0-9.]*" "$1"; }
valid() { grep -o "validation loss [0-9.]*" "$1" | tail -1; }
[ -n "$(last "$WORK/whole.log")" ] || fail "the uninterrupted run logged no step 150"
[ "$(last "$WORK/resumed.log")" = "$(last "$WORK/whole.log")" ] ||
  fail "final loss after preemption '$(last "$WORK/resumed.log")', uninterrupted '$(last "$WORK/whole.log")'"
[ "$(valid "$WORK/resumed.log")" = "$(valid "$WORK/whole.log")" ] ||
  fail "validation after preemption '$(valid "$WORK/resumed.log")', uninterrupted '$(valid "$WORK/whole.log")'"
echo "preempted at step $step; $(last "$WORK/resumed.log"), $(valid "$WORK/resumed.log") as uninterrupted"
echo "PASS"
