#!/usr/bin/env bash
# The main job: sets up (venv, install, data) and searches for a FashionMNIST classifier
# with small defaults. Extra arguments go to `qas search`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
exec qas search --task fashionmnist "$@"
