"""Time detector training and inference through mmengine's Runner.

Training: seconds per iteration after warm-up, images/s, the share of each
iteration spent waiting for the data loader, peak memory, and the projected
time of a full schedule. Inference: images/s through the model's
``test_step`` (what ``tools/test.py`` runs), at the test scale.

Example (the reference input size, batch 16, mixed precision)::

    python benchmarks/detector_speed.py configs/spine/sparse_rcnn_r101.py \
        --data-root data/phantom/ --batch-size 16 --amp --out train.json
    python benchmarks/detector_speed.py configs/spine/sparse_rcnn_r101.py \
        --data-root data/phantom/ --mode test --batch-size 8
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import tempfile
import time

import torch
from mmengine.config import DictAction
from mmengine.hooks import Hook

from mmspine.apis import build_runner, load_config, setup_train
from mmspine.utils import register_all_modules


class IterSpeedHook(Hook):
    """Splits every training iteration into data wait and compute."""

    # before the logger, which resets CUDA's peak memory statistics
    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.data_wait, self.iter_time = [], []
        self.peak_gib = 0.
        self._last = None

    def _now(self) -> float:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def before_train(self, runner) -> None:
        self._last = self._now()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # the loop fetched this batch between the previous iteration's end
        # and now
        self.data_wait.append(self._now() - self._last)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        now = self._now()
        self.iter_time.append(now - self._last)
        self._last = now
        if torch.cuda.is_available():
            self.peak_gib = max(self.peak_gib,
                                torch.cuda.max_memory_allocated() / 2**30)


def set_short_edge(cfg, short_edge: int) -> None:
    """Fix the train and test scale to one shorter side."""
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    for t in dataset.pipeline:
        if t['type'] == 'RandomChoiceResize':
            t['scales'] = [(1333, short_edge)]
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'Resize':
            t['scale'] = (1333, short_edge)


def peak_memory_gib() -> dict:
    out = dict(
        host_peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss /
        2**20)
    if torch.cuda.is_available():
        gib = 2**30
        out['gpu_peak_allocated_gib'] = torch.cuda.max_memory_allocated() / gib
        out['gpu_peak_reserved_gib'] = torch.cuda.max_memory_reserved() / gib
    return out


def time_training(cfg, args) -> dict:
    cfg.train_cfg.max_iters = args.warmup + args.iters
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters + 1
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.train_dataloader.batch_size = args.batch_size
    cfg = setup_train(cfg, amp=args.amp)
    runner = build_runner(cfg)
    hook = IterSpeedHook()
    runner.register_hook(hook)
    runner.train()
    iters = hook.iter_time[args.warmup:]
    waits = hook.data_wait[args.warmup:]
    s_iter = statistics.mean(iters)
    result = dict(
        s_per_iter=s_iter,
        s_per_iter_median=statistics.median(iters),
        images_per_s=args.batch_size / s_iter,
        data_wait_share=sum(waits) / sum(iters),
        projected_hours_50k_iters=s_iter * 50000 / 3600,
        **peak_memory_gib())
    if torch.cuda.is_available():
        # mmengine's logger resets CUDA's peak after each iteration, so the
        # hook's running maximum is the training peak
        result['gpu_peak_allocated_gib'] = hook.peak_gib
    return result


def time_inference(cfg, args) -> dict:
    cfg.test_dataloader.batch_size = args.batch_size
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.param_scheduler = None
    runner = build_runner(cfg)
    model = runner.model
    # no checkpoint: initialise as training would (Sparse R-CNN's learned
    # proposals are otherwise uninitialised memory)
    model.init_weights()
    model.eval()
    times, images = [], 0
    with torch.no_grad():
        loader = iter(runner.test_dataloader)
        for i in range(args.warmup + args.iters):
            try:
                data = next(loader)
            except StopIteration:
                loader = iter(runner.test_dataloader)
                data = next(loader)
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            start = time.perf_counter()
            with torch.autocast(
                    'cuda' if torch.cuda.is_available() else 'cpu',
                    enabled=args.amp):
                model.test_step(data)
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            if i >= args.warmup:
                times.append(time.perf_counter() - start)
                images += len(data['inputs'])
    return dict(
        images_per_s=images / sum(times),
        s_per_batch=statistics.mean(times),
        **peak_memory_gib())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--mode', choices=['train', 'test'], default='train')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--iters', type=int, default=20, help='timed')
    parser.add_argument('--warmup', type=int, default=5, help='untimed')
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--amp', action='store_true')
    parser.add_argument(
        '--short-edge',
        type=int,
        help='fix the shorter side (default: the config\'s scales)')
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    options = dict(num_workers=args.workers, **(args.cfg_options or {}))
    cfg = load_config(
        args.config,
        options,
        tempfile.mkdtemp(prefix='detector_speed_'),
        data_root=args.data_root)
    cfg.model.backbone.init_cfg = None
    cfg.load_from = None
    if args.short_edge:
        set_short_edge(cfg, args.short_edge)
    timing = time_training if args.mode == 'train' else time_inference
    result = dict(
        config=osp.basename(args.config),
        mode=args.mode,
        batch_size=args.batch_size,
        amp=args.amp,
        short_edge=args.short_edge or 'config',
        device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'cpu',
        torch=torch.__version__,
        **timing(cfg, args))
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
