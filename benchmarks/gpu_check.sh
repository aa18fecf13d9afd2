#!/usr/bin/env bash
# CUDA correctness and throughput check on a GPU machine without internet.
#
# Run from the repository root. Wheels for everything the machine lacks go
# in .whl/ (git-ignored; see benchmarks/README.md for how they are fetched):
# mmcv 2.1.0 built with CUDA ops, mmengine, mmdet, pycocotools, pydicom, ...
# Figures and logs go to $OUT (default work_dirs/gpu_check).
#
# Environment: ITERS (timed training iterations, default 15), WARMUP (5),
# WORKERS (data loader workers, 12), NUM_TRAIN (phantom images, 96),
# RUN_TESTS (0 skips the CUDA model tests), RUN_INFER (0 skips inference).
set -uo pipefail
OUT=${OUT:-work_dirs/gpu_check}
ITERS=${ITERS:-15}
WARMUP=${WARMUP:-5}
WORKERS=${WORKERS:-12}
NUM_TRAIN=${NUM_TRAIN:-96}
DATA=${DATA:-/tmp/phantom_gpu}
PY=${PY:-python3}
RUN_TESTS=${RUN_TESTS:-1}
RUN_INFER=${RUN_INFER:-1}
CONFIG=configs/spine/sparse_rcnn_r101.py
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1

step() { echo; echo "=== $* ($(date +%T))"; }

if [ -d .whl ]; then
  step install carried wheels
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi

step environment
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
$PY - <<'PY' || exit 1
import mmcv, mmdet, mmengine, numpy, torch
from mmcv.ops import RoIAlign, batched_nms, get_compiler_version, \
    get_compiling_cuda_version
print('torch', torch.__version__, 'cuda', torch.version.cuda,
      torch.cuda.get_device_name())
print('mmcv', mmcv.__version__, 'ops built with', get_compiler_version(),
      'cuda', get_compiling_cuda_version())
print('mmdet', mmdet.__version__, 'mmengine', mmengine.__version__,
      'numpy', numpy.__version__)
# mmcv's CUDA kernels, not a CPU fallback: inputs and outputs on the GPU,
# and the same values as on the CPU
feats = torch.rand(2, 16, 32, 32)
rois = torch.tensor([[0, 1., 1., 20., 20.], [1, 4., 2., 30., 18.]])
align = RoIAlign((7, 7), spatial_scale=1., sampling_ratio=2)
cpu = align(feats, rois)
gpu = align(feats.cuda(), rois.cuda())
assert gpu.is_cuda
torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-4)
boxes = torch.rand(200, 4).cuda() * 100
boxes[:, 2:] += boxes[:, :2]
_, keep = batched_nms(boxes, torch.rand(200).cuda(),
                      torch.randint(0, 7, (200, )).cuda(),
                      dict(type='nms', iou_threshold=0.5))
assert keep.is_cuda
print('mmcv CUDA ops: RoIAlign matches the CPU, batched_nms runs on CUDA')
PY

if [ "$RUN_TESTS" = 1 ]; then
  step model tests on CUDA: every config, one loss and one predict step
  $PY -m pytest -q -p no:cacheprovider -k cuda \
    tests/configs/test_detector_configs.py tests/models \
    2>&1 | tail -n 15 | tee "$OUT/cuda_tests.txt"
fi

step phantom data at realistic size
$PY - <<PY || exit 1
import time
from mmspine.phantom import prepare_phantom_dataset
start = time.time()
prepare_phantom_dataset('$DATA', $NUM_TRAIN, 32, seed=0,
                        workers=$WORKERS)
print(f'phantom ready in {time.time() - start:.1f} s')
PY

for amp in "" "--amp"; do
  name=train${amp:+_amp}
  step "training $CONFIG, batch 16, short edge 640-800 $amp"
  $PY benchmarks/detector_speed.py $CONFIG --data-root "$DATA" \
    --mode train --batch-size 16 --iters "$ITERS" --warmup "$WARMUP" \
    --workers "$WORKERS" $amp --out "$OUT/$name.json" \
    > "$OUT/$name.log" 2>&1
  tail -n 16 "$OUT/$name.log"
done

[ "$RUN_INFER" = 1 ] && for bs in 1 8; do
  step "inference $CONFIG, batch $bs, short edge 800"
  $PY benchmarks/detector_speed.py $CONFIG --data-root "$DATA" \
    --mode test --batch-size $bs --iters $((32 / bs)) --warmup 2 \
    --workers 4 --out "$OUT/test_bs$bs.json" > "$OUT/test_bs$bs.log" 2>&1
  tail -n 12 "$OUT/test_bs$bs.log"
done
step done
