"""Seconds per radiograph through ``SpineInferencer``, end to end, by stage.

Writes ``--num-images`` synthetic 2500 x 1600 12-bit DICOMs, then runs the
reference models (Sparse R-CNN R50 at shorter side 800, DenseNet-121 at
224; random weights, so no download) through ``infer_to_dir`` with
overlays and DICOM SRs, once per speed or precision variant
(``--variants``, see :data:`VARIANTS`; ``fp32``, ``bf16`` and ``auto`` are
the default levers in each precision setting). The CPU model and its flags
that matter (AVX2, AVX-512, VNNI, BF16, AMX) are printed and saved with the
figures.

The machine may be shared, so the variants are measured interleaved in one
process: every variant is built and warmed up (compile time counted
apart), then each round runs every variant once on the same images, in
turn; medians over the rounds per stage, the ratio to the first variant,
and the load average around each run are reported, with the process's
CPU seconds per image (user + system): with ``--threads 1`` that is the
work a lever saves, little moved by other jobs on the machine. Findings of each
variant are matched to the first variant's box by box (same class, IoU >=
0.5) and the largest score difference of a matched pair is reported with
the boxes left unmatched on either side (missed, extra): findings sorted by
score and compared by index would count a near-tie that swaps order as a
score change.

``--sr`` times the SR writer alone (building and writing an SR of 100
findings); ``--feature-check`` shows how far
each lever moves the FPN features, the RoI features and the scores on one
image, and that mmcv's RoIAlign misreads channels-last feature maps.

Example::

    python benchmarks/inference.py --num-images 2 --rounds 3 \\
        --variants plain fuse_bn fuse_bn+channels_last --out b.json
    python benchmarks/inference.py --variants fp32 bf16 --rounds 5
"""
import argparse
import json
import os
import os.path as osp
import statistics
import tempfile
import time
from typing import Dict, List

import cv2
import numpy as np
import torch
from _common import write_json
from mmdet.structures import DetDataSample

from mmspine.apis import SpineInferencer, infer_to_dir
from mmspine.dicom import build_dataset, write_dicom
from mmspine.utils.precision import cpu_info, native_bf16

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DET = osp.join(REPO, 'configs', 'spine', 'sparse_rcnn_r50.py')
CLS = osp.join(REPO, 'configs', 'spine_cls', 'densenet121.py')
STAGES = ('read', 'classifier', 'detector', 'fusion', 'writing')

#: Variants by name: ``SpineInferencer(speed=...)``, and its
#: ``precision`` where a variant names one (else fp32).
VARIANTS = {
    'plain':
    dict(fuse_bn=False, channels_last=False),
    'fuse_bn':
    dict(fuse_bn=True, channels_last=False),
    'channels_last':
    dict(fuse_bn=False, channels_last=True),
    'fuse_bn+channels_last':
    dict(fuse_bn=True, channels_last=True),
    'compile':
    dict(fuse_bn=True, channels_last=False, compile=True),
    'compile+channels_last':
    dict(fuse_bn=True, channels_last=True, compile=True),
    'compile_nofreeze':
    dict(fuse_bn=True, channels_last=False, compile=True, freezing=False),
    'fp32':
    dict(precision='fp32'),
    'bf16':
    dict(precision='bf16'),
    'auto':
    dict(precision='auto'),
    'bf16+compile':
    dict(precision='bf16', compile=True),
}

#: CPU flags worth recording beside a figure: the vector and matrix units
#: that oneDNN's kernels use.
CPU_FLAGS = ('avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni',
             'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8')


def machine(device: str) -> Dict:
    """What the figures depend on: CPU model and flags, native bf16,
    torch, threads and oneDNN's ISA limit (``ONEDNN_MAX_CPU_ISA``)."""
    info = cpu_info()
    out = dict(
        cpu=info['model'],
        cpu_flags=[f for f in CPU_FLAGS if f in info['flags']],
        native_bf16=native_bf16(device),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        onednn_max_cpu_isa=os.environ.get('ONEDNN_MAX_CPU_ISA'),
        device=device)
    if device.startswith('cuda'):
        out['gpu'] = torch.cuda.get_device_name(device)
    return out


def load() -> str:
    return '{:.2f}'.format(os.getloadavg()[0])


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


