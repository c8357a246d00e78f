#!/usr/bin/env bash
# End to end: the dry run. It refuses what the run would hit (missing data, tokenizer, an address
# it cannot listen on), naming the key. A dry run of the 1.4B chain prints every stage's estimate
# per rank and allocates no model: its peak resident memory stays within 256 MiB of a dry run of
# the tiny model (LibTorch's CUDA build alone is about 480 MiB resident at start-up), less than
# the 471 MiB the first stage's parameters alone would take. A launch whose stage cannot fit is refused before it allocates, with the
# numbers; train.ignore_memory_check trains anyway, with a warning.
source "$(dirname "$0")/lib.sh"

# peak_kib LOG: the peak resident set /usr/bin/time wrote on the last line of LOG.
peak_kib() { tail -1 "$1" | sed -n 's/^peak_kib=\([0-9]*\)$/\1/p'; }
timed() { /usr/bin/time -f "peak_kib=%M" "$@"; }
# peak_within_baseline PEAK: whether PEAK KiB is within 256 MiB of the baseline's.
peak_within_baseline() { [ -n "$1" ] && [ "$1" -lt $((baseline + 256 * 1024)) ]; }

timed "$TF_LAUNCH" --config "$TF_SOURCE_DIR/configs/tiny.yaml" --dry-run --set control.address= \
  >"$WORK/baseline.log" 2>&1 || fail "the tiny dry run failed: $(tail -3 "$WORK/baseline.log")"
baseline=$(peak_kib "$WORK/baseline.log")
[ -n "$baseline" ] || fail "no peak for the tiny dry run"

# As shipped, the config names data that is not here: the dry run prints the plan, then refuses.
rc=0
"$TF_LAUNCH" --config "$TF_SOURCE_DIR/configs/1.4b.yaml" --dry-run --set control.address= \
  >"$WORK/missing.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "the dry run of missing data exited $rc, expected 2"
grep -A2 "stage '1.4B' (" "$WORK/missing.log" | grep -q "memory: about" ||
  fail "no plan before the refusal"
grep -q "error: .*configs/1.4b.yaml: 'data.tokenizer': data/gpt-neox-20b-tokenizer.json: cannot open" \
  "$WORK/missing.log" || fail "the refusal does not name the key: $(tail -1 "$WORK/missing.log")"
"$(dirname "$TF_LAUNCH")/tf-data" synth --output "$WORK/synth" --documents 50 >/dev/null
data=(--set data.tokenizer=byte --set "data.train=[{path: $WORK/synth}]"
      --set "checkpoint.dir=$WORK/ckpt")
rc=0
"$TF_LAUNCH" --config "$TF_SOURCE_DIR/configs/1.4b.yaml" --dry-run "${data[@]}" \
  --set "data.train=[{path: $WORK/absent}]" --set control.address= >"$WORK/absent.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "the dry run of an absent data prefix exited $rc, expected 2"
grep -q "error: .*configs/1.4b.yaml: data.train\[0\].path: $WORK/absent.idx: cannot open" \
  "$WORK/absent.log" || fail "the absent prefix is not named: $(tail -1 "$WORK/absent.log")"
# model.init_from naming a checkpoint root (an empty step directory in it stands for an
# interrupted save): refused as the run would refuse it, naming the key.
mkdir -p "$WORK/root/step_5"
rc=0
"$TF_LAUNCH" --config "$TF_SOURCE_DIR/configs/1.4b.yaml" --dry-run "${data[@]}" \
  --set "model.init_from=$WORK/root" --set control.address= >"$WORK/init.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "the dry run of a checkpoint root as init_from exited $rc, expected 2"
grep -q "error: .*configs/1.4b.yaml: 'model.init_from': $WORK/root: not a complete checkpoint" \
  "$WORK/init.log" || fail "the checkpoint root is not refused clearly: $(tail -1 "$WORK/init.log")"
# A control address that cannot be listened on: our message, no gRPC log line.
rc=0
"$TF_LAUNCH" --config "$TF_SOURCE_DIR/configs/1.4b.yaml" --dry-run "${data[@]}" \
  --set control.address=203.0.113.9:7000 >"$WORK/address.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "the dry run of a foreign control address exited $rc, expected 2"
grep -q "error: control.address: cannot listen on '203.0.113.9:7000': .*(not an address of this host)" \
  "$WORK/address.log" || fail "the address is not refused clearly: $(tail -1 "$WORK/address.log")"

rc=0
started=$SECONDS
timed "$TF_LAUNCH" --config "$TF_SOURCE_DIR/configs/1.4b.yaml" --dry-run --set control.address= \
  "${data[@]}" >"$WORK/dry.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "the dry run exited $rc: $(tail -3 "$WORK/dry.log")"
for stage in 124M 354M 757M 1.4B; do
  grep -A2 "stage '$stage' (.* parameters): tp 1 x pp 1 x dp 1 = 1 rank, launch 1 of 1$" "$WORK/dry.log" |
    grep -q "  memory: about .*activations .*) on the costliest rank" ||
    fail "no memory line for stage $stage"
done
grep -q "dry run: config valid; data, tokenizer, init_from, checkpoint.dir and addresses checked; no model allocated" \
  "$WORK/dry.log" || fail "no dry-run verdict"
peak=$(peak_kib "$WORK/dry.log")
# The first stage's 123.6M fp32 parameters alone are 471 MiB.
peak_within_baseline "$peak" ||
  fail "the dry run peaked at ${peak:-?} KiB, the tiny model's at $baseline KiB"
echo "dry run: $((SECONDS - started)) s, peak $((peak / 1024)) MiB (tiny: $((baseline / 1024)) MiB)"
grep -A2 "stage '1.4B' (" "$WORK/dry.log"
grep "memory: this rank" "$WORK/dry.log"

# A stage of 2^30 feed-forward tokens cannot fit: refused at start-up, before the model exists.
huge=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= --set train.steps=100000
      --set train.log_interval=1 --set train.eval_interval=0
      --set 'stages=[{name: small, steps: 100000}, {name: huge, steps: 1, ffn_tokens: 1073741824}]')
rc=0
timed "$TF_LAUNCH" "${huge[@]}" >"$WORK/refused.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "the launch of a stage that cannot fit exited $rc, expected 2"
grep -q "error: .*stage 'huge' (.* tokens, tp 1 x pp 1) needs about .* per rank; this rank has .*: lower train.micro_batch" \
  "$WORK/refused.log" || fail "the refusal does not give the numbers: $(tail -2 "$WORK/refused.log")"
peak=$(peak_kib "$WORK/refused.log")
peak_within_baseline "$peak" ||
  fail "the refused launch peaked at ${peak:-?} KiB, the tiny dry run at $baseline KiB"
grep "error:" "$WORK/refused.log"

# With the override the run starts (stage 'small'), says what it ignores, and stops cleanly on
# SIGTERM long before stage 'huge'.
"$TF_LAUNCH" "${huge[@]}" --set train.ignore_memory_check=true >"$WORK/run.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 60 grep -q "step *2/" "$WORK/run.log" || fail "the run with the override did not train"
grep -q "warning: stage 'huge' .* needs about .*; training anyway (train.ignore_memory_check)" \
  "$WORK/run.log" || fail "no warning about the ignored estimate"
kill -TERM "$run"
rc=0
wait_exit 60 "$run" || rc=$?
[ $rc -eq 5 ] || fail "the run stopped by SIGTERM exited $rc, expected 5"
echo "PASS"
