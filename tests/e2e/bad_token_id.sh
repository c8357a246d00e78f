#!/usr/bin/env bash
# End to end: a token id outside the vocabulary far into a corpus. The launch does not read the
# .bin through, so training starts; the step whose samples hold the id stops the job, alone and
# at 2 ranks, with exit status 2 and one message naming the step, the file, the document and the
# position, before any step uses it; the last checkpoint is intact (a run on the repaired file
# resumes from it and finishes). A bad id in the held-out validation part stops the validation
# that reads it.
source "$(dirname "$0")/lib.sh"
: "${TF_SOURCE_DIR:?source directory}"
TF_DATA=$(dirname "$TF_LAUNCH")/tf-data

# 1000 documents of 99 bytes and an end of document: document d is tokens [100 d, 100 d + 100).
for d in $(seq 0 999); do
  printf '{"text": "%s"}\n' "$(printf 'document %04d ' "$d" | head -c 14)$(printf '%085d' "$d")"
done >"$WORK/corpus.jsonl"
"$TF_DATA" build --input "$WORK/corpus.jsonl" --format jsonl --append-eod \
  --output "$WORK/data" --workers 1 >"$WORK/build.log" 2>&1 || fail "tf-data build: $(cat "$WORK/build.log")"
[ "$(stat -c %s "$WORK/data.bin")" = 200000 ] || fail "expected 100,000 uint16 tokens"

# set_token POSITION HEX4: overwrites the uint16 token at POSITION (little-endian bytes).
set_token() {
  printf '%b' "\\x${2:2:2}\\x${2:0:2}" | dd of="$WORK/data.bin" bs=1 seek=$(($1 * 2)) conv=notrunc \
    status=none
}
cp "$WORK/data.bin" "$WORK/good.bin"
# Read at step 71 by the second micro batch: at 2 ranks by rank 1, which must end the job alone.
set_token 45678 ffff  # document 456, token 78

run_args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address=
  --set "data.train=[{path: $WORK/data}]" --set train.steps=300 --set train.log_interval=1
  --set train.eval_interval=0 --set checkpoint.interval=3)

# expect_bad_step RANKS NAME RANK: the launch fails with exit 2 within 120 s and one error line,
# from RANK, that names the step, the file, the document and the position; sets STEP to the step.
expect_bad_step() {
  local ranks=$1 name=$2 rank=$3 rc=0
  rm -rf "$WORK/ckpt"
  local command=("$TF_LAUNCH")
  # shellcheck disable=SC2206  # TF_MPIRUN is a command line
  [ "$ranks" = 1 ] || command=($TF_MPIRUN -x OMP_NUM_THREADS -np "$ranks" "$TF_LAUNCH")
  OMP_NUM_THREADS=1 timeout 120 "${command[@]}" "${run_args[@]}" \
    --set checkpoint.dir="$WORK/ckpt" >"$WORK/$name.log" 2>&1 || rc=$?
  [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2: $(tail -20 "$WORK/$name.log")"
  local line
  line=$(grep "error:" "$WORK/$name.log") || fail "$name: no error line: $(tail -20 "$WORK/$name.log")"
  [ "$(echo "$line" | wc -l)" = 1 ] || fail "$name: more than one error line: $line"
  echo "$line" | grep -q "tf-launch: rank $rank: error: step [0-9]*: training samples [0-9]* to [0-9]*: $WORK/data.bin: token id 65535 at token 45678 (document 456, token 78 of it) is outside the vocabulary \[0, 257): model.vocab_size is too small" ||
    fail "$name: unexpected error: $line"
  STEP=${line#*error: step }
  STEP=${STEP%%:*}
  # The failed step logged nothing: the last step logged is the one before it.
  local last
  last=$(grep -o "step *[0-9]*/" "$WORK/$name.log" | tail -1 | tr -dc 0-9)
  [ "$last" = $((STEP - 1)) ] || fail "$name: failed at step $STEP, but step $last was logged last"
  [ "$STEP" -gt 10 ] || fail "$name: step $STEP is not far from the start"
  echo "$name: $line"
}

expect_bad_step 1 one_rank 0
one_rank_step=$STEP
expect_bad_step 2 two_ranks 1
# The ranks read disjoint halves of each global batch: the sample is the same, so is the step.
[ "$STEP" = "$one_rank_step" ] || fail "1 rank failed at step $one_rank_step, 2 ranks at $STEP"

# The last checkpoint before the bad step is complete: on the repaired file the run resumes there.
saved=$((((STEP - 1) / 3) * 3))
[ -f "$WORK/ckpt/step_$saved/COMPLETE" ] ||
  fail "no complete checkpoint step_$saved: $(ls "$WORK/ckpt")"
[ ! -d "$WORK/ckpt/step_$STEP" ] || fail "a checkpoint of the failed step $STEP was written"
cp "$WORK/good.bin" "$WORK/data.bin"
launch 2 "${run_args[@]}" --set checkpoint.dir="$WORK/ckpt" --set train.steps=$((STEP + 2)) \
  >"$WORK/resume.log" 2>&1 || fail "the resume failed: $(tail -20 "$WORK/resume.log")"
grep -q "resumed from $WORK/ckpt/step_$saved: step $saved" "$WORK/resume.log" ||
  fail "did not resume from step_$saved: $(grep -i resum "$WORK/resume.log")"
grep -q "step *$((STEP + 2))/" "$WORK/resume.log" || fail "the resumed run did not reach step $((STEP + 2))"
echo "resumed from step_$saved and trained past step $STEP on the repaired file"

# In the held-out validation part (the last 1%: documents 990 to 999).
set_token 99512 ffff  # document 995, token 12
rc=0
launch 1 "${run_args[@]}" --set train.eval_interval=2 --set train.steps=4 \
  >"$WORK/valid.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "validation: exit $rc, expected 2: $(tail -20 "$WORK/valid.log")"
grep -q "error: step 2: validation samples [0-9]* to [0-9]*: $WORK/data.bin: token id 65535 at token 99512 (document 995, token 12 of it) is outside the vocabulary \[0, 257)" \
  "$WORK/valid.log" || fail "validation: unexpected error: $(grep error: "$WORK/valid.log")"
echo "validation: $(grep error: "$WORK/valid.log")"
echo "PASS"
