#!/usr/bin/env bash
# End to end: a run whose steps keep failing. With an absurd learning rate the gradient norm
# stops being finite; after fault.max_skipped_steps skipped steps in a row the run stops with
# status 7, names the steps and the last good checkpoint, and writes no checkpoint of its own.
source "$(dirname "$0")/lib.sh"

rc=0
launch 2 --config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= \
  --set train.steps=200 --set train.log_interval=1 --set train.eval_interval=0 \
  --set train.lr=1.0e+6 --set train.min_lr=1.0e+6 --set train.warmup_steps=0 \
  --set checkpoint.interval=1 --set fault.max_skipped_steps=5 \
  --set checkpoint.dir="$WORK/ckpt" >"$WORK/run.log" 2>&1 || rc=$?
[ $rc -eq 7 ] || fail "launch exited $rc, expected 7"
line=$(grep "rank 0: diverged:" "$WORK/run.log") || fail "no divergence error"
first=$(grep -m1 "is not finite: update skipped" "$WORK/run.log" | sed 's/.*step *\([0-9]*\) |.*/\1/')
[ -n "$first" ] || fail "no skipped step logged"
echo "$line" | grep -q "steps $first to $((first + 4)) had a non-finite gradient norm" ||
  fail "the error does not name steps $first to $((first + 4)): $line"
good=$((first - 1))
echo "$line" | grep -q "the last good checkpoint is $WORK/ckpt/step_$good[;,]" ||
  fail "the error does not name step_$good: $line"
[ ! -d "$WORK/ckpt/step_$first" ] || fail "a checkpoint was written after the bad steps began"
echo "$line"
echo "PASS"
