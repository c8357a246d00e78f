#!/usr/bin/env bash
# Submits a progressive-scaling chain as dependent Slurm jobs of tokenformer.sbatch: one job per
# line of `tf-launch plan` (a new job wherever the next stage needs another tp/pp/dp layout), each
# with its own node and task counts, each starting only after the previous one succeeded
# (--dependency=afterok, and --kill-on-invalid-dep=yes cancels the rest when one fails). Every
# job gets the same tf-launch arguments: it resumes from the newest checkpoint in checkpoint.dir
# and runs the stage that comes next. Prints one line per job with its Slurm job id.
#
# usage: chain.sh [--gpus-per-node G] [--ranks N] [--sbatch OPTION]... [--dry-run]
#                 --config FILE [--set key.path=value ...]
#   --gpus-per-node G  GPUs (ranks) per node (default 8): a job of R ranks asks for
#                      ceil(R / G) nodes, R tasks and min(R, G) tasks and GPUs per node
#   --ranks N          the world size of stages whose dp is 0 (auto); needed when the plan
#                      leaves such a stage at 'auto' ranks
#   --sbatch OPTION    one more sbatch option for every job (--sbatch=--partition=gpu
#                      --sbatch=--time=2-00:00:00); repeatable
#   --dry-run          print the sbatch commands instead of running them
# Everything from --config on goes to tf-launch (plan, and each job). Run it where the jobs
# should run from (the repository root): relative paths in the config are resolved there.
# TF_LAUNCH (default: this repository's build/launcher/tf-launch) is the binary for plan and jobs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export TF_REPO=${TF_REPO:-$repo}
export TF_LAUNCH=${TF_LAUNCH:-$TF_REPO/build/launcher/tf-launch}

usage() {
  sed -n '/^# usage:/,/^# TF_LAUNCH/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

gpus_per_node=8
ranks=
dry_run=0
sbatch_options=()
while [ $# -gt 0 ] && [ "$1" != --config ]; do
  case $1 in
    --gpus-per-node) gpus_per_node=${2:?}; shift 2 ;;
    --gpus-per-node=*) gpus_per_node=${1#*=}; shift ;;
    --ranks) ranks=${2:?}; shift 2 ;;
    --ranks=*) ranks=${1#*=}; shift ;;
    --sbatch) sbatch_options+=("${2:?}"); shift 2 ;;
    --sbatch=*) sbatch_options+=("${1#*=}"); shift ;;
    --dry-run) dry_run=1; shift ;;
    *) echo "chain.sh: unknown option '$1'" >&2; usage ;;
  esac
done
[ $# -gt 0 ] || usage
positive() {
  [[ $1 =~ ^[1-9][0-9]*$ ]] || { echo "chain.sh: $2 must be a positive integer, not '$1'" >&2; exit 2; }
}
count_of() {  # count_of 2 rank -> "2 ranks"
  if [ "$1" -eq 1 ]; then echo "1 $2"; else echo "$1 $2s"; fi
}
positive "$gpus_per_node" --gpus-per-node
[ -z "$ranks" ] || positive "$ranks" --ranks

# The whole plan first: nothing is submitted when tf-launch refuses the config or the rank count.
plan_args=("$@")
[ -z "$ranks" ] || plan_args+=(--ranks "$ranks")
plan=$("$TF_LAUNCH" plan "${plan_args[@]}") || {
  echo "chain.sh: tf-launch plan failed; nothing submitted" >&2
  exit 2
}
mapfile -t jobs < <(grep -v '^#' <<<"$plan")
[ ${#jobs[@]} -gt 0 ] || { echo "chain.sh: the plan lists no job" >&2; exit 2; }

previous=
for line in "${jobs[@]}"; do
  IFS=$'\t' read -r job first last tp pp dp world memory <<<"$line"
  if [ "$world" = auto ]; then
    echo "chain.sh: job $job (stages $first to $last) has dp auto: give --ranks N" >&2
    exit 2
  fi
  per_node=$((world < gpus_per_node ? world : gpus_per_node))
  nodes=$(((world + gpus_per_node - 1) / gpus_per_node))
  submit=(sbatch --parsable --job-name="tokenformer-$job" --nodes="$nodes" --ntasks="$world"
          --ntasks-per-node="$per_node" --gpus-per-node="$per_node" "${sbatch_options[@]}")
  [ -z "$previous" ] || submit+=(--dependency="afterok:$previous" --kill-on-invalid-dep=yes)
  submit+=("$here/tokenformer.sbatch" "$@")
  what="stages $first to $last, tp $tp x pp $pp x dp $dp = $(count_of "$world" rank) on $(count_of "$nodes" node)"
  if [ $dry_run = 1 ]; then
    printf 'job %s (%s):' "$job" "$what"
    printf ' %q' "${submit[@]}"
    echo
    previous="job$job"  # stands for the id that job $job gets
    continue
  fi
  id=$("${submit[@]}") || {
    echo "chain.sh: sbatch failed for job $job${previous:+ (the jobs before it stay queued;" \
      "the last is $previous)}" >&2
    exit 1
  }
  previous=${id%%;*}  # --parsable prints ID or ID;CLUSTER
  echo "job $job: $previous ($what)"
done
