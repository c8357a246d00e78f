#!/usr/bin/env bash
# End to end: train.metrics_file. A run writes one record per logged step and per validation; a
# relaunch that resumes from an earlier checkpoint (the later ones removed, as when a run went on
# past its last save) drops the records after that checkpoint, keeps the old file as .bak and
# continues without a duplicate step; scripts/plot_runs.py draws the file. The same records as
# TensorBoard scalars (metrics.tensorboard_dir), read back by the `tensorboard` package, equal the
# file's at every step, before and after the resume.
source "$(dirname "$0")/lib.sh"

metrics=$WORK/run.jsonl
tb=$WORK/tb
tb_check=("$TF_ENV_PYTHON" "$TF_E2E_DIR/tensorboard_check.py" "$metrics" "$tb")
args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=30
      --set train.log_interval=5 --set train.eval_interval=10 --set checkpoint.interval=10
      --set "checkpoint.dir=$WORK/ckpt" --set "train.metrics_file=$metrics"
      --set "metrics.tensorboard_dir=$tb")
"$TF_LAUNCH" "${args[@]}" >"$WORK/first.log" 2>&1 || fail "the first run failed: $(tail -3 "$WORK/first.log")"

# keys FILE: "kind step" of every record.
keys() { jq -r '"\(.kind) \(.step)"' "$1"; }
expected=$(printf '%s\n' "train 1" "train 5" "train 10" "validation 10" "train 15" "train 20" \
  "validation 20" "train 25" "train 30" "validation 30")
[ "$(keys "$metrics")" = "$expected" ] || fail "first run's records: $(keys "$metrics" | tr '\n' ,)"
jq -s -e 'map(select(.kind == "train")) | all(.loss > 0 and .lr > 0 and .grad_norm > 0
       and .tokens_per_s > 0 and .flops > 0 and .tokens > 0 and .wall_s >= 0 and .stage == "main")' \
  "$metrics" >/dev/null ||
  fail "a train record lacks a field"
"${tb_check[@]}" || fail "the first run's event files disagree with its metrics file"
first_30=$(jq -c 'select(.step == 30 and .kind == "validation") | .valid_loss' "$metrics")

rm -rf "$WORK/ckpt/step_20" "$WORK/ckpt/step_30"
"$TF_LAUNCH" "${args[@]}" >"$WORK/resumed.log" 2>&1 || fail "the resumed run failed: $(tail -3 "$WORK/resumed.log")"
grep -q "resumed from .*step_10" "$WORK/resumed.log" || fail "did not resume from step 10"
grep -q "step *11/30 | loss" "$WORK/resumed.log" || fail "the resumed run did not log its first step"
want=$(printf '%s\n' "train 1" "train 5" "train 10" "validation 10" "train 11" "train 15" \
  "train 20" "validation 20" "train 25" "train 30" "validation 30")
[ "$(keys "$metrics")" = "$want" ] || fail "resumed records: $(keys "$metrics" | tr '\n' ,)"
[ "$(keys "$metrics.bak")" = "$expected" ] || fail "the .bak is not the file as it was"
# The resumed run repeats steps 11-30 exactly: the same final validation loss.
[ "$(jq -c 'select(.step == 30 and .kind == "validation") | .valid_loss' "$metrics")" = "$first_30" ] ||
  fail "the resumed run's final validation loss differs"
jq -s -e '[.[].wall_s] | . == sort' "$metrics" >/dev/null || fail "wall_s goes back"
tb_summary=$("${tb_check[@]}") || fail "the resumed run's event files disagree with its metrics file"
ls "$tb" | grep -q '^events\.out\.superseded\.' || fail "the event file as it was is not kept"

"$TF_SOURCE_DIR/scripts/plot_runs.py" "$metrics" --output "$WORK/loss.png" >/dev/null
[ "$(head -c 8 "$WORK/loss.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
  fail "plot_runs.py wrote no PNG"
echo "metrics file: $(wc -l <"$metrics") records, resumed without duplicates; plot drawn"
echo "$tb_summary"
