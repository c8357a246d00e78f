#!/usr/bin/env bash
# End to end: a checkpoint save that fills the disk. A 2-rank run writes its checkpoints to a
# tmpfs with room for about one and a half: the first save succeeds, the second hits ENOSPC.
# Every rank stops with the same error naming the disk, no rank hangs, and the first checkpoint
# stays loadable (its checksums verify, and a relaunch with room resumes from it).
source "$(dirname "$0")/lib.sh"

args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=40
      --set train.log_interval=1 --set train.eval_interval=0 --set checkpoint.interval=10
      --set fault.dir="$WORK/ranks")

# The size of one checkpoint, measured on the real disk.
launch 2 "${args[@]}" --set train.steps=10 --set checkpoint.dir="$WORK/probe" >"$WORK/probe.log" 2>&1 ||
  fail "probe run failed: $(tail -5 "$WORK/probe.log")"
kib=$(du -sk "$WORK/probe/step_10" | cut -f1)

mkdir -p "$WORK/disk"
mount -t tmpfs -o size=$((kib * 3 / 2))k tmpfs "$WORK/disk" ||
  fail "cannot mount a tmpfs (the test runs as root)"
unmount() { umount "$WORK/disk" 2>/dev/null || true; }
trap 'unmount; cleanup' EXIT

rc=0
started=$SECONDS
launch 2 "${args[@]}" --set checkpoint.dir="$WORK/disk/ckpt" >"$WORK/run.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_exit 120 "$run" || rc=$?
[ $rc -eq 2 ] || fail "launch on a full disk exited $rc, expected 2"
grep -q "step *10 | checkpoint saved to $WORK/disk/ckpt/step_10" "$WORK/run.log" ||
  fail "the first save did not succeed"
errors=$(grep -c "rank [01]: error: .*No space left on device" "$WORK/run.log" || true)
[ "$errors" -eq 2 ] || fail "expected the ENOSPC error on both ranks, saw $errors"
[ "$(grep "rank 0: error" "$WORK/run.log" | sed 's/.*rank 0: //')" = \
  "$(grep "rank 1: error" "$WORK/run.log" | sed 's/.*rank 1: //')" ] ||
  fail "the ranks report different errors"
[ ! -f "$WORK/disk/ckpt/step_20/COMPLETE" ] || fail "a checkpoint was completed on a full disk"
"$TF_LAUNCH" inspect-ckpt "$WORK/disk/ckpt/step_10" >"$WORK/inspect.log" 2>&1 ||
  fail "step_10 is not loadable: $(tail -3 "$WORK/inspect.log")"
echo "full disk: exit $rc after $((SECONDS - started)) s: $(grep "rank 0: error" "$WORK/run.log")"

cp -r "$WORK/disk/ckpt" "$WORK/roomy"
launch 2 "${args[@]}" --set checkpoint.dir="$WORK/roomy" >"$WORK/resumed.log" 2>&1 ||
  fail "the relaunch with room failed: $(tail -5 "$WORK/resumed.log")"
grep -q "resumed from $WORK/roomy/step_10: step 10" "$WORK/resumed.log" ||
  fail "the relaunch did not resume from step_10"
echo "PASS"
