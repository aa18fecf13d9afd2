"""Run the distributed tools through torchrun and check them against
single-process testing.

Trains a few iterations with ``tools/dist_train.sh``, then tests the
checkpoint three ways: ``tools/test.py`` in one process, and
``tools/dist_test.sh`` with ``--nproc`` processes (NCCL on CUDA, gloo on
the CPU); optionally also ``--cpu-nproc`` gloo processes with CUDA hidden
(two processes cannot share one GPU under mmengine's launcher, which gives
each local rank its own device), checked against a one-process CPU test.
Metrics and the dumped predictions must agree; the verdict goes to stdout
and ``--out``.

Example (a phantom made by tools/dataset_converters/make_phantom.py)::

    python benchmarks/dist_check.py configs/spine/phantom/sparse_rcnn_r18_phantom.py \\
        --data-root data/phantom --work-dir /tmp/dist --out dist.json
"""  # noqa: E501
import argparse
import glob
import json
import math
import os
import os.path as osp
import pickle
import subprocess
import sys
import time
from typing import Dict, List, Optional

from _common import write_json

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def data_options(data_root: str, iters: int, workers: int) -> Dict:
    """``--cfg-options`` aiming a phantom-style config at ``data_root`` and
    training ``iters`` iterations without validation."""
    root = osp.join(osp.abspath(data_root), '')
    ann = osp.join(root, 'annotations', 'test.json')
    # the val loader reads the test split too: nothing is selected here
    opts = {
        'data_root': root,
        'val_dataloader.dataset.ann_file': 'annotations/test.json',
        'val_dataloader.dataset.data_prefix.img': 'test_images/',
        'train_dataloader.dataset.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'val_evaluator.ann_file': ann,
        'test_evaluator.ann_file': ann,
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters + 1,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': 1,
        'load_from': None,
    }
    for loader in ('train', 'val', 'test'):
        opts[f'{loader}_dataloader.num_workers'] = workers
        opts[f'{loader}_dataloader.persistent_workers'] = False
    return opts


def argv(opts: Dict) -> List[str]:
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def run(cmd: List[str], log: str, env: Optional[Dict] = None) -> float:
    """Run ``cmd`` from the repository root; raise with the log tail."""
    start = time.time()
    full_env = dict(os.environ, **(env or {}))
    with open(log, 'w') as f:
        proc = subprocess.run(
            cmd,
            cwd=REPO_ROOT,
            env=full_env,
            stdout=f,
            stderr=subprocess.STDOUT)
    if proc.returncode:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f'{" ".join(cmd[:3])} ... failed '
                           f'(exit {proc.returncode}), see {log}:\n{tail}')
    return time.time() - start


def test_metrics(work_dir: str) -> Dict[str, float]:
    """The metrics mmengine dumps to work_dir/<timestamp>/<timestamp>.json."""
    found = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not found:
        raise FileNotFoundError(f'no test metrics under {work_dir}')
    with open(found[-1]) as f:
        record = json.load(f)
    return {
        k: v
        for k, v in record.items() if '/' in k and isinstance(v, (int, float))
    }


def max_prediction_diff(a_pkl: str, b_pkl: str) -> float:
    """Largest difference between two dumps of the same images' boxes and
    scores; inf when they hold different images or box counts."""
    with open(a_pkl, 'rb') as f:
        a = {r['img_id']: r['pred_instances'] for r in pickle.load(f)}
    with open(b_pkl, 'rb') as f:
        b = {r['img_id']: r['pred_instances'] for r in pickle.load(f)}
    if a.keys() != b.keys():
        return float('inf')
    worst = 0.
    for img_id, pa in a.items():
        pb = b[img_id]
        for key in ('bboxes', 'scores', 'labels'):
            x, y = pa[key], pb[key]
            if x.shape != y.shape:
                return float('inf')
            if x.numel():
                worst = max(worst, float((x.float() - y.float()).abs().max()))
    return worst


def compare(reference: Dict, other: Dict) -> float:
    """Largest metric difference; NaN (a class without ground truth) equals
    NaN."""
    if reference.keys() != other.keys():
        return float('inf')
    worst = 0.
    for key, a in reference.items():
        b = other[key]
        if math.isnan(a) and math.isnan(b):
            continue
        worst = max(worst, abs(a - b) if a == a and b == b else float('inf'))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--nproc', type=int, default=1)
    parser.add_argument(
        '--cpu-nproc',
        type=int,
        default=0,
        help='also test with this many gloo processes, CUDA hidden')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--port', type=int, default=29511)
    parser.add_argument('--out', help='write the verdict to this JSON')
    args = parser.parse_args()

    import torch
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    opts = data_options(args.data_root, args.iters, args.workers)
    config = osp.abspath(args.config)
    py = sys.executable
    env = dict(PORT=str(args.port), PYTHON=py)
    result = dict(
        device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'cpu',
        backend='nccl' if torch.cuda.is_available() else 'gloo',
        nproc=args.nproc,
        iters=args.iters,
        seconds={})
    secs = result['seconds']

    def save() -> None:
        # after every phase: a timeout later keeps what finished
        write_json(result, args.out)

    secs['dist_train'] = run([
        'bash', 'tools/dist_train.sh', config,
        str(args.nproc), '--work-dir', f'{work}/train'
    ] + argv(opts), f'{work}/dist_train.log', env)
    save()
    ckpt = f'{work}/train/iter_{args.iters}.pth'
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'dist_train wrote no {ckpt}')

    def test(name: str, cmd: List[str], extra_env: Optional[Dict] = None):
        pkl = f'{work}/{name}.pkl'
        secs[name] = run(
            cmd + ['--work-dir', f'{work}/{name}', '--out', pkl] + argv(opts),
            f'{work}/{name}.log', dict(env, **(extra_env or {})))
        return test_metrics(f'{work}/{name}'), pkl

    single, single_pkl = test('test_single',
                              [py, 'tools/test.py', config, ckpt])
    dist, dist_pkl = test(
        'test_dist',
        ['bash', 'tools/dist_test.sh', config, ckpt,
         str(args.nproc)])
    result['metrics_single'] = single
    result['metrics_dist'] = dist
    result['metrics_max_abs_diff'] = compare(single, dist)
    result['predictions_max_abs_diff'] = max_prediction_diff(
        single_pkl, dist_pkl)
    ok = result['metrics_max_abs_diff'] == 0.
    result['identical'] = ok
    save()
    if args.cpu_nproc:
        # torchrun runs each of several processes on one thread; the
        # reference does too, so that float sums run in the same order
        hidden = dict(CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
        cpu_single, cpu_pkl = test('test_cpu_single',
                                   [py, 'tools/test.py', config, ckpt], hidden)
        cpu_dist, cpu_dist_pkl = test(
            'test_cpu_dist',
            ['bash', 'tools/dist_test.sh', config, ckpt,
             str(args.cpu_nproc)], hidden)
        result['cpu_nproc'] = args.cpu_nproc
        result['metrics_cpu_dist'] = cpu_dist
        result['cpu_metrics_max_abs_diff'] = compare(cpu_single, cpu_dist)
        result['cpu_predictions_max_abs_diff'] = max_prediction_diff(
            cpu_pkl, cpu_dist_pkl)
        # the CPU against the GPU: close, not bit-identical
        result['cpu_vs_single_metrics_max_abs_diff'] = compare(
            single, cpu_single)
        ok = ok and result['cpu_metrics_max_abs_diff'] == 0.
    result['identical'] = ok
    print(json.dumps(result, indent=2))
    save()
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
