#!/usr/bin/env bash
# Creates .venv, installs qas with its test tools, and makes sure FashionMNIST is reachable.
# Sourced by demo.sh and test.sh; safe to run again (it only installs what is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=.venv/.qas-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing qas and its dependencies"
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet -e '.[dev,chem]'
  touch "$stamp"
fi
# Data: Debian's package when we can install it; otherwise qas downloads into its cache,
# verifying checksums, on first use (see README, "Data").
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ -z "${QAS_DATA_DIR:-}" ] && command -v apt-get >/dev/null \
   && [ "$(id -u)" = 0 ]; then
  echo "==> installing FashionMNIST (Debian package dataset-fashion-mnist)"
  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
    || echo "   apt-get failed; qas will try its checksum-verified download instead"
fi