def build(device: str, variant: dict) -> SpineInferencer:
    # random weights: no checkpoint, no ImageNet download; c = 0 keeps
    # every box, so that all scores are compared between runs; the same
    # seed gives every variant the same weights
    det_opts = {'load_from': None, 'model.backbone.init_cfg': None}
    cls_opts = {'model.backbone.pretrained': False}
    speed = dict(variant)
    precision = speed.pop('precision', 'fp32')
    torch.manual_seed(0)
    return SpineInferencer([(DET, None, det_opts)], [(CLS, None, cls_opts)],
                           device=device,
                           score_thr=0.,
                           c=0.,
                           speed=speed,
                           precision=precision)


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed_run(inferencer: SpineInferencer, inputs: List[str], out: str,
              device: str) -> Dict:
    """One pass over ``inputs``: seconds per image by stage, the results."""
    inferencer.timings = dict.fromkeys(STAGES, 0.)
    before = load()
    sync(device)
    cpu = time.process_time()
    start = time.perf_counter()
    summary = infer_to_dir(
        inferencer, inputs, out, sr=True, resume=False, progress=False)
    sync(device)
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu
    n = len(summary.results)
    return dict(
        end_to_end=total / n,
        cpu=cpu / n,
        **{
            k: v / n
            for k, v in inferencer.timings.items()
        },
        load=f'{before}-{load()}',
        results=summary.results)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (4,) with boxes ``b`` (N, 4)."""
    lt = np.maximum(a[:2], b[:, :2])
    rb = np.minimum(a[2:], b[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def compare(base: List[dict], other: List[dict]) -> Dict:
    """Box-matched differences of ``other``'s results from ``base``'s.

    Each base finding, best first, takes the unused finding of ``other``
    with the same class and the highest IoU (at least 0.5). ``missed``
    counts base findings left without a partner, ``extra`` findings of
    ``other`` left over: a box that moved counts once in each. Also the
    matched pairs' count and mean score difference, and the highest score
    of a base finding left without a partner.
    """
    score_diff, box_diff, missed, extra, p_diff = 0., 0., 0, 0, 0.
    diffs, missed_score = [], 0.
    for rb, ro in zip(base, other):
        if rb['p_abnormal'] is not None:
            p_diff = max(p_diff, abs(rb['p_abnormal'] - ro['p_abnormal']))
        fo = ro['findings']
        boxes = np.array([f['bbox'] for f in fo]).reshape(-1, 4)
        labels = np.array([f['label'] for f in fo])
        used = np.zeros(len(fo), bool)
        for f in rb['findings']:
            iou = _iou(np.asarray(f['bbox']), boxes) if len(fo) else [-1.]
            if len(fo):
                iou[(labels != f['label']) | used] = -1
            j = int(np.argmax(iou))
            if iou[j] < 0.5:
                missed += 1
                missed_score = max(missed_score, f['score'])
                continue
            used[j] = True
            diffs.append(abs(f['score'] - fo[j]['score']))
            score_diff = max(score_diff, diffs[-1])
            box_diff = max(box_diff, float(np.abs(boxes[j] - f['bbox']).max()))
        extra += int((~used).sum())
    return dict(
        max_score_diff=score_diff,
        max_box_diff_px=box_diff,
        missed=missed,
        extra=extra,
        max_p_abnormal_diff=p_diff,
        matched=len(diffs),
        mean_score_diff=float(np.mean(diffs)) if diffs else 0.,
        max_missed_score=missed_score)


def lever_runs(args, images: str, warmup: str) -> List[Dict]:
    inputs = sorted(
        osp.join(images, f) for f in os.listdir(images) if f.endswith('.dcm'))
    variants = {}
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for name in args.variants:
            start = time.perf_counter()
            inferencer = build(args.device, VARIANTS[name])
            built = time.perf_counter() - start
            # the first image: compilation, allocator and cache warm-up
            first = timed_run(inferencer, [warmup], osp.join(out, 'w'),
                              args.device)
            variants[name] = inferencer
            rows.append(
                dict(
                    name=name,
                    speed=VARIANTS[name],
                    precision=inferencer.precision,
                    applied=inferencer.speed_report,
                    build_s=built,
                    first_image_s=first['end_to_end'],
                    first_detector_s=first['detector'],
                    runs=[]))
            print(
                f'{name:24s} built in {built:.1f} s, first image '
                f'{first["end_to_end"]:.1f} s (detector '
                f'{first["detector"]:.1f}), load {first["load"]}, '
                f'{inferencer.precision}, {inferencer.speed_report}',
                flush=True)
        results = {}
        for r in range(args.rounds):
            for row in rows:
                run = timed_run(variants[row['name']], inputs,
                                osp.join(out, row['name']), args.device)
                results[row['name']] = run.pop('results')
                row['runs'].append(run)
                print(
                    f'round {r} {row["name"]:24s} ' +
                    '  '.join(f'{k} {run[k]:.3f}'
                              for k in ('end_to_end', 'cpu') + STAGES) +
                    f'  load {run["load"]}',
                    flush=True)
    base = rows[0]
    for row in rows:
        row['median'] = {
            k: statistics.median(run[k] for run in row['runs'])
            for k in ('end_to_end', 'cpu') + STAGES
        }
        row['ratio_to_first'] = {
            k: row['median'][k] / base['median'][k]
            for k in ('end_to_end', 'cpu', 'detector')
        }
        row.update(compare(results[base['name']], results[row['name']]))
    print(f'\nmedians over {args.rounds} interleaved rounds, '
          f'{len(inputs)} images each, s/image; diffs vs {base["name"]}, '
          'box-matched')
    for row in rows:
        m = row['median']
        print(f'{row["name"]:24s} ' + '  '.join(f'{k} {m[k]:.3f}' for k in m) +
              f'  x{row["ratio_to_first"]["end_to_end"]:.2f} e2e '
              f'x{row["ratio_to_first"]["cpu"]:.2f} cpu '
              f'x{row["ratio_to_first"]["detector"]:.2f} det  '
              f'score {row["max_score_diff"]:.1e} '
              f'box {row["max_box_diff_px"]:.1e}px '
              f'missed {row["missed"]} extra {row["extra"]} '
              f'p {row["max_p_abnormal_diff"]:.1e}')
    return rows


def _findings(pred) -> List[dict]:
    return [
        dict(bbox=box, score=score, label=label)
        for box, score, label in zip(pred.bboxes.double().cpu().tolist(),
                                     pred.scores.double().cpu().tolist(),
                                     pred.labels.cpu().tolist())
    ]


def feature_check(device: str) -> None:
    """How far the levers move FPN features, RoI features and scores.

    On one 1248 x 800 image: the default levers (``fuse_bn`` +
    ``channels_last``) against the plain model in fp32 and in float64,
    next to two changes that are rounding by definition: one intra-op
    thread instead of all (a different summation order) and Gaussian noise
    with a standard deviation of 3e-6 of the largest absolute feature value
    added to the plain model's FPN maps. With random weights, Sparse
    R-CNN's six refinement stages amplify rounding-level changes of the
    features several hundred times.
    """
    from mmcv.ops import RoIAlign
    torch.manual_seed(0)
    x = torch.rand(1, 256, 50, 78, device=device)
    rois = torch.tensor([[0, 10., 20., 300., 200.], [0, 100., 50., 200., 390.]
                         ],
                        device=device)
    align = RoIAlign((7, 7), 1 / 16., sampling_ratio=2, aligned=True)
    a = align(x, rois)
    b = align(x.contiguous(memory_format=torch.channels_last), rois)
    print('mmcv RoIAlign, channels-last input vs NCHW: max |diff| '
          f'{float((a - b).abs().max()):.2f} of max |value| '
          f'{float(a.abs().max()):.2f}')
    img = torch.rand(1, 3, 800, 1248, device=device) * 255
    shape = (800, 1248)
    samples = [
        DetDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                scale_factor=(1., 1.),
                batch_input_shape=shape))
    ]
    models = {
        name: build(device, VARIANTS[name]).detectors[0].model
        for name in ('plain', 'fuse_bn+channels_last')
    }

    class Stop(Exception):
        pass

    def run(det, dtype, noise=0.):
        seen, last = [], []

        def last_stage(m, i, o):
            # per proposal: Sparse R-CNN's proposals keep their order
            # through the stages, so these compare index by index
            last.append(o[0].double().sigmoid().cpu())
            if dtype == torch.float64:
                raise Stop  # mmcv's NMS takes float32 only

        hooks = [
            det.roi_head.bbox_roi_extractor[0].register_forward_hook(
                lambda m, i, o: seen.append(o.double().cpu())),
            det.roi_head.bbox_head[-1].register_forward_hook(last_stage)
        ]
        if noise:
            gen = torch.Generator(device=device).manual_seed(1)

            def add_noise(m, i, out):
                return tuple(
                    o + noise * o.abs().max() *
                    torch.randn(o.shape, generator=gen, device=device)
                    for o in out)

            hooks.append(det.neck.register_forward_hook(add_noise))
        with torch.inference_mode():
            feats = det.extract_feat(img.to(dtype))
            try:
                found = _findings(
                    det.predict(img.to(dtype), samples)[0].pred_instances)
            except Stop:
                found = None
        for h in hooks:
            h.remove()
        return [f.double().cpu() for f in feats], seen[:1], last[-1:], found

    def rel(xs, ys):
        return max(
            float((a - b).abs().max() / b.abs().max()) for a, b in zip(xs, ys))

    threads = torch.get_num_threads()
    for dtype in (torch.float32, torch.float64):
        for det in models.values():
            det.to(dtype)
        base = run(models['plain'], dtype)
        runs = {
            'fuse_bn+channels_last': run(models['fuse_bn+channels_last'],
                                         dtype)
        }
        if dtype == torch.float32:
            runs['plain + FPN noise 3e-6'] = run(models['plain'], dtype, 3e-6)
            torch.set_num_threads(1)
            runs['plain, 1 thread'] = run(models['plain'], dtype)
            torch.set_num_threads(threads)
        for name, (feats, roi_feats, last, found) in runs.items():
            line = (f'{str(dtype)[6:]:8s} {name:24s} FPN rel diff '
                    f'{rel(feats, base[0]):.1e}; stage-1 RoI features '
                    f'{rel(roi_feats, base[1]):.1e}; stage-6 scores per '
                    f'proposal max |diff| '
                    f'{float((last[0] - base[2][0]).abs().max()):.1e}')
            if found is not None:
                diff = compare([dict(p_abnormal=None, findings=base[3])],
                               [dict(p_abnormal=None, findings=found)])
                line += (f'; findings box-matched max |score diff| '
                         f'{diff["max_score_diff"]:.1e}, missed '
                         f'{diff["missed"]} of {len(base[3])}, extra '
                         f'{diff["extra"]} of {len(found)}')
            print(line, flush=True)


def sr_check(rounds: int) -> None:
    """SR writing alone: building and writing an SR of 100 findings."""
    import pydicom

    from mmspine.dicom.sr import build_findings_sr
    from mmspine.metainfo import ALL_LESION_TYPES
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        write_radiographs(tmp, 1)
        ds = pydicom.dcmread(osp.join(tmp, 'bench_00.dcm'))
    findings = []
    for i in range(100):
        x, y = rng.uniform(0, 1400), rng.uniform(0, 2300)
        findings.append(
            dict(
                label=i % 13,
                lesion_type=ALL_LESION_TYPES[i % 13],
                score=float(rng.uniform()),
                bbox=[x, y, x + 150, y + 180]))
    result = dict(
        status='ok',
        study_instance_uid=ds.StudyInstanceUID,
        series_instance_uid=ds.SeriesInstanceUID,
        sop_instance_uid=ds.SOPInstanceUID,
        rows=ds.Rows,
        columns=ds.Columns,
        p_abnormal=0.7,
        abnormal=True,
        rule=dict(c=0.5, k=0.5),
        findings=findings,
        model=dict(detectors=['sparse_rcnn_r50'], classifiers=['dn121']))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sr = build_findings_sr(ds, result)
        built = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            pydicom.dcmwrite(
                osp.join(tmp, 'sr.dcm'), sr, enforce_file_format=True)
        times.append((built, time.perf_counter() - start))
    print(f'SR, 100 findings: '
          f'build {statistics.median(r[0] for r in times):.3f} s, '
          f'build + write {statistics.median(r[1] for r in times):.3f} s'
          f' (median of {rounds}), load {load()}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--num-images', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--variants',
        nargs='+',
        default=['plain', 'fuse_bn', 'channels_last', 'fuse_bn+channels_last'],
        choices=sorted(VARIANTS),
        help='speed or precision variants; the first is the reference')
    parser.add_argument(
        '--threads', type=int, help='torch intra-op threads (default: all)')
    parser.add_argument('--out', help='write the rows as JSON here')
    parser.add_argument(
        '--feature-check',
        action='store_true',
        help='only compare features and scores across the levers')
    parser.add_argument(
        '--sr', action='store_true', help='only time the SR writer')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'device {args.device}, {torch.get_num_threads()} threads, '
          f'load {load()}')
    print(f'machine {json.dumps(machine(args.device))}')
    if args.feature_check:
        feature_check(args.device)
        return
    if args.sr:
        sr_check(args.rounds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        images, warmup = osp.join(tmp, 'images'), osp.join(tmp, 'warmup')
        write_radiographs(images, args.num_images)
        write_radiographs(warmup, 1)
        rows = lever_runs(args, images, osp.join(warmup, 'bench_00.dcm'))
    write_json(
        dict(
            machine=machine(args.device),
            threads=torch.get_num_threads(),
            device=args.device,
            num_images=args.num_images,
            rounds=args.rounds,
            rows=rows),
        args.out,
        indent=1)


if __name__ == '__main__':
    main()
