#!/usr/bin/env bash
# End to end: the 1.4B chain (configs/1.4b.yaml) planned for 8 and for 32 ranks from one process,
# without mpirun. Every stage gets its layout with dp as a number, its batch split and its memory
# on the costliest rank; `plan --ranks 32` gives the same dp and the same memory figure, and
# `plan` without a rank count says "auto". A rank count the layout or the batch cannot take is
# refused with the numbers; --ranks under mpirun with more than one rank is refused.
source "$(dirname "$0")/lib.sh"

config=$TF_SOURCE_DIR/configs/1.4b.yaml
"$(dirname "$TF_LAUNCH")/tf-data" synth --output "$WORK/synth" --documents 50 >/dev/null
data=(--set data.tokenizer=byte --set "data.train=[{path: $WORK/synth}]"
      --set "checkpoint.dir=$WORK/ckpt" --set control.address=)

# memory_of LOG STAGE: the "about X GiB" figure of STAGE's memory line in LOG.
memory_of() {
  grep -A2 "stage '$2' (" "$1" | sed -n 's/.*  memory: about \([0-9.]* [KMGT]iB\) (.*/\1/p'
}

for ranks in 8 32; do
  log=$WORK/dry-$ranks.log
  rc=0
  "$TF_LAUNCH" --config "$config" --dry-run --ranks "$ranks" "${data[@]}" >"$log" 2>&1 || rc=$?
  [ $rc -eq 0 ] || fail "the dry run for $ranks ranks exited $rc: $(tail -3 "$log")"
  grep -q "dry run for $ranks ranks in this one process" "$log" || fail "no rank-count line"
  for stage in 124M 354M 757M 1.4B; do
    grep -A2 "stage '$stage' (" "$log" >"$WORK/block"
    grep -q "stage '$stage' ([0-9,]* parameters): tp 1 x pp 1 x dp $ranks = $ranks ranks, launch 1 of 1$" \
      "$WORK/block" || fail "stage $stage at $ranks ranks: no layout with dp $ranks: $(cat "$WORK/block")"
    grep -q "^\[.*\]   batch: global 512 = micro 8 x accumulation $((512 / (8 * ranks))) x dp $ranks sequences$" \
      "$WORK/block" || fail "stage $stage at $ranks ranks: no batch split: $(cat "$WORK/block")"
    [ -n "$(memory_of "$log" "$stage")" ] ||
      fail "stage $stage at $ranks ranks: no memory figure: $(cat "$WORK/block")"
  done
  # 1,399,948,800 fp32 parameters are 5.2 GiB, on every rank at tp 1 x pp 1.
  grep -A2 "stage '1.4B' (1,399,948,800 parameters)" "$log" | grep -q "memory: about .* (parameters 5.2 GiB, gradients 5.2 GiB," ||
    fail "the 1.4B stage's parameters are not 5.2 GiB per rank: $(grep -A2 "stage '1.4B'" "$log")"
  grep -q "dry run for $ranks ranks: config valid; every stage's layout, batch split and memory planned" \
    "$log" || fail "no verdict for $ranks ranks: $(tail -2 "$log")"
  grep -q "resolved config: not shown (--print-config shows it)" "$log" || fail "config hint"
  ! grep -q "^  lr: " "$log" || fail "the resolved config is printed without --print-config"
  echo "$ranks ranks: 1.4B stage needs $(memory_of "$log" 1.4B) per rank"
done

# plan: dp as a number and each launch's memory (its costliest stage, the 1.4B one).
"$TF_LAUNCH" plan --config "$config" --ranks 32 >"$WORK/plan.txt"
cat "$WORK/plan.txt"
line=$(grep -v '^#' "$WORK/plan.txt")
expected=$(printf '1\t124M\t1.4B\t1\t1\t32\t32\t%s' "$(memory_of "$WORK/dry-32.log" 1.4B)")
[ "$line" = "$expected" ] || fail "plan --ranks 32 printed '$line', expected '$expected'"
grep -q $'^# job\tfirst_stage\tlast_stage\ttp\tpp\tdp\tranks\tmemory_per_rank$' "$WORK/plan.txt" ||
  fail "plan header: $(head -1 "$WORK/plan.txt")"
line=$("$TF_LAUNCH" plan --config "$config" | grep -v '^#')
[ "$line" = $'1\t124M\t1.4B\t1\t1\tauto\tauto\t-' ] || fail "plan without --ranks printed '$line'"

# A layout per stage: the 1.4B stage at tp 2 x pp 2 is a second launch of 8 ranks at dp 2.
"$TF_LAUNCH" --config "$config" --dry-run --ranks 8 "${data[@]}" \
  --set 'stages[3].parallel={tp: 2, pp: 2}' >"$WORK/layouts.log" 2>&1 ||
  fail "the dry run with a tp 2 x pp 2 stage failed: $(tail -3 "$WORK/layouts.log")"
