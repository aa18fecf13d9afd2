"""Seconds per radiograph through ``SpineInferencer``, end to end, by stage.

Writes ``--num-images`` synthetic 2500 x 1600 12-bit DICOMs, then runs the
reference models (Sparse R-CNN R50 at shorter side 800, DenseNet-121 at
224; random weights, so no download) through ``infer_to_dir`` with
overlays and, when ``mmspine.dicom.sr`` is present, DICOM SRs. Each lever
(autograd off by ``no_grad`` vs ``inference_mode``, channels-last, intra-op
threads, ``torch.compile`` of the backbones) is measured as its own run, on
the same images after one warm-up image, and its scores are compared with
the first run's (max |difference| of the sorted scores).

Example::

    python benchmarks/inference.py --num-images 3 --threads 2 1 --out b.json
"""
import argparse
import json
import os.path as osp
import tempfile
import time
from typing import Dict, List

import cv2
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.dataset import pseudo_collate

from mmspine.apis import SpineInferencer, infer_to_dir
from mmspine.dicom import build_dataset, write_dicom

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DET = osp.join(REPO, 'configs', 'spine', 'sparse_rcnn_r50.py')
CLS = osp.join(REPO, 'configs', 'spine_cls', 'densenet121.py')
STAGES = ('read', 'classifier', 'detector', 'fusion', 'writing')


def write_radiographs(folder: str,
                      num: int,
                      rows: int = 2500,
                      cols: int = 1600) -> None:
    """Smooth 12-bit images with bright blobs: realistic decode cost."""
    rng = np.random.default_rng(0)
    for i in range(num):
        small = rng.uniform(0, 1, (rows // 100, cols // 100))
        img = cv2.resize(small, (cols, rows), interpolation=cv2.INTER_CUBIC)
        img += rng.normal(0, 0.02, img.shape)
        img = np.clip((img - img.min()) / np.ptp(img) * 4095, 0, 4095)
        write_dicom(
            osp.join(folder, f'bench_{i:02d}.dcm'),
            build_dataset(
                img.astype(np.uint16),
                photometric='MONOCHROME2',
                bits_stored=12,
                window=(2048, 4096)))


def build(device: str, channels_last: bool) -> SpineInferencer:
    # random weights: no checkpoint, no ImageNet download; c = 0 keeps
    # every box, so that all scores are compared between runs
    det_opts = {'load_from': None, 'model.backbone.init_cfg': None}
    cls_opts = {'model.backbone.pretrained': False}
    torch.manual_seed(0)
    return SpineInferencer([(DET, None, det_opts)], [(CLS, None, cls_opts)],
                           device=device,
                           score_thr=0.,
                           c=0.,
                           channels_last=channels_last)


def run(name: str,
        args,
        images: str,
        warmup: str,
        sr: bool,
        no_grad: bool = False,
        channels_last: bool = False,
        threads: int = 0,
        compile_backbones: bool = False) -> Dict:
    if threads:
        torch.set_num_threads(threads)
    inferencer = build(args.device, channels_last)
    if no_grad:
        # what a plain loop does: autograd off, but tensors still tracked
        def forward(model, data):
            with torch.no_grad():
                return model.model.test_step(pseudo_collate(data))

        inferencer._forward = forward
    if compile_backbones:
        for m in inferencer.detectors + inferencer.classifiers:
            m.model.backbone = torch.compile(m.model.backbone)
    with tempfile.TemporaryDirectory() as out:
        infer_to_dir(
            inferencer, [warmup],
            osp.join(out, 'warm'),
            sr=sr,
            resume=False,
            progress=False)
        inferencer.timings = dict.fromkeys(STAGES, 0.)
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        summary = infer_to_dir(
            inferencer, [images],
            osp.join(out, 'run'),
            sr=sr,
            resume=False,
            progress=False)
        total = time.perf_counter() - start
    n = len(summary.results)
    scores = [
        sorted(f['score'] for f in r['findings']) for r in summary.results
    ]
    row = dict(
        name=name,
        threads=torch.get_num_threads(),
        images=n,
        end_to_end=total / n,
        **{
            k: v / n
            for k, v in inferencer.timings.items()
        },
        p_abnormal=[r['p_abnormal'] for r in summary.results],
        scores=scores)
    print(
        f'{name:28s} ' + '  '.join(f'{k} {row[k]:.3f}'
                                   for k in ('end_to_end', ) + STAGES),
        flush=True)
    return row


def feature_check(device: str) -> None:
    """How far each lever moves the detector's FPN features and scores.

    Random weights make Sparse R-CNN's six refinement stages amplify
    float rounding (summation order changes with threads and memory
    format), so box scores of a random model differ between levers even
    though the features agree to rounding; this shows both.
    """
    torch.manual_seed(0)
    det = build(device, False).detectors[0].model
    x = torch.rand(1, 3, 800, 1248, device=device) * 255
    shape = (800, 1248)
    samples = [
        DetDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                scale_factor=(1., 1.),
                batch_input_shape=shape))
    ]
    outputs = {}
    for name, threads, cl in (('2 threads', 2, False), ('1 thread', 1, False),
                              ('channels_last', 2, True)):
        torch.set_num_threads(threads)
        det.to(memory_format=torch.channels_last if cl else torch.
               contiguous_format)
        with torch.inference_mode():
            feats = det.extract_feat(x)
            pred = det.predict(x, samples)[0].pred_instances
        outputs[name] = ([f.float().cpu()
                          for f in feats], pred.scores.sort().values.cpu())
    base_feats, base_scores = outputs['2 threads']
    for name, (feats, scores) in outputs.items():
        rel = max(
            float((f - b).abs().max() / b.abs().max())
            for f, b in zip(feats, base_feats))
        print(
            f'{name:14s} FPN max |diff| / max |feature| {rel:.1e}; '
            f'max |score diff| {float((scores - base_scores).abs().max()):.1e}'
        )


