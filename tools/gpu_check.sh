#!/usr/bin/env bash
# Usage: bash tools/gpu_check.sh [--cpu-dry-run] [--out DIR] [--peak-gflops G]
# Proves the CUDA path in one run (tests, NCCL training and resume, distributed
# evaluation, benchmarks; see tools/gpu_check.py) and writes DIR/gpu_check.json
# (default work_dirs/gpu_check). --cpu-dry-run runs every step on the CPU.
set -e
# shellcheck disable=SC1091
. "$(dirname "$0")/setup_env.sh"
cd "$FGVC_ROOT"
exec python tools/gpu_check.py "$@"
