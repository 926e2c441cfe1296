#!/usr/bin/env bash
# Usage: GPUS=4 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args]
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" tools/train.py "$3" "${@:4}"
