"""CPU seconds per training iteration of a detector config.

Process CPU time (user + sys of every thread) rather than wall time, so
that two detectors can be compared on a machine shared with other jobs;
data loading runs in the process (no workers) and is counted too. Used for
the EfficientDet-D0 vs Faster R-CNN phantom comparison in README.md::

    OMP_NUM_THREADS=1 python benchmarks/train_cpu_time.py \
        configs/spine/phantom/faster_rcnn_r18_phantom.py \
        --data-root work_dirs/demo/data --iters 20
"""
import argparse
import tempfile
import time

import torch
from mmengine.config import DictAction
from mmengine.hooks import Hook

from mmspine.apis import build_runner, load_config
from mmspine.utils import register_all_modules


class CPUTimeHook(Hook):
    """CPU and wall seconds per iteration after ``warmup`` iterations."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.start = None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if batch_idx == self.warmup:
            self.start = (time.process_time(), time.perf_counter())

    def after_train(self, runner) -> None:
        iters = runner.iter - self.warmup
        cpu = (time.process_time() - self.start[0]) / iters
        wall = (time.perf_counter() - self.start[1]) / iters
        print(f'{iters} timed iterations: {cpu:.3f} CPU s/iteration, '
              f'{wall:.3f} wall s/iteration, '
              f'{torch.get_num_threads()} thread(s)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--iters', type=int, default=20, help='timed')
    parser.add_argument('--warmup', type=int, default=2, help='untimed')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    max_iters = args.iters + args.warmup
    opts = {
        'train_cfg.max_iters': max_iters,
        # no validation, no checkpoints: only training is timed
        'train_cfg.val_begin': max_iters + 1,
        'default_hooks.checkpoint.interval': max_iters + 1,
        'default_hooks.checkpoint.save_last': False,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'randomness.seed': args.seed,
        **(args.cfg_options or {})
    }
    cfg = load_config(
        args.config,
        opts,
        tempfile.mkdtemp(prefix='train_cpu_time_'),
        data_root=args.data_root)
    runner = build_runner(cfg)
    runner.register_hook(CPUTimeHook(args.warmup))
    runner.train()


if __name__ == '__main__':
    main()
