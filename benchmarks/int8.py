"""int8 backbone + neck (PyTorch's FX post-training quantization) against
fp32, for CPUs without bfloat16 units: speed end to end, and the accuracy
cost on the trained phantom detector.

Run it with ``ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`` to time an
AVX2 CPU on a newer one (oneDNN then uses neither AVX-512, VNNI nor AMX).
The detector's ``extract_feat`` is replaced by the quantized graph of
backbone + neck (static, per-channel weights, 7-bit activations as
PyTorch's 'x86' default has them, run by the 'onednn' engine), calibrated
on ``--calib`` images through the model's own preprocessing.

``--speed``: the random-weight Sparse R-CNN R50 + DenseNet-121 of
``inference.py`` on synthetic 2500 x 1600 DICOMs, fp32 and int8 interleaved
(medians, CPU seconds). ``--work-dir``: the phantom detector of
``precision.py`` (trained there first if missing), test mAP@0.5 in fp32
and int8, calibrated on training images.

Example::

    ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python \\
        benchmarks/int8.py --speed --threads 1 --rounds 3
"""
import argparse
import copy
import json
import os.path as osp
import statistics
import tempfile
import time
from typing import List

import torch
from inference import build, machine, timed_run, write_radiographs
from mmengine.hooks import Hook
from torch import nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from mmspine.apis import (add_dump_results, build_runner, load_config,
                          setup_test)


class Dense(nn.Module):
    """Backbone then neck, as ``extract_feat`` runs them."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.backbone, self.neck = model.backbone, model.neck

    def forward(self, x):
        return self.neck(self.backbone(x))


def quantize_features(model: nn.Module, batches: List[torch.Tensor]) -> float:
    """Replace ``model.extract_feat`` by an int8 graph calibrated on
    ``batches`` (preprocessed inputs); the seconds it took."""
    start = time.perf_counter()
    # oneDNN's kernels, which ONEDNN_MAX_CPU_ISA limits (fbgemm's do not
    # follow it); x86's qconfig: 7-bit activations, since without VNNI
    # the u8 x s8 pair sums saturate int16 (onednn's 8-bit ones did)
    torch.backends.quantized.engine = 'onednn'
    dense = Dense(model).eval()
    prepared = prepare_fx(
        copy.deepcopy(dense),
        get_default_qconfig_mapping('x86'),
        example_inputs=(batches[0], ))
    with torch.inference_mode():
        for x in batches:
            prepared(x)
    quantized = convert_fx(prepared)
    model.extract_feat = lambda x: tuple(quantized(x))
    return time.perf_counter() - start


def capture_inputs(model: nn.Module, run) -> List[torch.Tensor]:
    """The preprocessed images ``run()`` feeds to ``model.extract_feat``."""
    seen = []
    extract = model.extract_feat

    def spy(x):
        seen.append(x.detach().clone())
        return extract(x)

    model.extract_feat = spy
    try:
        run()
    finally:
        model.extract_feat = extract
    return seen


def speed(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_radiographs(tmp, args.num_images + args.calib)
        inputs = sorted(
            osp.join(tmp, f'bench_{i:02d}.dcm')
            for i in range(args.num_images + args.calib))
        calib, inputs = inputs[:args.calib], inputs[args.calib:]
        # channels-last off: the quantized graph takes NCHW inputs
        variants = {
            'fp32': build('cpu', dict(channels_last=False)),
            'int8': build('cpu', dict(channels_last=False))
        }
        det = variants['int8'].detectors[0].model
        batches = capture_inputs(det, lambda: variants['int8'](calib))
        print(
            f'quantized in {quantize_features(det, batches):.1f} s',
            flush=True)
        runs = {name: [] for name in variants}
        for name, inferencer in variants.items():  # warm-up
            timed_run(inferencer, inputs[:1], osp.join(tmp, 'w'), 'cpu')
        for r in range(args.rounds):
            for name, inferencer in variants.items():
                run = timed_run(inferencer, inputs, osp.join(tmp, name), 'cpu')
                run.pop('results')
                runs[name].append(run)
                print(
                    f'round {r} {name} ' + '  '.join(f'{k} {v:.3f}'
                                                     for k, v in run.items()
                                                     if isinstance(v, float)) +
                    f'  load {run["load"]}',
                    flush=True)
    keys = ('end_to_end', 'cpu', 'detector', 'writing')
    medians = {
        name: {
            k: statistics.median(run[k] for run in rows)
            for k in keys
        }
        for name, rows in runs.items()
    }
    for name, m in medians.items():
        print(f'{name}: ' + '  '.join(f'{k} {v:.3f}' for k, v in m.items()) +
              '  x{:.2f} e2e, x{:.2f} cpu vs fp32'.format(
                  medians['fp32']['end_to_end'] /
                  m['end_to_end'], medians['fp32']['cpu'] / m['cpu']))


class QuantizeHook(Hook):
    """Quantize the runner's detector before testing, calibrated on
    ``num`` batches of ``loader`` (the training images)."""

    def __init__(self, loader, num: int) -> None:
        self.loader, self.num = loader, num

    def before_test(self, runner) -> None:
        model = runner.model
        batches = []
        for i, data in enumerate(self.loader):
            if i == self.num:
                break
            batches.append(model.data_preprocessor(data, False)['inputs'])
        print(
            f'quantized in {quantize_features(model, batches):.1f} s',
            flush=True)


def accuracy(args) -> None:
    from precision import trained_models
    models = trained_models(args.work_dir, 1, classifier=False)
    data_root = osp.join(args.work_dir, 'data')
    out = {}
    for name in ('fp32', 'int8'):
        cfg = load_config(
            models['det'][0], {
                'test_dataloader.num_workers': 0,
                'test_dataloader.persistent_workers': False,
                'train_dataloader.num_workers': 0,
                'train_dataloader.persistent_workers': False
            },
            osp.join(args.work_dir, f'int8_test_{name}'),
            data_root=data_root)
        cfg = setup_test(cfg, models['det'][1])
        runner = build_runner(cfg)
        if name == 'int8':
            loader = runner.build_dataloader(cfg.train_dataloader)
            runner.register_hook(QuantizeHook(loader, args.calib))
        add_dump_results(
            runner, osp.join(args.work_dir, f'int8_test_{name}', 'preds.pkl'))
        start = time.perf_counter()
        metrics = runner.test()
        out[name] = dict(
            seconds=time.perf_counter() - start,
            **{
                k: v
                for k, v in metrics.items() if 'mAP' in k
            })
        print(f'{name}: {json.dumps(out[name])}', flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--speed', action='store_true')
    parser.add_argument('--work-dir', help='phantom models (precision.py)')
    parser.add_argument('--num-images', type=int, default=1)
    parser.add_argument('--calib', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--threads', type=int)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'machine {json.dumps(machine("cpu"))}', flush=True)
    if args.speed:
        speed(args)
    if args.work_dir:
        accuracy(args)


if __name__ == '__main__':
    main()
