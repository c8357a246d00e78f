#!/usr/bin/env bash
# End to end: status and metrics describe the model that trains, in every stage of
# configs/tiny-stages.yaml, and again after a relaunch that resumes mid-chain. In each stage the
# run is paused and GetStatus and /metrics are compared with what the banner of the log says of
# that stage (tokens, parameters, FLOPs per token, through MFU) and with the run's length. The
# TensorBoard event files of the whole chain, read by the `tensorboard` package, equal its metrics
# file, with the validations before and after each growth under their own tags.
source "$(dirname "$0")/lib.sh"
: "${TF_SOURCE_DIR:?path of the project}"

CONFIG="$TF_SOURCE_DIR/configs/tiny-stages.yaml"
TOKEN=(--token-file "$WORK/token")
PEAK=1.0e11
# Bigger batches than the config's make each stage last seconds, long enough to pause in.
SETS=(--set checkpoint.dir="$WORK/ckpt" --set metrics.peak_flops=$PEAK
  --set train.global_batch=32 --set train.micro_batch=16 --set train.log_interval=1
  --set train.metrics_file="$WORK/metrics.jsonl" --set metrics.tensorboard_dir="$WORK/tb")
STAGES=(small medium large)
TOTAL=180  # 3 stages of 60 steps

# stage_line NAME: the banner's line for stage NAME.
stage_line() { grep -m1 "stage $1 " "$WORK/run.log"; }

# check_stage INDEX: pauses, compares status and metrics with the banner, resumes.
check_stage() {
  local index=$1 name=${STAGES[$1]} line status tokens params flops
  ctl "${TOKEN[@]}" pause >/dev/null || fail "pause refused in stage $name"
  line=$(stage_line "$name") || fail "no banner line for stage $name"
  read -r -a tokens < <(sed -n 's/.*tokens qkv *\([0-9]*\) proj *\([0-9]*\) ffn *\([0-9]*\).*/\1 \2 \3/p' <<<"$line")
  params=$(sed -n 's/.* | \([0-9,]*\) parameters .*/\1/p' <<<"$line" | tr -d ,)
  flops=$(sed -n 's/.* | \([0-9.e+]*\) training FLOPs\/token.*/\1/p' <<<"$line")
  status=$(ctl --json status)
  [ "$(json_field stage <<<"$status")" = "$name" ] || fail "status stage, expected $name: $status"
  [ "$(jq -r '.stage_index // 0' <<<"$status")" = "$index" ] || fail "status stage_index: $status"
  [ "$(jq -r '.tokens | "\(.qkv_tokens) \(.proj_tokens) \(.ffn_tokens)"' <<<"$status")" = "${tokens[*]}" ] ||
    fail "status tokens, expected ${tokens[*]}: $status"
  [ "$(json_field parameter_count <<<"$status")" = "$params" ] ||
    fail "status parameter_count, expected $params: $status"
  [ "$(json_field total_steps <<<"$status")" = "$TOTAL" ] || fail "status total_steps: $status"
  [ "$(metric tokenformer_stage)" = "$index" ] || fail "tokenformer_stage $(metric tokenformer_stage), expected $index"
  [ "$(metric tokenformer_parameters)" = "$params" ] ||
    fail "tokenformer_parameters $(metric tokenformer_parameters), expected $params"
  local i projection
  for i in 0 1 2; do
    projection=$(sed -n "$((i + 1))p" <<<$'qkv\nproj\nffn')
    [ "$(metric tokenformer_parameter_tokens "projection=\"$projection\"")" = "${tokens[$i]}" ] ||
      fail "tokenformer_parameter_tokens{projection=\"$projection\"}, expected ${tokens[$i]}"
  done
  # MFU = tokens/s x FLOPs per token / (peak x ranks), from the same step's gauges: once the
  # stage has taken a step (until then the gauges hold the previous stage's last step).
  wait_for 60 mfu_matches "$flops" ||
    fail "MFU is not computed from $flops FLOPs/token in stage $name: $(curl -sf --max-time 5 \
      "http://$METRICS/metrics" | grep -E '^tokenformer_(mfu|tokens_per)')"
  echo "stage $name: status and metrics match (tokens ${tokens[*]}, $params parameters)"
  ctl "${TOKEN[@]}" resume >/dev/null || fail "resume refused in stage $name"
}

# mfu_matches FLOPS: the scraped MFU and tokens/s gauges imply FLOPS training FLOPs per token.
mfu_matches() {
  curl -sf --max-time 5 "http://$METRICS/metrics" | awk -v flops="$1" -v peak=$PEAK '
    $1 == "tokenformer_mfu_ratio" { mfu = $2 }
    $1 == "tokenformer_tokens_per_second" { tps = $2 }
    END { got = mfu * peak / tps; exit !(tps > 0 && got > flops * 0.999 && got < flops * 1.001) }'
}

# until_step N: waits until the status reports more than N steps.
until_step() {
  wait_for 120 bash -c "[ \$($TF_CTL --address $CONTROL --json status | jq -r '.step // 0') -gt $1 ]" ||
    fail "the run did not pass step $1"
}

# until_stage NAME: waits until the status reports stage NAME (the run moves there by itself) and
# the run has taken a step in it (so that the step gauges describe that stage).
until_stage() {
  wait_for 120 bash -c "[ \"\$($TF_CTL --address $CONTROL --json status | jq -r .stage)\" = $1 ]" ||
    fail "the run did not reach stage $1"
  until_step "$(ctl --json status | jq -r '.step // 0')"
}

start_config "$CONFIG" "${SETS[@]}"
until_step 1  # a step's throughput for MFU
check_stage 0
until_stage medium
check_stage 1
# Stop mid-chain with a checkpoint, and relaunch: the run resumes in stage medium.
ctl "${TOKEN[@]}" pause >/dev/null
reply=$(ctl --json "${TOKEN[@]}" stop) || fail "stop refused: $reply"
rc=0
wait_exit 60 "$RUN_PID" || rc=$?
[ $rc -eq 0 ] || fail "first launch exited $rc after stop"
stopped_at=$(json_field applied_at_step <<<"$reply")

start_config "$CONFIG" "${SETS[@]}"
# The control server starts before the trainer resumes: the line may follow the address's.
wait_for 30 grep -q "resumed from $WORK/ckpt/step_$stopped_at" "$WORK/run.log" ||
  fail "the relaunch did not resume"
until_step "$stopped_at"
check_stage 1
until_stage large
check_stage 2
rc=0
wait_exit 120 "$RUN_PID" || rc=$?
[ $rc -eq 0 ] || fail "relaunch exited $rc"
grep -q "step *$TOTAL/$TOTAL" "$WORK/run.log" || fail "did not train to step $TOTAL"
"$TF_ENV_PYTHON" "$TF_E2E_DIR/tensorboard_check.py" "$WORK/metrics.jsonl" "$WORK/tb" train/mfu \
  validation/valid_loss_before_growth progress/stage_index progress/parameters ||
  fail "the event files disagree with the metrics file"
echo "PASS"
