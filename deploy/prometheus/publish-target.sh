#!/usr/bin/env bash
# Publishes this job's metrics exporter to Prometheus (file-based service discovery).
# usage: publish-target.sh TARGETS_DIR HOST:PORT   (from the Slurm batch script, on the node of
# world rank 0, with metrics.address set to HOST:PORT). Written to a temporary name and renamed,
# so Prometheus never reads half a file. Remove the file when the job ends.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 TARGETS_DIR HOST:PORT" >&2; exit 2; }
dir=$1
target=$2
job=${SLURM_JOB_ID:-manual-$$}
mkdir -p "$dir"
tmp=$(mktemp "$dir/.tokenformer-$job.XXXXXX")
printf '[{"targets": ["%s"], "labels": {"slurm_job_id": "%s"}}]\n' "$target" "$job" >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$dir/tokenformer-$job.json"
