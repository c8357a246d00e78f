# shellcheck shell=bash
# Slurm job helpers shared by the Slurm tests of one host (tests/slurm/lib.sh) and of the test
# hosts (tests/cluster/slurm_lib.sh), sourced by both. They call `scontrol` and `fail` as the
# sourcing script defines them (on the test hosts, Slurm's commands run on node1). JOB_POLL_SECONDS
# sets how often wait_state looks (default 0.2).

# job_field ID NAME: one field of `scontrol show job`, e.g. job_field 12 JobState -> COMPLETED.
job_field() {
  scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# wait_state SECONDS ID STATE: waits until the job is in STATE (fails at once in another final
# state).
wait_state() {
  local deadline=$((SECONDS + $1)) state
  while state=$(job_field "$2" JobState); [ "$state" != "$3" ]; do
    case $state in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        fail "job $2 is $state (exit $(job_field "$2" ExitCode)), expected $3" ;;
    esac
    [ $SECONDS -lt $deadline ] || fail "job $2 is ${state:-unknown} after $1 s, expected $3"
    sleep "${JOB_POLL_SECONDS:-0.2}"
  done
}

# final_loss LOG: the log's last step line, cut to "step N/N | loss X".
final_loss() { grep -o "step *[0-9]*/[0-9]* | loss [0-9.]*" "$1" | tail -1; }
