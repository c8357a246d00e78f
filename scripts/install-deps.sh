#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds and tests with. Idempotent: prints nothing
# and changes nothing when everything is already there. With --bench, also what the benchmarks
# under tests/bench/ compare against (Debian's PyTorch).
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libtorch-dev
  libopenmpi-dev openmpi-bin
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev prometheus-cpp-dev libmicrohttpd-dev
  libopenblas0-openmp
  libgtest-dev
  clang libclang-rt-14-dev
  nlohmann-json3-dev libicu-dev
  zlib1g-dev
  prometheus jq curl openssl procps strace time
  python3-matplotlib
  slurm-wlm munge
)

[ "${1:-}" != --bench ] || packages+=(python3-torch)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