grep -q "stage '757M' (.*): tp 1 x pp 1 x dp 8 = 8 ranks, launch 1 of 2$" "$WORK/layouts.log" ||
  fail "757M is not in launch 1 of 2"
grep -q "stage '1.4B' (.*): tp 2 x pp 2 x dp 2 = 8 ranks, launch 2 of 2; pp rank 0: layers 0-[0-9]* + embedding | pp rank 1: layers [0-9]*-11 + head$" \
  "$WORK/layouts.log" || fail "no tp 2 x pp 2 layout for 1.4B: $(grep "stage '1.4B' (" "$WORK/layouts.log")"
grep -A1 "stage '1.4B' (" "$WORK/layouts.log" | grep -q "batch: global 512 = micro 8 x accumulation 32 x dp 2 sequences" ||
  fail "no batch split at dp 2"
# Token parallelism halves the per-rank token parameters: the stage needs less than at tp 1.
tp1=$(memory_of "$WORK/dry-8.log" 1.4B)
tp2=$(memory_of "$WORK/layouts.log" 1.4B)
[ "${tp1% GiB}" != "$tp1" ] && [ "${tp2% GiB}" != "$tp2" ] &&
  awk -v a="${tp2% GiB}" -v b="${tp1% GiB}" 'BEGIN { exit !(a < b) }' ||
  fail "tp 2 x pp 2 needs $tp2, tp 1 needs $tp1"

# Rank counts the config cannot take: refused with the numbers, exit 2.
rc=0
"$TF_LAUNCH" --config "$config" --dry-run --ranks 12 "${data[@]}" >"$WORK/batch.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--ranks 12 exited $rc, expected 2"
grep -q "error: .*configs/1.4b.yaml: 'train.global_batch' (512) must be a multiple of micro_batch x data-parallel size (8 x 12), for stage '124M' at tp 1 x pp 1 x dp 12 (12 ranks)" \
  "$WORK/batch.log" || fail "unclear batch refusal: $(tail -1 "$WORK/batch.log")"
rc=0
"$TF_LAUNCH" --config "$config" --dry-run --ranks 6 "${data[@]}" \
  --set 'stages[3].parallel={tp: 2, pp: 2}' >"$WORK/layout.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--ranks 6 at tp 2 x pp 2 exited $rc, expected 2"
grep -q "error: .*configs/1.4b.yaml: stage '1.4B' runs at tp 2 x pp 2, which does not fit the 6 ranks of this job: launch it with a multiple of 4 ranks" \
  "$WORK/layout.log" || fail "unclear layout refusal: $(tail -1 "$WORK/layout.log")"
rc=0
"$TF_LAUNCH" --config "$config" --ranks 8 >"$WORK/no-dry.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--ranks without --dry-run exited $rc, expected 2"
grep -q "error: --ranks belongs to a dry run: add --dry-run" "$WORK/no-dry.log" ||
  fail "unclear refusal of --ranks without --dry-run: $(tail -1 "$WORK/no-dry.log")"
rc=0
$TF_MPIRUN -np 2 "$TF_LAUNCH" --config "$config" --dry-run --ranks 8 "${data[@]}" \
  >"$WORK/mpirun.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "--ranks under mpirun -np 2 exited 0"
grep -q "error: --ranks 8 plans that many ranks from one process, but this launch has 2 ranks: run it without mpirun" \
  "$WORK/mpirun.log" || fail "unclear refusal under mpirun: $(grep error "$WORK/mpirun.log")"

# --print-config: the resolved config after the plan, with floats as written (6.0e-4 is 0.0006).
"$TF_LAUNCH" --config "$config" --dry-run --ranks 8 --print-config "${data[@]}" \
  >"$WORK/config.log" 2>&1 || fail "the dry run with --print-config failed"
grep -q "^  lr: 0.0006$" "$WORK/config.log" || fail "no 'lr: 0.0006' in the resolved config"
grep -q "^  eps: 1e-08$" "$WORK/config.log" || fail "no 'eps: 1e-08' in the resolved config"
plan_line=$(grep -n "stage '1.4B' (" "$WORK/config.log" | cut -d: -f1)
config_line=$(grep -n "resolved config:$" "$WORK/config.log" | cut -d: -f1)
[ -n "$plan_line" ] && [ -n "$config_line" ] && [ "$plan_line" -lt "$config_line" ] ||
  fail "the resolved config (line ${config_line:-?}) does not follow the plan (line ${plan_line:-?})"
echo "PASS"
