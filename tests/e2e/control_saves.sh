#!/usr/bin/env bash
# End to end: a save request for a step that is already on disk is answered with that
# checkpoint's path, and Stop then stops. With checkpoint.interval 1 (every step saved) Stop
# succeeds and the run exits 0; on a 2-rank job pause -> save-checkpoint -> save-checkpoint (the
# same path) -> stop succeeds. Also: status has no validation loss before the first validation
# pass, and a refused request is logged once.
source "$(dirname "$0")/lib.sh"
TOKEN=(--token-file "$WORK/token")

# stop_and_check CKPT: Stop succeeds, the run exits 0, its checkpoint is complete.
stop_and_check() {
  local reply rc=0 at
  reply=$(ctl --json "${TOKEN[@]}" stop) || fail "stop refused: $reply"
  at=$(json_field applied_at_step <<<"$reply")
  [ "$(json_field message <<<"$reply")" = "stopping at step $at; checkpoint $1/step_$at" ] ||
    fail "stop: $reply"
  wait_exit 60 "$RUN_PID" || rc=$?
  [ $rc -eq 0 ] || fail "tf-launch exited $rc after stop"
  [ -f "$1/step_$at/COMPLETE" ] || fail "no complete checkpoint at step $at"
  echo "stopped at step $at: $(json_field message <<<"$reply")"
}

# checkpoint.interval 1: the step is always on disk when Stop comes.
start_run --set checkpoint.dir="$WORK/every" --set checkpoint.interval=1
wait_for 60 bash -c "[ \$($TF_CTL --address $CONTROL --json status | jq -r .step) -ge 3 ]" ||
  fail "no progress"
stop_and_check "$WORK/every"

# pause -> save -> save -> stop on two ranks, no validation pass before the end.
RUN_RANKS=2 start_run --set parallel.tp=2 --set checkpoint.dir="$WORK/paused" --set train.eval_interval=0
status=$(ctl --json status) || fail "status: $status"
[ "$(jq 'has("validation_loss")' <<<"$status")" = false ] ||
  fail "a validation loss before any validation pass: $status"
ctl status | grep -q "^loss .*(no validation pass yet)$" || fail "human status: $(ctl status)"
reply=$(ctl --json "${TOKEN[@]}" pause) || fail "pause refused: $reply"
first=$(ctl --json "${TOKEN[@]}" save-checkpoint) || fail "save-checkpoint refused: $first"
path=$(json_field message <<<"$first")
[ -f "$path/COMPLETE" ] || fail "checkpoint $path is not complete: $first"
again=$(ctl --json "${TOKEN[@]}" save-checkpoint) || fail "the second save-checkpoint: $again"
[ "$(json_field message <<<"$again")" = "$path" ] || fail "the second save answered $again, not $path"
[ "$(json_field applied_at_step <<<"$again")" = "$(json_field applied_at_step <<<"$first")" ] ||
  fail "the saves were applied at different steps: $first, $again"
out=$(ctl --json "${TOKEN[@]}" scale-up --qkv-tokens 16 --proj-tokens 32 --ffn-tokens 64) &&
  fail "a shrinking scale-up was applied: $out"
wait_for 10 grep -q "ScaleUp.*refused" "$WORK/run.log" || fail "the refusal is not logged"
sleep 1  # a second copy would follow within the same request
refusals=$(grep -c "ScaleUp.*refused" "$WORK/run.log" || true)
[ "$refusals" = 1 ] || fail "the refusal is logged $refusals times: $(grep refused "$WORK/run.log")"
stop_and_check "$WORK/paused"
[ "$(cd "$WORK/paused" && echo step_*)" = "$(basename "$path")" ] ||
  fail "checkpoints: $(ls "$WORK/paused")"
echo "PASS"
