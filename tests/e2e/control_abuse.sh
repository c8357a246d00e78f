#!/usr/bin/env bash
# End to end, load and abuse: one real tf-launch (one rank, open-file limit 128, a checkpoint every
# 200 steps, a 64-hex-digit token) against the probes of tests/e2e/abuse/probe.py, run on another
# CPU than the run when there are two. Checks, each printed as `check NAME: ok|FAIL (figures)`:
#   idle_flood    150 idle connections held: no EMFILE in the log, every save in that time
#                 complete, tf-ctl status served within 5 s after they close
#   watch_flood   1000 watch streams held: the run's threads stay under 150, refused streams get
#                 RESOURCE_EXHAUSTED, training keeps SPEED_MIN (0.5) of its baseline speed
#   metrics_drip  20 sockets drip-feeding a header: 3 scrapes each answered within 2 s
#   big_growth    a 4 MB growth string with forged log lines: a short one-line reply, no log line
#                 over 2 KB, no forged line
#   unauth_flood  2000 Pause calls without a token: the log grows by under 50 KB and says how many
#                 refusal lines it suppressed
#   ctl_plaintext tf-ctl refuses at once (exit 2, "plaintext") to send the token in plaintext to
#                 192.0.2.1, and (under strace) never connects to it
#   still_trains  the run trains after all that and ends with status 0 on tf-ctl stop
# then a table of the figures; exits 1 if any check failed. ctest's run takes about 60 s on 2
# cores. tests/bench/control_abuse.sh runs the longer version through the variables below;
# ABUSE_CHECKS="watch_flood big_growth" (say) runs only those checks, in the order above.
source "$(dirname "$0")/lib.sh"

IDLE_COUNT=${IDLE_COUNT:-150} IDLE_HOLD=${IDLE_HOLD:-5}
WATCH_COUNT=${WATCH_COUNT:-1000} WATCH_HOLD=${WATCH_HOLD:-5} THREAD_BOUND=${THREAD_BOUND:-150}
# Few connections (10), so that most streams meet the stream bound rather than the connection
# bound (idle_flood's); calls on a connection the server refused are counted apart (unconnected).
WATCH_PER_CHANNEL=${WATCH_PER_CHANNEL:-100}
DRIP_COUNT=${DRIP_COUNT:-20} DRIP_INTERVAL=${DRIP_INTERVAL:-1} DRIP_BURST=${DRIP_BURST:-0}
SPEED_MIN=${SPEED_MIN:-0.5} NOFILE=${NOFILE:-128} SAVE_INTERVAL=200
PYTHON=${TF_PROBE_PYTHON:-/usr/bin/python3}  # the system's, with python3-grpcio
"$PYTHON" -c 'import grpc' 2>/dev/null || fail "$PYTHON has no grpc module: scripts/install-deps.sh"

