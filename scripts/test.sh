#!/usr/bin/env bash
# The test command: sets up (venv, install, data) and runs the default (fast) test suite.
# Extra arguments go to pytest, e.g. `./scripts/test.sh -m slow` or `-k circuit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
# pytest exits 5 when it collects no tests; we let that fail too: no tests is not a pass.
exec python -m pytest "$@"
