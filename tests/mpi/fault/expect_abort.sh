#!/usr/bin/env bash
# Usage: expect_abort.sh MAX_SECONDS [--status N] COMMAND...
# Passes when COMMAND exits non-zero (with status N, when given) within MAX_SECONDS; a zero exit,
# another status or a hang (killed after 4 x MAX_SECONDS) fails.
set -u
max=$1
shift
expected=""
if [ "${1:-}" = --status ]; then
  expected=$2
  shift 2
fi
start=$(date +%s)
timeout --kill-after=5 $((4 * max)) "$@"
rc=$?
elapsed=$(( $(date +%s) - start ))
echo "exit status $rc after ${elapsed}s (limit ${max}s)"
if [ "$rc" -eq 0 ]; then echo "FAIL: the job succeeded although a rank threw"; exit 1; fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "FAIL: the job hung"; exit 1; fi
if [ -n "$expected" ] && [ "$rc" -ne "$expected" ]; then echo "FAIL: expected status $expected"; exit 1; fi
if [ "$elapsed" -gt "$max" ]; then echo "FAIL: the job took longer than ${max}s to end"; exit 1; fi
echo "PASS: the job ended non-zero"