# One CPU for the run, another for the probes, when there are two.
mapfile -t cpus < <("$PYTHON" -c 'import os; print(*sorted(os.sched_getaffinity(0)), sep="\n")')
RUN_PIN=() PROBE_PIN=()
if [ ${#cpus[@]} -ge 2 ]; then
  RUN_PIN=(taskset -c "${cpus[0]}") PROBE_PIN=(taskset -c "${cpus[1]}")
fi
probe() {
  PYTHONDONTWRITEBYTECODE=1 "${PROBE_PIN[@]}" "$PYTHON" "$TF_E2E_DIR/abuse/probe.py" "$@"
}

# lib.sh's launch, for one rank: under the open-file limit (soft and hard, this process only) and
# pinned. start_config runs it in the background, so exec leaves RUN_PID on tf-launch itself.
launch() {
  shift
  ulimit -n "$NOFILE"
  OMP_NUM_THREADS=1 exec "${RUN_PIN[@]}" "$TF_LAUNCH" "$@"
}

od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$WORK/token"
chmod 600 "$WORK/token"
LOG=$WORK/run.log
start_run --set checkpoint.dir="$WORK/ckpt" --set checkpoint.interval=$SAVE_INTERVAL \
  --set checkpoint.keep=100000 --set train.log_interval=5 --set train.eval_interval=0
PORT=${CONTROL##*:} MPORT=${METRICS##*:}
echo "run: pid $RUN_PID, control $CONTROL, metrics $METRICS, cpus ${cpus[*]}"

FAILED=0 CHECKS=() FIGURES=()
check() {  # check NAME ok|FAIL FIGURES (on one line: the line breaks of FIGURES become spaces)
  local line
  line="check $1: $2 ($(tr '\n' ' ' <<<"$3" | tr -s ' ' | sed 's/ $//'))"
  [ "$2" = ok ] || FAILED=1
  CHECKS+=("$line")
  echo "$line"
}
figure() { FIGURES+=("$(printf "  %-40s %s" "$1" "$2")"); }
ms() { echo $(($(date +%s%N) / 1000000)); }
# last_step: the step of the log's last step line (0: none yet).
last_step() {
  LC_ALL=C awk 'match($0, /step +[0-9]+\/[0-9]+ \| loss/) {
    s = substr($0, RSTART + 5, RLENGTH); sub(/\/.*/, "", s); n = s + 0 } END { print n + 0 }' "$LOG"
}
past_step() { [ "$(last_step)" -gt "$1" ]; }
since() { tail -c +"$(($1 + 1))" "$LOG"; }  # since BYTES: the log after its first BYTES
size() { stat -c %s "$LOG"; }
# mentions BYTES PATTERN: the log after BYTES has a line with PATTERN. (Not grep -q: it would stop
# reading early, and tail's SIGPIPE would fail the pipeline under pipefail.)
mentions() { since "$1" | grep -a -- "$2" >/dev/null; }
j() {  # j FILTER FILE: null when the probe wrote nothing
  local v
  v=$(jq -r "$1" "$2" 2>/dev/null) || v=
  echo "${v:-null}"
}
fraction() {  # fraction A B: A / B to 2 places (0 when A is null)
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b <= 0) print 0; else printf "%.2f", a / b }'
}
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
ctl_status() {  # ctl_status SECONDS: tf-ctl status answered within SECONDS
  timeout $(($1 + 2)) "$TF_CTL" --address "$CONTROL" --timeout "$1" status >/dev/null 2>&1
}
seconds_since() { awk -v d=$(($(ms) - $1)) 'BEGIN { printf "%.1f", d / 1000 }'; }  # since MS

speed_figure() {  # speed_figure WHAT JSON
  local s
  s=$(j .steps_per_s "$2")
  figure "$1 steps/s" "$s ($(fraction "$s" "$BASE") of the baseline)"
}

