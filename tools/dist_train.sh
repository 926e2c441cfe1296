#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py args]
# Launcher settings (multi-node, port): tools/torchrun.sh.
set -e
exec bash "$(dirname "$0")/torchrun.sh" "$2" tools/train.py "$1" "${@:3}"
