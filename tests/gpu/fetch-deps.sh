#!/usr/bin/env bash
# Usage: tests/gpu/fetch-deps.sh
# On a Debian 12 machine with network: downloads the Debian packages of the two libraries the core
# needs that a GPU machine's image may lack (ICU, nlohmann_json) into .gpu-deps/ (git-ignored),
# for a device run that carries .gpu-deps; tests/gpu/run.sh unpacks them there when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu-deps
cd .gpu-deps
apt-get download libicu72 libicu-dev nlohmann-json3-dev
ls -l ./*.deb
