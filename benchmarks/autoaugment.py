"""Speed of the AutoAugment detection ops and of DetAutoAugment.

Reports milliseconds per image for each op and for a whole policy on a
synthetic radiograph, and images per second through the training pipeline
(load PNG, DetAutoAugment, resize, flip, pack) in one process, as one data
worker runs it: OpenCV single-threaded, OMP_NUM_THREADS=1.

Example::

    python benchmarks/autoaugment.py --size 1333 800 --policy v2
"""
import argparse
import copy
import os
import os.path as osp
import tempfile
import time
from typing import Callable, Dict, List, Tuple

# Like an mmengine data worker: one thread per process.
os.environ.setdefault('OMP_NUM_THREADS', '1')

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from mmspine.datasets.transforms import autoaugment_ops as ops  # noqa: E402

# Levels at which no op degenerates to the identity (Solarize at level 10
# has threshold 256).
BENCH_LEVEL = {name: 10 for name in ops.OP_NAMES}
BENCH_LEVEL.update(Solarize=5, Solarize_Only_BBoxes=5)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(1333, 800),
        metavar=('W', 'H'),
        help='image width and height for the op timings')
    parser.add_argument(
        '--png-size',
        type=int,
        nargs=2,
        default=None,
        metavar=('W', 'H'),
        help='size of the PNG the pipeline loads (default: --size)')
    parser.add_argument('--policy', default='v2', help='policy to time')
    parser.add_argument('--boxes', type=int, default=4, help='boxes per image')
    parser.add_argument(
        '--repeat', type=int, default=20, help='calls per op timing')
    parser.add_argument(
        '--policy-images',
        type=int,
        default=300,
        help='images for the whole-policy timing')
    parser.add_argument(
        '--pipeline-images',
        type=int,
        default=100,
        help='images through the training pipeline')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def synthetic_radiograph(width: int, height: int, num_boxes: int,
                         seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """A grey image, smooth anatomy-like shading plus noise, and boxes."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 90 + 60 * np.sin(xs / width * np.pi) * np.cos(ys / height * 2)
    noise = rng.normal(0, 12, (height, width)).astype(np.float32)
    grey = np.clip(shade + noise, 0, 255).astype(np.uint8)
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    wh = rng.uniform(0.05, 0.2, (num_boxes, 2)) * (width, height)
    xy = rng.uniform(0, 1, (num_boxes, 2)) * ((width, height) - wh)
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    return img, boxes


def time_ms(func: Callable[[], object], repeat: int) -> float:
    """Median milliseconds per call, after one warm-up call."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def bench_ops(img: np.ndarray, boxes: np.ndarray, repeat: int,
              seed: int) -> Dict[str, float]:
    """Median ms of each op at probability 1 (prob/3 per box if bbox-only)."""
    rng = np.random.default_rng(seed)
    timings = {}
    for name in ops.OP_NAMES:
        level = BENCH_LEVEL[name]
        timings[name] = time_ms(
            lambda: ops.apply_op(name, img, boxes, 1., level, rng), repeat)
    return timings


def results_of(img: np.ndarray, boxes: np.ndarray) -> dict:
    from mmdet.structures.bbox import HorizontalBoxes
    return dict(
        img=img,
        img_shape=img.shape[:2],
        gt_bboxes=HorizontalBoxes(boxes),
        gt_bboxes_labels=np.zeros(len(boxes), np.int64),
        gt_ignore_flags=np.zeros(len(boxes), bool))


def bench_policy(img: np.ndarray, boxes: np.ndarray, policy: str,
                 num_images: int, seed: int) -> float:
    """Mean ms per image of a whole policy, sub-policies drawn at random."""
    from mmspine.datasets.transforms import DetAutoAugment
    transform = DetAutoAugment(policy=policy, seed=seed)
    transform(results_of(img, boxes))
    start = time.perf_counter()
    for _ in range(num_images):
        transform(results_of(img, boxes))
    return (time.perf_counter() - start) / num_images * 1e3


def train_pipeline(policy: str) -> List[dict]:
    """configs/spine's training pipeline, with or without the policy."""
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(
            type='RandomChoiceResize',
            scales=[(1333, s) for s in range(640, 801, 32)],
            keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs')
    ]
    if policy:
        pipeline.insert(2, dict(type='DetAutoAugment', policy=policy))
    return pipeline


def bench_pipeline(img: np.ndarray, boxes: np.ndarray, policy: str,
                   num_images: int) -> float:
    """Images per second through the training pipeline in one process."""
    from mmcv.transforms import Compose

    from mmspine.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'radiograph.png')
        cv2.imwrite(path, img[..., 0])
        info = dict(
            img_path=path,
            img_id=0,
            instances=[
                dict(bbox=box.tolist(), bbox_label=0, ignore_flag=0)
                for box in boxes
            ])
        pipeline = Compose(train_pipeline(policy))
        pipeline(copy.deepcopy(info))
        start = time.perf_counter()
        for _ in range(num_images):
            pipeline(copy.deepcopy(info))
        return num_images / (time.perf_counter() - start)


def main() -> None:
    args = parse_args()
    # mmengine disables OpenCV's threads in data workers.
    cv2.setNumThreads(0)
    np.random.seed(args.seed)
    width, height = args.size
    img, boxes = synthetic_radiograph(width, height, args.boxes, args.seed)
    print(f'ops on a {width}x{height} image with {args.boxes} boxes, '
          f'median of {args.repeat} calls, 1 thread')
    for name, ms in bench_ops(img, boxes, args.repeat, args.seed).items():
        print(f'  {name:<24s} {ms:7.2f} ms')
    ms = bench_policy(img, boxes, args.policy, args.policy_images, args.seed)
    print(f'policy {args.policy}: {ms:.2f} ms per image '
          f'(mean over {args.policy_images} images)')

    png_w, png_h = args.png_size or args.size
    png, png_boxes = synthetic_radiograph(png_w, png_h, args.boxes, args.seed)
    for policy in ('', args.policy):
        ips = bench_pipeline(png, png_boxes, policy, args.pipeline_images)
        label = f'with {policy}' if policy else 'without AutoAugment'
        print(f'training pipeline from a {png_w}x{png_h} PNG, {label}: '
              f'{ips:.1f} images/s on one worker')


if __name__ == '__main__':
    main()
