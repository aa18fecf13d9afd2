#!/usr/bin/env bash
# Usage: tools/dist_launch.sh TOOL GPUS [TOOL args...]
# What dist_train.sh and dist_test.sh run: tools/TOOL under torchrun of the
# interpreter in $PYTHON (default python3) with --launcher pytorch, GPUS
# processes per node. Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and
# PORT) on every node. Without CUDA the processes talk over gloo
# (mmspine.apis.build_runner).
TOOL=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
exec "${PYTHON:-python3}" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/$TOOL" \
    "${@:3}" --launcher pytorch
