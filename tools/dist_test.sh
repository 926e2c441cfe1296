#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG GPUS TASK CHECKPOINT [test.py args]
# CHECKPOINT may be `none` (untrained encoder). Launcher settings: tools/torchrun.sh.
set -e
exec bash "$(dirname "$0")/torchrun.sh" "$2" tools/test.py "$1" "$4" --task "$3" "${@:5}"
