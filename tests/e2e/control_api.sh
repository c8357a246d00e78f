#!/usr/bin/env bash
# End to end: a real 2-rank tf-launch job (mpirun, tp 2) driven by tf-ctl. Status, refusals (no
# token, wrong token, bad request), pause/resume, checkpoint, scale-up, watch and a graceful stop,
# each checked in tf-ctl's output, in the run's log and in the checkpoint files.
source "$(dirname "$0")/lib.sh"

RUN_RANKS=2 start_run --set parallel.tp=2 --set checkpoint.dir="$WORK/ckpt"
TOKEN=(--token-file "$WORK/token")
echo "run: control $CONTROL, metrics $METRICS"

# Read-only calls need no token.
status=$(ctl --json status)
[ "$(json_field state <<<"$status")" = RUN_STATE_RUNNING ] || fail "state: $status"
[ "$(json_field stage <<<"$status")" = small ] || fail "stage: $status"
[ "$(jq -r .tokens.qkv_tokens <<<"$status")" = 32 ] || fail "tokens: $status"
ctl status | grep -q "^state       RUNNING$" || fail "human status"

# One line per rank: host, local rank, device and last step time; the status files say the same.
wait_for 30 bash -c "$TF_CTL --address $CONTROL --json status | jq -e '.ranks | length == 2'" ||
  fail "the status lists no 2 ranks: $(ctl --json status)"
status=$(ctl --json status)
host=$(hostname)
for r in 0 1; do
  jq -e ".ranks[$r] | .rank == \"$r\" and .host == \"$host\" and .local_rank == \"$r\" and
        .device == \"cpu\" and .step_seconds > 0" <<<"$status" >/dev/null ||
    fail "rank $r in the status: $(jq -c ".ranks[$r]" <<<"$status")"
  file="$WORK/ckpt/ranks/rank-$r.json"
  wait_for 30 jq -e ".host == \"$host\" and .local_rank == $r and .device == \"cpu\" and
                     .step_seconds > 0" "$file" || fail "rank $r's status file: $(cat "$file")"
done
ctl status | grep -Eq "^ranks       rank 0 on $host, local rank 0, cpu: last step [0-9.]+ s$" ||
  fail "human status of rank 0: $(ctl status)"
ctl status | grep -Eq "^            rank 1 on $host, local rank 1, cpu: last step [0-9.]+ s$" ||
  fail "human status of rank 1: $(ctl status)"

# The unix socket: mode 0600 in a directory of mode 0700, found by tf-ctl without --address; the
# calls on it are logged as from "local".
socket=$(sed -n 's/.*control: unix socket \(.*\) (mode 0600).*/\1/p' "$WORK/run.log" | head -1)
[ -S "$socket" ] || fail "no control socket named in the log: $(grep 'control:' "$WORK/run.log")"
[ "$(stat -c %a "$socket")" = 600 ] || fail "$socket has mode $(stat -c %a "$socket")"
[ "$(stat -c %a "$(dirname "$socket")")" = 700 ] || fail "$(dirname "$socket") is not mode 700"
[ "$("$TF_CTL" --json status | jq -r .state)" = RUN_STATE_RUNNING ] ||
  fail "tf-ctl without --address: $("$TF_CTL" status 2>&1)"
"$TF_CTL" --address "unix:$socket" pause >/dev/null 2>&1 || true
grep -q "control: Pause from local refused: UNAUTHENTICATED" "$WORK/run.log" ||
  fail "a call on the socket is not logged as local"

# expect_refusal CODE ARGS...: tf-ctl exits 1 and prints CODE.
expect_refusal() {
  local code=$1 out rc=0
  shift
  out=$(ctl --json "$@") || rc=$?
  [ $rc -eq 1 ] || fail "tf-ctl $* exited $rc, expected 1: $out"
  [ "$(json_field code <<<"$out")" = "$code" ] || fail "tf-ctl $*: $out, expected $code"
}
expect_refusal UNAUTHENTICATED pause
(umask 077 && printf 'not-the-token-of-this-run\n' >"$WORK/wrong")
expect_refusal PERMISSION_DENIED --token-file "$WORK/wrong" pause
expect_refusal INVALID_ARGUMENT "${TOKEN[@]}" scale-up --qkv-tokens 0 --proj-tokens 32 --ffn-tokens 64
expect_refusal INVALID_ARGUMENT "${TOKEN[@]}" scale-up --qkv-tokens 16 --proj-tokens 32 --ffn-tokens 64
expect_refusal FAILED_PRECONDITION "${TOKEN[@]}" resume
grep -q "control: Pause from ipv4:127.0.0.1:[0-9]* refused: UNAUTHENTICATED" "$WORK/run.log" ||
  fail "refusal not logged with the peer"

