#!/usr/bin/env bash
# Usage: GPUS=8 bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG TASK CHECKPOINT [test.py args]
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" tools/test.py "$3" "$5" --task "$4" "${@:6}"