# idle flood: descriptors run out only if the server lets them.
idle_flood() {
  local mark step0 step1 during t0 after saves expected complete missing s emfile save_errors
  local figures ok
  mark=$(size) step0=$(last_step)
  probe idle --port "$PORT" --count "$IDLE_COUNT" --hold "$IDLE_HOLD" --ready "$WORK/idle.ready" \
    --pid "$RUN_PID" --log "$LOG" >"$WORK/idle.json" &
  PIDS+=($!)
  wait_for 20 test -f "$WORK/idle.ready" || true
  during=failed
  ctl_status 3 && during=served
  wait "${PIDS[-1]}" || true
  t0=$(ms) after=none
  while [ $(($(ms) - t0)) -lt 5000 ]; do
    if ctl_status 2; then
      after=$(seconds_since "$t0")
      break
    fi
    sleep 0.2
  done
  # The saves due between the flood's first and last step lines; each one's line may follow its
  # step line by the time a save takes.
  step1=$(last_step) complete=0 saves=() missing=""
  for ((s = (step0 / SAVE_INTERVAL + 1) * SAVE_INTERVAL; s <= step1; s += SAVE_INTERVAL)); do
    saves+=("$s")
  done
  expected=${#saves[@]}
  [ "$expected" = 0 ] || wait_for 5 mentions "$mark" "step *${saves[-1]} | checkpoint saved" || true
  for s in "${saves[@]}"; do
    if ! mentions "$mark" "step *$s | checkpoint saved to $WORK/ckpt/step_$s\$"; then
      missing+=" $s (not logged)"
    elif [ ! -f "$WORK/ckpt/step_$s/COMPLETE" ]; then
      missing+=" $s (no COMPLETE)"
    else
      complete=$((complete + 1))
    fi
  done
  emfile=$(grep -acE 'Too many open files|EMFILE' "$LOG" || true)
  save_errors=$(since "$mark" |
    grep -aciE '(checkpoint|\.tmp).*(fail|error)|(fail|error).*checkpoint' || true)
  figures=$(j '"\(.connected) connected, \(.greeted) accepted, \(.closed_by_server) closed by the
    server (first at \(.first_close_s) s)"' "$WORK/idle.json")
  figures+="; EMFILE lines $emfile; saves complete $complete of $expected (steps"
  figures+=" $((step0 + 1))-$step1${missing:+; missing:$missing}), save errors"
  figures+=" $save_errors; status during the flood: $during; after it: ${after} s"
  ok=FAIL
  [ "$emfile" = 0 ] && [ "$save_errors" = 0 ] && [ "$expected" -ge 1 ] &&
    [ "$complete" = "$expected" ] && [ "$after" != none ] && ok=ok
  check idle_flood $ok "$figures"
  speed_figure "idle flood" "$WORK/idle.json"
  figure "status during / after idle flood" "$during / ${after} s"
}

# watch flood, with the token: the bound must hold for an authenticated client too.
watch_flood() {
  local w=$WORK/watch.json peak share others figures ok
  probe watch --port "$PORT" --count "$WATCH_COUNT" --hold "$WATCH_HOLD" \
    --per-channel "$WATCH_PER_CHANNEL" --token-file "$WORK/token" --pid "$RUN_PID" --log "$LOG" \
    >"$w" || true
  peak=$(j '.threads_peak // 0' "$w")
  share=$(fraction "$(j .steps_per_s "$w")" "$BASE")
  others=$(j '[.refused_codes | to_entries[] | select(.key != "RESOURCE_EXHAUSTED") | .value] |
    add // 0' "$w")
  figures=$(j '"\(.channels) connections, \(.got_events) streams served, \(.refused) refused
    \(.refused_codes), \(.unconnected) on no connection,
    \(.waiting_at_end) waiting; messages \(.messages)"' "$w")
  figures+="; threads peak $peak (bound $THREAD_BOUND); speed $share of the baseline"
  figures+=" (at least $SPEED_MIN)"
  ok=FAIL
  [ "$(j .got_events "$w")" -ge 1 ] && [ "$peak" -lt "$THREAD_BOUND" ] && [ "$others" = 0 ] &&
    at_least "$share" "$SPEED_MIN" && ok=ok
  check watch_flood $ok "$figures"
  speed_figure "watch flood" "$w"
  figure "threads peak (watch flood)" "$peak"
}

# metrics drip: scrapes while the slow headers are held.
metrics_drip() {
  local latencies figures ok
  probe drip --port "$MPORT" --count "$DRIP_COUNT" --hold 10 --interval "$DRIP_INTERVAL" \
    --ready "$WORK/drip.ready" --log "$LOG" >"$WORK/drip.json" &
  PIDS+=($!)
  wait_for 20 test -f "$WORK/drip.ready" || true
  sleep 2
  probe scrape --port "$MPORT" --times 3 --deadline 2 >"$WORK/scrape.json" || true
  wait "${PIDS[-1]}" || true
  latencies=$(j '[.latencies_s[] | if . == null then "none" else tostring end] | join(" ")' \
    "$WORK/scrape.json")
  figures=$(j '"\(.connected) drip sockets, \(.closed_by_server) closed by the server"' \
    "$WORK/drip.json")
  figures+="; scrapes: $latencies s (errors $(j '.errors | map(. // "-") | join(" ")' \
    "$WORK/scrape.json"))"
  ok=FAIL
  [ "$(j .answered "$WORK/scrape.json")" = 3 ] && ok=ok
  check metrics_drip $ok "$figures"
  speed_figure "metrics drip" "$WORK/drip.json"
  figure "scrape latencies under drip (s)" "$latencies"
  if [ "$DRIP_BURST" -gt 0 ]; then
    probe drip --port "$MPORT" --count "$DRIP_BURST" --hold 10 --interval "$DRIP_INTERVAL" \
      >"$WORK/burst.json" || true
    probe scrape --port "$MPORT" --until-ok 300 --deadline 2 >"$WORK/recovery.json" || true
    figure "scrape back after a $DRIP_BURST-socket burst" \
      "$(j .recovered_s "$WORK/recovery.json") s"
  fi
}

# big growth: what a client sends is neither echoed whole nor able to forge log lines.
big_growth() {
  local g=$WORK/growth.json longest forged ok
  probe big-growth --port "$PORT" --token-file "$WORK/token" --bytes 4000000 >"$g" || true
  longest=$(LC_ALL=C awk '{ if (length > n) n = length } END { print n + 0 }' "$LOG")
  forged=$(LC_ALL=C awk -v f="$(j .forged "$g")" 'index($0, f) == 1 { n++ } END { print n + 0 }' \
    "$LOG")
  ok=FAIL
  case $(j .code "$g") in
    INVALID_ARGUMENT | RESOURCE_EXHAUSTED)
      [ "$(j .message_bytes "$g")" -lt 1024 ] && [ "$(j .message_has_newline "$g")" = false ] &&
        [ "$longest" -le 2048 ] && [ "$forged" = 0 ] && ok=ok ;;
  esac
  check big_growth $ok "$(j '"reply \(.code), \(.message_bytes) bytes, newline
    \(.message_has_newline)"' "$g"); longest log line $longest bytes; forged lines $forged"
}

# unauthenticated flood: refusals are logged at a bounded rate. The line with the count of those
# left out may come at once, with the next refusal let through or when the run ends, so the
# verdict waits for the end of the run (unauth_verdict).
UNAUTH_MARK=
unauth_flood() {
  UNAUTH_MARK=$(size)
  probe unauth-flood --port "$PORT" --calls 2000 --log "$LOG" >"$WORK/unauth.json" || true
  UNAUTH_GREW=$(($(size) - UNAUTH_MARK))
  echo "unauth_flood: $UNAUTH_GREW log bytes during the flood; verdict when the run has ended"
  speed_figure "unauthenticated flood" "$WORK/unauth.json"
  figure "log bytes during the flood" "$UNAUTH_GREW"
}
unauth_verdict() {
  local suppressed=no ok=FAIL
  mentions "$UNAUTH_MARK" suppressed && suppressed=yes
  [ "$UNAUTH_GREW" -lt 51200 ] && [ $suppressed = yes ] && ok=ok
  check unauth_flood $ok "$(j '"\(.made) calls in \(.seconds) s, \(.codes)"' "$WORK/unauth.json");
    log grew $UNAUTH_GREW bytes (under 51200); a suppressed count by the run's end: $suppressed"
}

# tf-ctl keeps the token off plaintext to a stranger (192.0.2.1: TEST-NET, never contacted):
# under strace, no connect() to it at all (without a usable strace, only the time says so).
ctl_plaintext() {
  local t0 rc=0 out took connects="not traced (no usable strace)" ok
  local tracer=(strace -f -qq -e trace=connect -o "$WORK/ctl.trace")
  strace -o /dev/null true 2>/dev/null || tracer=()
  t0=$(ms)
  out=$(timeout 5 "${tracer[@]}" "$TF_CTL" --address 192.0.2.1:7070 --token-file "$WORK/token" \
    pause 2>&1) || rc=$?
  took=$(($(ms) - t0))
  [ ${#tracer[@]} = 0 ] || connects=$(grep -c '192\.0\.2\.1' "$WORK/ctl.trace" || true)
  ok=FAIL
  [ $rc = 2 ] && [ $took -lt 2000 ] && grep -qi plaintext <<<"$out" &&
    { [ "$connects" = 0 ] || [ ${#tracer[@]} = 0 ]; } && ok=ok
  check ctl_plaintext $ok "exit $rc after $took ms, connects to 192.0.2.1: $connects:
    $(head -1 <<<"$out" | cut -c1-160)"
}

# the run survived all of it.
still_trains() {
  local step0 trained=no grace=60 stop rc=0 ok
  step0=$(last_step)
  wait_for 10 past_step "$step0" && trained=yes
  stop=$(timeout 40 "$TF_CTL" --address "$CONTROL" --timeout 30 --token-file "$WORK/token" \
    stop 2>&1) || { stop="failed: $stop"; grace=5; }
  wait_exit $grace "$RUN_PID" || rc=$?
  ok=FAIL
  [ $trained = yes ] && [ $rc = 0 ] && ok=ok
  check still_trains $ok "trained on after the probes: $trained; stop: $(cut -c1-120 <<<"$stop");
    exit status $rc"
}

wait_for 60 past_step 0 || fail "no step line"
probe speed --log "$LOG" --seconds 4 >"$WORK/baseline.json"
BASE=$(j .steps_per_s "$WORK/baseline.json")
figure "baseline steps/s" "$BASE"
# ABUSE_CHECKS: a subset, in this order, to look at one probe (still_trains always runs last).
ALL_CHECKS="idle_flood watch_flood metrics_drip big_growth unauth_flood ctl_plaintext"
for name in ${ABUSE_CHECKS:-$ALL_CHECKS}; do
  if [ "$name" = ctl_plaintext ] || kill -0 "$RUN_PID" 2>/dev/null; then
    "$name"
  else  # no probe against a port nobody serves (tf-ctl's refusal needs no run)
    check "$name" FAIL "the run had ended before this probe: $(grep -a error "$LOG" | tail -1)"
  fi
done
still_trains
[ -z "$UNAUTH_MARK" ] || unauth_verdict

echo
echo "summary"
printf '%s\n' "${CHECKS[@]}"
echo "figures (cpus: run ${RUN_PIN[*]:-unpinned}, probes ${PROBE_PIN[*]:-unpinned})"
printf '%s\n' "${FIGURES[@]}"
if [ $FAILED = 1 ]; then echo "FAIL"; exit 1; fi
echo "PASS"