# A growth name with a line end and 60 KB after it (requests are capped at 64 KiB): echoed escaped
# and cut, in the reply and the log, so that it can neither forge a log line nor flood either.
forged=$'bad\n[00:00:00 r0] control: Stop from ipv4:10.0.0.1:1 applied at step 1'
filler=$(head -c 60000 /dev/zero | tr '\0' x)
rc=0
out=$(ctl --json "${TOKEN[@]}" scale-up --growth "$forged$filler") || rc=$?
[ $rc -eq 1 ] && [ "$(json_field code <<<"$out")" = INVALID_ARGUMENT ] || fail "growth: $out"
message=$(json_field message <<<"$out")
[ ${#message} -lt 400 ] || fail "the reply echoes ${#message} characters"
grep -qF "'bad\n[00:00:00 r0] control: Stop from" <<<"$message" || fail "not escaped: $message"
grep -qF "... ($((${#forged} + 60000)) bytes)'" <<<"$message" ||
  fail "the cut does not say the length: $message"
! grep -q "^\[00:00:00 r0\] control: Stop" "$WORK/run.log" || fail "a forged line reached the log"
line=$(grep "ScaleUp from .* refused: INVALID_ARGUMENT: growth must be" "$WORK/run.log") ||
  fail "the growth refusal is not logged"
[ ${#line} -lt 1000 ] || fail "the growth refusal's log line has ${#line} characters"
# Beyond 64 KiB the request is refused whole.
rc=0
out=$(ctl --json "${TOKEN[@]}" scale-up --growth "$filler$filler") || rc=$?
[ $rc -eq 1 ] && [ "$(json_field code <<<"$out")" = RESOURCE_EXHAUSTED ] &&
  grep -q "larger than max (120[0-9]* vs. 65536)" <<<"$out" || fail "120 KB request: $out"

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

# Checkpoint: written by both ranks, complete, and readable.
reply=$(ctl --json "${TOKEN[@]}" save-checkpoint)
path=$(json_field message <<<"$reply")
[ -f "$path/COMPLETE" ] || fail "checkpoint $path is not complete: $reply"
[ "$(ls "$path"/rank_*.safetensors | wc -l)" = 2 ] || fail "expected one shard file per rank in $path"
"$TF_LAUNCH" inspect-ckpt "$path" >"$WORK/inspect.txt" || fail "inspect-ckpt $path failed"
grep -q "tp 2" "$WORK/inspect.txt" || fail "inspect-ckpt does not show tp 2: $(cat "$WORK/inspect.txt")"
[ "$(ctl --json status | json_field last_checkpoint)" = "$path" ] || fail "status last_checkpoint"

# Scale-up to the next stage, applied by both ranks at the same step.
ctl --json "${TOKEN[@]}" scale-up >/dev/null || fail "scale-up refused"
status=$(ctl --json status)
[ "$(json_field stage <<<"$status")" = large ] || fail "stage after scale-up: $status"
[ "$(jq -r .tokens.ffn_tokens <<<"$status")" = 96 ] || fail "tokens after scale-up: $status"
grep -q "stage 'large' starts at step" "$WORK/run.log" || fail "scale-up not logged"

# Watch streams step events.
events=$(ctl --json watch --count 3)
[ "$(jq -r .kind <<<"$events" | grep -c KIND_)" = 3 ] || fail "watch: $events"

# Stop: the run ends by itself with status 0.
reply=$(ctl --json "${TOKEN[@]}" stop)
stopped_at=$(json_field applied_at_step <<<"$reply")
rc=0
wait_exit 60 "$RUN_PID" || rc=$?
[ $rc -eq 0 ] || fail "tf-launch exited $rc after stop (143: killed because it did not end)"
grep -q "control: stopping at step $stopped_at; checkpoint $WORK/ckpt/step_$stopped_at" "$WORK/run.log" ||
  fail "stop (with its checkpoint) not logged"
[ -f "$WORK/ckpt/step_$stopped_at/COMPLETE" ] || fail "no complete checkpoint at the stop"
grep -q "validation loss .* | done" "$WORK/run.log" || fail "no final validation"
echo "PASS"
