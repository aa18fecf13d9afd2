"""Time detector training and inference through mmengine's Runner.

Training: seconds per iteration after warm-up, images/s, the share of each
iteration spent waiting for the data loader, peak memory, and the projected
time of a full schedule. Inference: images/s through the model's
``test_step`` (what ``tools/test.py`` runs), at the test scale.

Options switch on mixed precision (``--amp --amp-dtype``) and each speed
lever of ``mmspine.apis.setup_speed`` (``--speed``); ``--profile N``
profiles N more iterations and prints the top kernels; ``--trace`` keeps
every iteration's loss and grad norm in the JSON (for comparing precisions
over a longer run); ``--max-seconds`` ends training early but still reports.

Example (the reference input size, batch 16, mixed precision)::

    python benchmarks/detector_speed.py configs/spine/sparse_rcnn_r101.py \
        --data-root data/phantom/ --batch-size 16 --amp --out train.json \
        --speed channels_last cudnn_benchmark fused_optimizer --profile 3
    python benchmarks/detector_speed.py configs/spine/sparse_rcnn_r101.py \
        --data-root data/phantom/ --mode test --batch-size 8
"""
import argparse
import json
import math
import os.path as osp
import resource
import statistics
import tempfile
import time

import torch
from _common import write_json
from mmengine.config import DictAction
from mmengine.hooks import Hook

from mmspine.apis import (AMP_DTYPES, SPEED_LEVERS, build_runner, load_config,
                          resolve_amp_dtype, setup_speed, setup_train)
from mmspine.utils import register_all_modules


class IterSpeedHook(Hook):
    """Splits every training iteration into data wait and compute.

    Also records each iteration's loss, grad norm (None for a skipped
    mixed-precision step) and loss scale, stops training after
    ``max_seconds``, and profiles ``profile_iters`` iterations from
    ``profile_start`` on.
    """

    # before the logger, which resets CUDA's peak memory statistics
    priority = 'VERY_HIGH'

    def __init__(self,
                 max_seconds: float = math.inf,
                 profile_start: int = 0,
                 profile_iters: int = 0) -> None:
        self.data_wait, self.iter_time = [], []
        self.trace = []
        self.peak_gib = 0.
        self.max_seconds = max_seconds
        self.profile_start = profile_start
        self.profile_iters = profile_iters
        self.profiler = None
        self.profile = None
        self._last = self._start = None
        self._norms_seen = 0

    def _now(self) -> float:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def before_train(self, runner) -> None:
        self._last = self._start = self._now()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # the loop fetched this batch between the previous iteration's end
        # and now
        now = self._now()
        self.data_wait.append(now - self._last)
        if self.profile_iters and runner.iter == self.profile_start:
            self.profiler = _start_profiler()
            self._profile_t0 = now

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
        self._record(runner, outputs or {})
        if self.profiler is not None and \
                runner.iter + 1 == self.profile_start + self.profile_iters:
            try:
                self.profiler.stop()
                self.profile = summarise_profile(self.profiler,
                                                 now - self._profile_t0,
                                                 self.profile_iters)
            except Exception as e:  # keep the timings of a one-off run
                self.profile = dict(error=repr(e))
                print(f'profile failed: {e!r}')
            self.profiler = None
        if now - self._start > self.max_seconds and self.profiler is None:
            runner.train_loop.stop_training = True

    def _record(self, runner, outputs: dict) -> None:
        hub = runner.message_hub
        row = dict(loss=float(outputs['loss'])) if 'loss' in outputs else {}
        if 'train/grad_norm' in hub.log_scalars:
            norms = hub.get_scalar('train/grad_norm')
            # the wrapper logs a norm only for the steps it took
            seen = len(norms.data[0])
            row['grad_norm'] = (
                float(norms.current()) if seen > self._norms_seen else None)
            self._norms_seen = seen
        for key in ('grad_scale', 'skipped_steps'):
            if f'train/{key}' in hub.log_scalars:
                row[key] = float(hub.get_scalar(f'train/{key}').current())
        self.trace.append(row)


def _start_profiler():
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
    profiler = profile(activities=activities)
    profiler.start()
    return profiler


