#!/usr/bin/env bash
# Issue 14 on one lent GPU, in one go, under a hard time budget:
#   b) AMP stability: Sparse R-CNN R101, fp32 / bf16 / fp16 (dynamic loss
#      scale) trained side by side from the same seed, loss and grad norm
#      of every iteration, compared per window (benchmarks/amp_compare.py);
#   c) speed at batch 16: fp32, bf16, bf16 + channels_last + cudnn
#      benchmark + fused AdamW + pinned memory, with the top kernels of the
#      first and the last; then single levers and torch.compile while the
#      budget lasts;
#   d) tools/dist_train.sh and dist_test.sh through torchrun (NCCL, one
#      process) against tools/test.py on the same checkpoint, and two gloo
#      processes with CUDA hidden (benchmarks/dist_check.py);
#   e) OPTIONAL: tools/infer.py, if that tool exists and INFER_CMD is set.
# a) (the phantom at realistic size) comes first because b-d read it.
#
# Run from the repository root. Wheels for what the machine lacks go in
# .whl/ (see benchmarks/README.md). Everything lands in $OUT: the log,
# steps.tsv (step, exit status, seconds), one JSON per run and summary.json.
#
# DEVICE=cpu is a dry run with tiny sizes through every step (no wheels
# installed): only CUDA itself is left untested.
#
# Environment: OUT (work_dirs/gpu_issue14), DEVICE (cuda), PY (python3),
# BUDGET (seconds for the whole script, 450), DATA, WORK, TRAIN_ARGS (more
# detector_speed.py arguments for every training run); sizes below.
set -uo pipefail
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-work_dirs/gpu_issue14}
PY=${PY:-python3}
BUDGET=${BUDGET:-450}
WORK=${WORK:-/tmp/issue14}
DATA=${DATA:-$WORK/phantom}
if [ "$DEVICE" = cpu ]; then
  # step limits are sized for the GPU; a loaded CPU needs far longer
  LIMIT_SCALE=${LIMIT_SCALE:-10}
  CONFIG=${CONFIG:-configs/spine/phantom/sparse_rcnn_r18_phantom.py}
  NUM_TRAIN=${NUM_TRAIN:-6} NUM_TEST=${NUM_TEST:-4} SIZE=${SIZE:-384}
  WORKERS=${WORKERS:-1} STAB_WORKERS=${STAB_WORKERS:-0}
  STAB_BS=${STAB_BS:-2} STAB_ITERS=${STAB_ITERS:-3} STAB_EDGE=${STAB_EDGE:-64}
  STAB_SECONDS=${STAB_SECONDS:-60} STAB_WINDOW=${STAB_WINDOW:-2}
  SPEED_BS=${SPEED_BS:-2} WARMUP=${WARMUP:-1} ITERS=${ITERS:-1}
  PROFILE=${PROFILE:-1} SPEED_EDGE=${SPEED_EDGE:-64}
  SPEED_SECONDS=${SPEED_SECONDS:-30}
  # bfloat16 matrix products are emulated on most CPUs: fewer proposals
  TRAIN_ARGS=${TRAIN_ARGS:---cfg-options model.rpn_head.num_proposals=10}
  DIST_ITERS=${DIST_ITERS:-2} DIST_WORKERS=${DIST_WORKERS:-0}
else
  CONFIG=${CONFIG:-configs/spine/sparse_rcnn_r101.py}
  NUM_TRAIN=${NUM_TRAIN:-64} NUM_TEST=${NUM_TEST:-16} SIZE=${SIZE:-}
  WORKERS=${WORKERS:-12} STAB_WORKERS=${STAB_WORKERS:-4}
  # batch 4 at a shorter side of 512: three runs share the GPU
  STAB_BS=${STAB_BS:-4} STAB_ITERS=${STAB_ITERS:-300}
  STAB_EDGE=${STAB_EDGE:-512} STAB_SECONDS=${STAB_SECONDS:-100}
  STAB_WINDOW=${STAB_WINDOW:-50}
  # batch 16 at the config's scales, as in benchmarks/README.md
  SPEED_BS=${SPEED_BS:-16} WARMUP=${WARMUP:-5} ITERS=${ITERS:-15}
  PROFILE=${PROFILE:-2} SPEED_EDGE=${SPEED_EDGE:-}
  SPEED_SECONDS=${SPEED_SECONDS:-30}
  DIST_ITERS=${DIST_ITERS:-20} DIST_WORKERS=${DIST_WORKERS:-4}
  TRAIN_ARGS=${TRAIN_ARGS:-}
  LIMIT_SCALE=${LIMIT_SCALE:-1}
fi
DIST_CONFIG=${DIST_CONFIG:-configs/spine/phantom/sparse_rcnn_r18_phantom.py}
DIST_CPU_NPROC=${DIST_CPU_NPROC:-2}
STAB_DTYPES=${STAB_DTYPES:-fp32 bf16 fp16}
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/gpu_issue14.log") 2>&1
printf 'step\texit\tseconds\n' > "$OUT/steps.tsv"
T0=$SECONDS

