#!/usr/bin/env bash
# End to end: a real tf-launch process driven by tf-ctl. Status, refusals (no token, wrong token,
# bad request), pause/resume, checkpoint, scale-up, watch and a graceful stop, each checked in
# tf-ctl's output and in the run's log.
source "$(dirname "$0")/lib.sh"

start_run
TOKEN=(--token-file "$WORK/token")
echo "run: control $CONTROL, metrics $METRICS"

# Read-only calls need no token.
status=$(ctl --json status)
[ "$(json_field state <<<"$status")" = RUN_STATE_RUNNING ] || fail "state: $status"
[ "$(json_field stage <<<"$status")" = small ] || fail "stage: $status"
[ "$(jq -r .tokens.qkv_tokens <<<"$status")" = 32 ] || fail "tokens: $status"
ctl status | grep -q "^state       RUNNING$" || fail "human status"

# expect_refusal CODE ARGS...: tf-ctl exits 1 and prints CODE.
expect_refusal() {
  local code=$1 out rc=0
  shift
  out=$(ctl --json "$@") || rc=$?
  [ $rc -eq 1 ] || fail "tf-ctl $* exited $rc, expected 1: $out"
  [ "$(json_field code <<<"$out")" = "$code" ] || fail "tf-ctl $*: $out, expected $code"
}
expect_refusal UNAUTHENTICATED pause
printf 'not-the-token\n' >"$WORK/wrong"
expect_refusal PERMISSION_DENIED --token-file "$WORK/wrong" pause
expect_refusal INVALID_ARGUMENT "${TOKEN[@]}" scale-up --qkv-tokens 0 --proj-tokens 32 --ffn-tokens 64
expect_refusal INVALID_ARGUMENT "${TOKEN[@]}" scale-up --qkv-tokens 16 --proj-tokens 32 --ffn-tokens 64
expect_refusal FAILED_PRECONDITION "${TOKEN[@]}" resume
grep -q "control: Pause from ipv4:127.0.0.1:[0-9]* refused: UNAUTHENTICATED" "$WORK/run.log" ||
  fail "refusal not logged with the peer"

# Pause: the step stops moving until resume.
reply=$(ctl --json "${TOKEN[@]}" pause)
paused_at=$(json_field applied_at_step <<<"$reply")
grep -q "control: paused before step $((paused_at + 1))" "$WORK/run.log" || fail "pause not logged"
[ "$(ctl --json status | json_field state)" = RUN_STATE_PAUSED ] || fail "not PAUSED"
sleep 1
[ "$(ctl --json status | json_field step)" = "$paused_at" ] || fail "trained while paused"
expect_refusal FAILED_PRECONDITION "${TOKEN[@]}" pause
reply=$(ctl --json "${TOKEN[@]}" resume)
[ "$(json_field applied_at_step <<<"$reply")" = "$paused_at" ] || fail "resume: $reply"
wait_for 30 bash -c "[ \$($TF_CTL --address $CONTROL --json status | jq -r .step) -gt $paused_at ]" ||
  fail "no progress after resume"

# Checkpoint and scale-up succeed only where the build has them; otherwise UNIMPLEMENTED.
capabilities=$(ctl --json status | jq -c .capabilities)
if [ "$(jq -r .save_checkpoint <<<"$capabilities")" = true ]; then
  path=$(ctl --json "${TOKEN[@]}" checkpoint | json_field message)
  [ -e "$path" ] || fail "checkpoint $path does not exist"
else
  expect_refusal UNIMPLEMENTED "${TOKEN[@]}" checkpoint
fi
if [ "$(jq -r .scale_up <<<"$capabilities")" = true ]; then
  ctl --json "${TOKEN[@]}" scale-up >/dev/null || fail "scale-up refused"
  status=$(ctl --json status)
  [ "$(json_field stage <<<"$status")" = large ] || fail "stage after scale-up: $status"
  [ "$(jq -r .tokens.ffn_tokens <<<"$status")" = 96 ] || fail "tokens after scale-up: $status"
else
  expect_refusal UNIMPLEMENTED "${TOKEN[@]}" scale-up
fi

# Watch streams step events.
events=$(ctl --json watch --count 3)
[ "$(jq -r .kind <<<"$events" | grep -c KIND_)" = 3 ] || fail "watch: $events"

# Stop: the run ends by itself with status 0.
reply=$(ctl --json "${TOKEN[@]}" stop)
stopped_at=$(json_field applied_at_step <<<"$reply")
rc=0
wait_exit 60 "$RUN_PID" || rc=$?
[ $rc -eq 0 ] || fail "tf-launch exited $rc after stop (143: killed because it did not end)"
grep -q "control: stopping at step $stopped_at" "$WORK/run.log" || fail "stop not logged"
grep -q "validation loss .* | done" "$WORK/run.log" || fail "no final validation"
echo "PASS"
