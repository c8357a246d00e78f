# shellcheck shell=bash
# Shared by the test scripts' helpers (sourced): strict mode, a FAIL line for any command that
# ends a script by failing outside a check, and the bounded waits.
set -Eeuo pipefail
# Command substitutions and pipelines run in subshells; their failures are reported by the
# command that uses them, so only the script's own level is named here.
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] ||
  echo "FAIL: ${BASH_SOURCE[0]##*/} line $LINENO: '"'"'$BASH_COMMAND'"'"' exited $rc" >&2' ERR

# wait_for SECONDS COMMAND...: retries COMMAND every 0.2 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# wait_exit SECONDS PID: waits for a child to exit (killing it after SECONDS); returns its status.
wait_exit() {
  # Redirected so that a leftover sleep holds no pipe of the caller (ctest waits for pipes).
  (sleep "$1" && kill "$2") >/dev/null 2>&1 &
  local watchdog=$! rc=0
  wait "$2" || rc=$?
  kill "$watchdog" 2>/dev/null || true
  return $rc
}