left() { echo $((BUDGET - (SECONDS - T0))); }

# step NAME LIMIT CMD...: run CMD for at most LIMIT seconds, cut to what
# the budget has left; record the exit status (124: timed out)
step() {
  local name=$1 limit=$(($2 * LIMIT_SCALE)) rest
  shift 2
  rest=$(left)
  [ "$limit" -gt "$rest" ] && limit=$rest
  if [ "$limit" -lt 15 ]; then
    echo "=== $name: skipped, $rest s of the budget left"
    printf '%s\tskipped\t0\n' "$name" >> "$OUT/steps.tsv"
    return 1
  fi
  echo
  echo "=== $name (at most $limit s; $(date +%T), $((SECONDS - T0)) s in)"
  local t=$SECONDS rc
  timeout -k 10 "$limit" "$@"
  rc=$?
  echo "=== $name: exit $rc after $((SECONDS - t)) s"
  printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - t))" >> "$OUT/steps.tsv"
  return $rc
}

# optional NAME LIMIT CMD...: only if the whole LIMIT still fits
optional() {
  if [ "$(left)" -lt $(($2 * LIMIT_SCALE)) ]; then
    echo "=== $1: skipped, $(left) s left, needs $2"
    printf '%s\tskipped\t0\n' "$1" >> "$OUT/steps.tsv"
    return 1
  fi
  step "$@"
}

amp_args() {
  case $1 in
    fp32) ;;
    *) echo "--amp --amp-dtype $1" ;;
  esac
}

# train NAME DTYPE BATCH EDGE SECONDS [detector_speed args...]
train() {
  local name=$1 dtype=$2 bs=$3 edge=$4 secs=$5
  shift 5
  $PY benchmarks/detector_speed.py "$CONFIG" --data-root "$DATA" \
    --mode train --batch-size "$bs" ${edge:+--short-edge $edge} \
    --max-seconds "$secs" --seed 0 $(amp_args "$dtype") \
    --out "$OUT/$name.json" "$@" $TRAIN_ARGS > "$OUT/$name.log" 2>&1
  local rc=$?
  grep -E '"(s_per_iter|iterations_run|data_wait_share|gpu_peak_allocated_gib|gpu_busy_share|all_losses_finite|grad_norms_finite|skipped_steps)"' \
    "$OUT/$name.json" 2>/dev/null | tr -d ' \n'
  echo
  [ $rc = 0 ] || tail -n 25 "$OUT/$name.log"
  return $rc
}

