#!/usr/bin/env bash
# Usage: bash tools/torchrun.sh PROCS SCRIPT [args]  (used by dist_train.sh and dist_test.sh)
# PROCS processes per node via torchrun: one per GPU, or CPU processes with gloo.
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node;
# on one node an unset PORT means a free port.
set -e
PROCS=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-$(python -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
exec python -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$PROCS" --master_port="$PORT" \
    "$ROOT/$SCRIPT" "${@:3}" --launcher pytorch
