#!/usr/bin/env bash
# Installs what the project builds and tests with: the Debian 12 packages below, then the Python
# packages of scripts/requirements.txt (PyTorch, whose LibTorch the build uses, and the reference
# libraries of the tests and benchmarks) into the project's Python environment in the user's cache
# (scripts/python-env.sh). Idempotent: prints nothing and changes nothing when everything is
# already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ccache pkg-config
  libopenmpi-dev openmpi-bin
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libssl-dev
  libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev
  clang libclang-rt-14-dev
  nlohmann-json3-dev libicu-dev
  zlib1g-dev
  prometheus jq curl openssl procps strace time bc iproute2 util-linux
  python3-matplotlib python3-venv python3-grpcio
  slurm-wlm munge
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/python-env.sh install