def summarise_profile(profiler,
                      wall_s: float,
                      iters: int,
                      top: int = 15) -> dict:
    """Top kernels by self time, device busy share and host syncs.

    On CUDA the rows are GPU kernels (self device time), on the CPU the
    operators (self CPU time). ``aten::_local_scalar_dense`` runs once per
    ``.item()``/``float()``/``bool()`` of a device tensor, each a host sync;
    ``aten::nonzero`` (boolean indexing) syncs too.
    """
    from torch.autograd import DeviceType

    cuda = torch.cuda.is_available()
    events = profiler.key_averages()
    rows, counts, sync_us = [], {}, 0.
    for e in events:
        if e.key in ('aten::_local_scalar_dense', 'aten::nonzero'):
            counts[e.key] = e.count / iters
        if 'Synchronize' in e.key:
            sync_us += e.self_cpu_time_total
        if cuda:
            if e.device_type != DeviceType.CUDA:
                continue
            us = getattr(e, 'self_device_time_total',
                         getattr(e, 'self_cuda_time_total', 0))
        else:
            us = e.self_cpu_time_total
        rows.append((us, e.key, e.count))
    rows.sort(reverse=True)
    busy_us = sum(r[0] for r in rows)
    unit = 'GPU kernels' if cuda else 'CPU operators'
    print(f'top {top} {unit} over {iters} profiled iterations '
          f'({wall_s:.2f} s):')
    print(f'{"ms/iter":>9} {"share":>6} {"calls":>6}  name')
    table = []
    for us, name, count in rows[:top]:
        ms = us / 1e3 / iters
        share = us / busy_us if busy_us else 0.
        table.append(
            dict(name=name, ms_per_iter=ms, share=share, calls=count / iters))
        print(f'{ms:9.2f} {share:6.1%} {count / iters:6.0f}  {name[:90]}')
    result = dict(
        unit=unit,
        top=table,
        busy_ms_per_iter=busy_us / 1e3 / iters,
        wall_ms_per_iter=wall_s * 1e3 / iters,
        host_syncs_per_iter=counts,
        synchronize_cpu_ms_per_iter=sync_us / 1e3 / iters)
    if cuda:
        # profiling slows the host side, so this is a lower bound
        result['gpu_busy_share'] = busy_us / 1e6 / wall_s
    print('busy {busy_ms_per_iter:.1f} ms of {wall_ms_per_iter:.1f} ms '
          'per iteration; host syncs per iteration: '
          '{host_syncs_per_iter}'.format(**result))
    return result


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
    cfg.train_cfg.max_iters = args.warmup + args.iters + args.profile
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters + 1
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.train_dataloader.batch_size = args.batch_size
    cfg = setup_train(cfg, amp=args.amp, amp_dtype=args.amp_dtype)
    cfg = setup_speed(cfg, args.speed)
    runner = build_runner(cfg)
    hook = IterSpeedHook(args.max_seconds, args.warmup + args.iters,
                         args.profile)
    runner.register_hook(hook)
    runner.train()
    timed = slice(args.warmup, args.warmup + args.iters)
    iters, waits = hook.iter_time[timed], hook.data_wait[timed]
    if not iters:  # stopped by --max-seconds during warm-up
        iters, waits = hook.iter_time, hook.data_wait
    s_iter = statistics.mean(iters)
    losses = [r['loss'] for r in hook.trace if 'loss' in r]
    norms = [r.get('grad_norm') for r in hook.trace]
    result = dict(
        iterations_run=len(hook.iter_time),
        s_per_iter=s_iter,
        s_per_iter_median=statistics.median(iters),
        images_per_s=args.batch_size / s_iter,
        data_wait_share=sum(waits) / sum(iters),
        projected_hours_50k_iters=s_iter * 50000 / 3600,
        all_losses_finite=all(math.isfinite(v) for v in losses),
        grad_norms_logged=sum(n is not None for n in norms),
        grad_norms_finite=all(
            math.isfinite(n) for n in norms if n is not None),
        skipped_steps=hook.trace[-1].get('skipped_steps', 0)
        if hook.trace else 0,
        **peak_memory_gib())
    if hook.profile is not None:
        result['profile'] = hook.profile
    if args.trace:
        result['trace'] = hook.trace
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
                    dtype=getattr(torch, resolve_amp_dtype(args.amp_dtype)),
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
    parser.add_argument('--amp-dtype', choices=AMP_DTYPES, default='auto')
    parser.add_argument(
        '--speed',
        nargs='+',
        choices=SPEED_LEVERS,
        default=[],
        help='speed levers to switch on (training)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--max-seconds',
        type=float,
        default=math.inf,
        help='stop training after this long, and report what ran')
    parser.add_argument(
        '--profile',
        type=int,
        default=0,
        metavar='N',
        help='profile N iterations after the timed ones; print the top '
        'kernels')
    parser.add_argument(
        '--trace',
        action='store_true',
        help='keep every iteration\'s loss and grad norm in the JSON')
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
    options = {
        f'{split}_dataloader.{key}': value
        for split in ('train', 'val', 'test')
        for key, value in (('num_workers', args.workers),
                           ('persistent_workers', args.workers > 0))
    }
    options.update(args.cfg_options or {})
    cfg = load_config(
        args.config,
        options,
        tempfile.mkdtemp(prefix='detector_speed_'),
        data_root=args.data_root)
    cfg.model.backbone.init_cfg = None
    cfg.load_from = None
    # the same initial weights, data order and augmentation in every run
    cfg.randomness = dict(seed=args.seed)
    if args.short_edge:
        set_short_edge(cfg, args.short_edge)
    timing = time_training if args.mode == 'train' else time_inference
    result = dict(
        config=osp.basename(args.config),
        mode=args.mode,
        batch_size=args.batch_size,
        amp=args.amp,
        amp_dtype=resolve_amp_dtype(args.amp_dtype) if args.amp else None,
        speed=args.speed,
        short_edge=args.short_edge or 'config',
        device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'cpu',
        torch=torch.__version__,
        **timing(cfg, args))
    print(json.dumps(result, indent=2))
    write_json(result, args.out)


if __name__ == '__main__':
    main()
