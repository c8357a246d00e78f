#!/usr/bin/env bash
# Usage: tests/bench/control_abuse.sh [BUILD_DIR]
# The long version of the load-and-abuse test (tests/e2e/control_abuse.sh, ctest
# e2e_control_abuse): the same real run (one rank, open-file limit 128, the run on one CPU and the
# probes on another) under heavier and longer loads:
#   300 idle connections held 30 s, 1000 watch streams held 30 s, 20 drip-feeding sockets with
#   3 scrapes, then a burst of 300 drip sockets for 10 s and the time until a scrape answers
#   again after they leave (up to 300 s),
# plus the same big-growth, unauthenticated-flood, tf-ctl and stop checks. The training speed
# during the watch flood is held to the 0.9 target (the ctest asks for 0.5). Prints the check lines
# and the table of figures (baseline steps/s, speed during each probe, thread peak, scrape
# latencies, recovery time, log bytes under the flood); exits 1 if a check failed.
# Needs the build's tf-launch and tf-ctl, and the system python3 with python3-grpcio
# (scripts/install-deps.sh). Takes 2 to 7 minutes on 2 cores (the recovery wait is the variable
# part). Not run by ctest: timings need a quiet machine. NOFILE=1024 (a common cluster limit)
# or any of the e2e script's variables may be given to change a load.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(cd "${1:-build}" && pwd)
for tool in tf-launch tf-ctl; do
  [ -x "$build/launcher/$tool" ] || { echo "no $build/launcher/$tool: build it first" >&2; exit 2; }
done
export TF_LAUNCH=$build/launcher/tf-launch TF_CTL=$build/launcher/tf-ctl TF_E2E_DIR=$PWD/tests/e2e
export IDLE_COUNT=${IDLE_COUNT:-300} IDLE_HOLD=${IDLE_HOLD:-30}
export WATCH_COUNT=${WATCH_COUNT:-1000} WATCH_HOLD=${WATCH_HOLD:-30}
export DRIP_COUNT=${DRIP_COUNT:-20} DRIP_BURST=${DRIP_BURST:-300} SPEED_MIN=${SPEED_MIN:-0.9}
exec bash tests/e2e/control_abuse.sh