def max_diff(a: Dict, b: Dict) -> float:
    diffs = [abs(x - y) for x, y in zip(a['p_abnormal'], b['p_abnormal'])]
    for sa, sb in zip(a['scores'], b['scores']):
        if len(sa) != len(sb):
            return float('inf')
        diffs += [abs(x - y) for x, y in zip(sa, sb)]
    return max(diffs, default=0.)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--num-images', type=int, default=3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--threads',
        type=int,
        nargs='+',
        default=[],
        help='also run with these intra-op thread counts')
    parser.add_argument(
        '--compile', action='store_true', help='also try torch.compile')
    parser.add_argument('--out', help='write the rows as JSON here')
    parser.add_argument(
        '--best-only',
        action='store_true',
        help='only channels-last with the first of --threads')
    parser.add_argument(
        '--feature-check',
        action='store_true',
        help='only compare FPN features and scores across the levers')
    args = parser.parse_args()
    if args.feature_check:
        feature_check(args.device)
        return
    try:
        import mmspine.dicom.sr  # noqa: F401
        sr = True
    except ImportError:
        sr = False
        print('mmspine.dicom.sr not found: SRs are not written')
    rows: List[Dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        images, warmup = osp.join(tmp, 'images'), osp.join(tmp, 'warmup')
        write_radiographs(images, args.num_images)
        write_radiographs(warmup, 1)
        print(f'{args.num_images} DICOMs of 2500 x 1600, device '
              f'{args.device}, {torch.get_num_threads()} threads, SR {sr}')
        if args.best_only:
            rows.append(
                run(f'channels_last threads={args.threads[0]}',
                    args,
                    images,
                    warmup,
                    sr,
                    channels_last=True,
                    threads=args.threads[0]))
            args.threads = []
        else:
            rows.append(run('no_grad', args, images, warmup, sr, no_grad=True))
        if not args.best_only:
            rows.append(run('inference_mode', args, images, warmup, sr))
            rows.append(
                run('inference_mode+channels_last',
                    args,
                    images,
                    warmup,
                    sr,
                    channels_last=True))
        default_threads = torch.get_num_threads()
        for threads in args.threads:
            rows.append(
                run(f'inference_mode threads={threads}',
                    args,
                    images,
                    warmup,
                    sr,
                    threads=threads))
        for threads in args.threads:
            rows.append(
                run(f'channels_last threads={threads}',
                    args,
                    images,
                    warmup,
                    sr,
                    channels_last=True,
                    threads=threads))
        torch.set_num_threads(default_threads)
        if args.compile:
            rows.append(
                run('inference_mode+compile',
                    args,
                    images,
                    warmup,
                    sr,
                    compile_backbones=True))
    for row in rows:
        row['max_score_diff'] = max_diff(row, rows[0])
        print(f'{row["name"]:28s} max |score - no_grad score| '
              f'{row["max_score_diff"]:.2e}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
