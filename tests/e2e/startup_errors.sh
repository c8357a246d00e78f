#!/usr/bin/env bash
# End to end: a mistake that every rank of a 4-rank job makes (a layout that does not fit, an
# unknown key, a data file that does not exist) is printed once, by rank 0, and the job ends with
# exit status 2 without MPI's abort banner; one that only rank 2 makes (its checkpoint shard is
# corrupt) is printed once by rank 2 and ends the job as well. A checkpoint of another model is
# refused by saying so, with both models' sizes and the keys that lead on; tf-ctl names a flag
# whose value is not a number.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/run.yaml" <<YAML
model: {hidden_size: 32, num_layers: 1, num_heads: 2, qkv_tokens: 32, proj_tokens: 32,
        ffn_tokens: 64, seq_len: 32, vocab_size: 257}
train: {steps: 2, global_batch: 4, micro_batch: 1, log_interval: 1, eval_interval: 0,
        eval_batches: 1, threads: 1}
data: {synthetic: {documents: 100, doc_len: 128}}
YAML

# expect_once NAME PATTERN ARGS...: a 4-rank launch with ARGS exits 2 within 60 s and prints one
# error line, matching PATTERN, and no abort banner.
expect_once() {
  local name=$1 pattern=$2 rc=0
  shift 2
  # shellcheck disable=SC2086  # TF_MPIRUN is a command line
  OMP_NUM_THREADS=1 timeout 60 $TF_MPIRUN -x OMP_NUM_THREADS -np 4 "$TF_LAUNCH" "$@" \
    >"$WORK/$name.log" 2>&1 || rc=$?
  [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2: $(tail -20 "$WORK/$name.log")"
  local errors
  errors=$(grep -c "error:" "$WORK/$name.log" || true)
  [ "$errors" = 1 ] || fail "$name: $errors error lines, expected 1: $(cat "$WORK/$name.log")"
  grep -q "$pattern" "$WORK/$name.log" || fail "$name: no '$pattern': $(cat "$WORK/$name.log")"
  if grep -qi "MPI_ABORT\|ORTE_ERROR_LOG" "$WORK/$name.log"; then
    fail "$name: MPI's abort banner: $(cat "$WORK/$name.log")"
  fi
  echo "$name: $(grep "error:" "$WORK/$name.log")"
}

expect_once layout "tf-launch: rank 0: error: .*dp 4" --config "$WORK/run.yaml" \
  --set parallel.tp=2 --set parallel.dp=4
expect_once key "tf-launch: rank 0: error: .*'model.num_layer': unknown key" \
  --config "$WORK/run.yaml" --set model.num_layer=2
sed 's|data: {synthetic|data: {train: [{path: '"$WORK"'/missing}], synthetic|' "$WORK/run.yaml" \
  >"$WORK/missing_data.yaml"
expect_once data "tf-launch: rank 0: error: .*$WORK/missing" --config "$WORK/missing_data.yaml"

# Only rank 2 reads its own shard of a tp 4 checkpoint: corrupt, it fails there alone.
launch 4 --config "$WORK/run.yaml" --set parallel.tp=4 --set checkpoint.dir="$WORK/ckpt" \
  >"$WORK/save.log" 2>&1 || fail "the tp 4 run failed: $(tail -20 "$WORK/save.log")"
shard="$WORK/ckpt/step_2/rank_00002.safetensors"
[ -f "$shard" ] || fail "no $shard: $(ls "$WORK/ckpt/step_2")"
printf '\x01' | dd of="$shard" bs=1 seek=$(($(stat -c %s "$shard") - 8)) conv=notrunc status=none
expect_once shard "tf-launch: rank 2: error: $shard: checksum mismatch" --config "$WORK/run.yaml" \
  --set parallel.tp=4 --set checkpoint.dir="$WORK/ckpt" --set train.steps=3

# A checkpoint of another model: both models' sizes, and what leads on.
rc=0
OMP_NUM_THREADS=1 "$TF_LAUNCH" eval --config "$WORK/run.yaml" --set model.hidden_size=64 \
  --checkpoint "$WORK/ckpt/step_2" --data "$WORK/none" >"$WORK/eval.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "eval of another model: exit $rc: $(cat "$WORK/eval.log")"
for text in "step_2 holds another model than this run's (they differ in hidden_size)" \
  "the checkpoint's has hidden_size 32, num_layers 1, num_heads 2, vocab_size 257" \
  "this run's has hidden_size 64, num_layers 1" "a --config whose model section"; do
  grep -qF "$text" "$WORK/eval.log" || fail "eval of another model does not say '$text': $(cat "$WORK/eval.log")"
done
rc=0
launch 1 --config "$WORK/run.yaml" --set model.num_layers=2 --set checkpoint.dir="$WORK/ckpt" \
  --set train.steps=3 >"$WORK/resume.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "resume of another model: exit $rc: $(tail -5 "$WORK/resume.log")"
for text in "holds another model than this run's (they differ in num_layers)" \
  "give it a new checkpoint.dir" "set model.init_from: $WORK/ckpt/step_"; do
  grep -qF "$text" "$WORK/resume.log" || fail "resume of another model does not say '$text': $(cat "$WORK/resume.log")"
done
echo "another model: $(grep "error:" "$WORK/resume.log")"

# tf-ctl names the flag whose value is not a number (before it calls anything).
rc=0
"$TF_CTL" --address 127.0.0.1:1 scale-up --qkv-tokens abc --proj-tokens 32 --ffn-tokens 64 \
  >"$WORK/ctl.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "tf-ctl with a bad number: exit $rc: $(cat "$WORK/ctl.log")"
grep -q "^tf-ctl: --qkv-tokens: 'abc' is not an integer$" "$WORK/ctl.log" ||
  fail "tf-ctl does not name the flag: $(cat "$WORK/ctl.log")"
echo "PASS"