stability() {
  local pids=() names=() files=() d
  for d in $STAB_DTYPES; do
    train "stab_$d" "$d" "$STAB_BS" "$STAB_EDGE" "$STAB_SECONDS" \
      --iters "$STAB_ITERS" --warmup 0 --workers "$STAB_WORKERS" \
      --trace > "$OUT/stab_$d.summary" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  for d in $STAB_DTYPES; do
    echo "stab_$d: $(cat "$OUT/stab_$d.summary")"
    [ -f "$OUT/stab_$d.json" ] && names+=("$d") && files+=("$OUT/stab_$d.json")
  done
  [ ${#files[@]} -gt 0 ] || return 1
  $PY benchmarks/amp_compare.py "${files[@]}" --names "${names[@]}" \
    --window "$STAB_WINDOW" --out "$OUT/amp_compare.json"
}

# speed NAME DTYPE [detector_speed args...]
speed() {
  local name=$1 dtype=$2
  shift 2
  train "$name" "$dtype" "$SPEED_BS" "$SPEED_EDGE" "$SPEED_SECONDS" \
    --iters "$ITERS" --warmup "$WARMUP" --workers "$WORKERS" "$@"
}
export -f train amp_args stability speed
export PY CONFIG DATA OUT STAB_DTYPES STAB_BS STAB_EDGE STAB_SECONDS \
  STAB_ITERS STAB_WORKERS STAB_WINDOW SPEED_BS SPEED_EDGE SPEED_SECONDS \
  ITERS WARMUP WORKERS TRAIN_ARGS

if [ "$DEVICE" != cpu ] && [ -d .whl ]; then
  step install 60 $PY -m pip install -q --no-index --no-deps --no-compile \
    --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi

step environment 40 $PY - <<'PY' || exit 1
import json, os
import mmcv, mmdet, mmengine, numpy, torch
info = dict(torch=torch.__version__, cuda=torch.version.cuda,
            mmcv=mmcv.__version__, mmdet=mmdet.__version__,
            mmengine=mmengine.__version__, numpy=numpy.__version__,
            cpus=os.cpu_count())
if torch.cuda.is_available():
    from mmcv.ops import RoIAlign
    info.update(device=torch.cuda.get_device_name(),
                bf16=torch.cuda.is_bf16_supported(),
                capability=torch.cuda.get_device_capability())
    feats = torch.rand(2, 16, 32, 32)
    rois = torch.tensor([[0, 1., 1., 20., 20.], [1, 4., 2., 30., 18.]])
    align = RoIAlign((7, 7), spatial_scale=1., sampling_ratio=2)
    torch.testing.assert_close(align(feats.cuda(), rois.cuda()).cpu(),
                               align(feats, rois), rtol=1e-4, atol=1e-4)
    info['mmcv_cuda_roi_align'] = 'matches the CPU'
print(json.dumps(info))
json.dump(info, open(os.environ['OUT'] + '/environment.json', 'w'))
PY
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
  2>/dev/null

# a) the phantom at realistic size (long side about 2500 px)
step phantom 60 $PY - <<PY || exit 1
import time
from mmspine.phantom import prepare_phantom_dataset
start = time.time()
prepare_phantom_dataset('$DATA', $NUM_TRAIN, $NUM_TEST, seed=0,
                        size=${SIZE:-None}, workers=$WORKERS)
print(f'phantom: $NUM_TRAIN + $NUM_TEST images in {time.time() - start:.1f} s')
PY

# b) AMP stability, three precisions side by side on the one GPU
step stability $((STAB_SECONDS + 55)) bash -c stability

# c) speed at batch 16, one run at a time
step speed_fp32 $((SPEED_SECONDS + 40)) bash -c \
  "speed speed_fp32 fp32 --profile $PROFILE"
step speed_bf16 $((SPEED_SECONDS + 35)) bash -c "speed speed_bf16 bf16"
LEVERS="channels_last cudnn_benchmark fused_optimizer pin_memory"
step speed_bf16_all $((SPEED_SECONDS + 40)) bash -c \
  "speed speed_bf16_all bf16 --profile $PROFILE --speed $LEVERS"

# d) the distributed tools
step dist 150 $PY benchmarks/dist_check.py "$DIST_CONFIG" \
  --data-root "$DATA" --work-dir "$WORK/dist" --iters "$DIST_ITERS" \
  --nproc 1 --cpu-nproc "$DIST_CPU_NPROC" --workers "$DIST_WORKERS" \
  --out "$OUT/dist.json"

# c, continued while the budget lasts: one lever at a time, fp16, compile
for lever in channels_last cudnn_benchmark fused_optimizer; do
  optional "speed_bf16_$lever" $((SPEED_SECONDS + 35)) bash -c \
    "speed speed_bf16_$lever bf16 --speed $lever"
done
optional speed_fp16_all $((SPEED_SECONDS + 35)) bash -c \
  "speed speed_fp16_all fp16 --speed $LEVERS"
# compiling (and recompiling for new input shapes) takes the warm-up
optional speed_bf16_all_compile $((SPEED_SECONDS + 100)) bash -c \
  "SPEED_SECONDS=$((SPEED_SECONDS + 60)) speed speed_bf16_all_compile \
   bf16 --speed $LEVERS compile_backbone --warmup $((WARMUP + 5))"

# e) OPTIONAL inference through tools/infer.py (branch inf): set INFER_CMD,
# e.g. INFER_CMD="$PY tools/infer.py ... --batch-size 8"
if [ -f tools/infer.py ]; then
  if [ -n "${INFER_CMD:-}" ]; then
    optional infer 60 bash -c "$INFER_CMD"
  else
    $PY tools/infer.py --help > "$OUT/infer_help.txt" 2>&1
  fi
fi

echo
echo "=== summary ($((SECONDS - T0)) s in)"
$PY - <<'PY'
import glob, json, os
out = os.environ['OUT']
runs = {}
for path in sorted(glob.glob(f'{out}/*.json')):
    name = os.path.basename(path)[:-5]
    with open(path) as f:
        run = json.load(f)
    run.pop('trace', None)
    runs[name] = run
print('| run | s/iteration | images/s | data wait | peak GPU GiB '
      '| GPU busy | 50k iterations |')
print('| --- | --- | --- | --- | --- | --- | --- |')
for name, r in runs.items():
    if not name.startswith('speed_') or 's_per_iter' not in r:
        continue
    busy = r.get('profile', {}).get('gpu_busy_share')
    print(f"| {name[6:]} | {r['s_per_iter']:.3f} "
          f"(median {r['s_per_iter_median']:.3f}) | {r['images_per_s']:.1f} "
          f"| {r['data_wait_share']:.1%} "
          f"| {r.get('gpu_peak_allocated_gib', float('nan')):.1f} "
          f"| {'' if busy is None else f'{busy:.0%}'} "
          f"| {r['projected_hours_50k_iters']:.1f} h |")
with open(f'{out}/steps.tsv') as f:
    runs['steps'] = [line.split() for line in f.read().splitlines()[1:]]
with open(f'{out}/summary.json', 'w') as f:
    json.dump(runs, f, indent=2)
print(f'{out}/summary.json written')
PY
cat "$OUT/steps.tsv"
