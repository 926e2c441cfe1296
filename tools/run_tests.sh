#!/usr/bin/env bash
# Usage: bash tools/run_tests.sh [pytest args]
# Run the test suite (sets up the environment first on a fresh machine).
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -k propagation`.
set -e
# shellcheck disable=SC1091
. "$(dirname "$0")/setup_env.sh"
cd "$FGVC_ROOT"
python -m pytest -q "$@"
