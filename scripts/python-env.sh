#!/usr/bin/env bash
# Usage: scripts/python-env.sh dir | python | install
# The project's Python environment: a venv in the user's cache, named by the torch version that
# scripts/requirements.txt pins, so that a fresh clone finds it again without a new download and
# the source tree stays clean. It holds PyTorch (whose LibTorch the build uses, cmake/torch.cmake)
# and the reference libraries the tests and benchmarks compare with.
#   dir      prints its directory: $TF_PYTHON_ENV when set, else
#            ${XDG_CACHE_HOME:-~/.cache}/tokenformer/python-torch-VERSION
#   python   prints its python3 (whether or not it exists yet)
#   install  creates it and installs scripts/requirements.txt, unless it already holds exactly
#            that file's pins; prints nothing when there is nothing to do
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)
requirements=$scripts/requirements.txt

torch_version() { sed -n 's/^torch==\([^[:space:]]*\).*/\1/p' "$requirements"; }

env_dir() {
  if [ -n "${TF_PYTHON_ENV:-}" ]; then
    echo "$TF_PYTHON_ENV"
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/tokenformer/python-torch-$(torch_version)"
  fi
}

install() {
  local dir stamp want log
  dir=$(env_dir)
  stamp=$dir/.requirements.sha256
  want=$(sha256sum < "$requirements" | cut -d' ' -f1)
  [ -x "$dir/bin/python3" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  echo "installing the Python packages of scripts/requirements.txt (torch $(torch_version) with" \
       "its CUDA libraries: about 3.2 GB to download, 4.6 GB on disk) into $dir"
  mkdir -p "$(dirname "$dir")"
  log=$(mktemp)
  if ! { [ -x "$dir/bin/python3" ] || python3 -m venv "$dir"; } > "$log" 2>&1 ||
     ! "$dir/bin/python3" -m pip install --no-cache-dir --disable-pip-version-check -q \
         -r "$requirements" >> "$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log" "$stamp"
    echo "scripts/python-env.sh: could not install scripts/requirements.txt into $dir (pip's" \
         "message above); set TF_PYTHON_ENV to put the environment elsewhere" >&2
    return 1
  fi
  rm -f "$log"
  echo "$want" > "$stamp"
}

case "${1:-}" in
  dir) env_dir ;;
  python) echo "$(env_dir)/bin/python3" ;;
  install) install ;;
  *) echo "usage: scripts/python-env.sh dir | python | install" >&2; exit 2 ;;
esac
