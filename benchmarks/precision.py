"""The accuracy cost of bfloat16 inference, on trained phantom models.

Trains, or reuses from ``--work-dir``, the detector of ``make demo``
(Faster R-CNN R18/2, 400 iterations on 240 phantom images) and the phantom
DenseNet classifier (300 iterations), then evaluates both on the phantom's
test split in each precision, as ``tools/test.py --precision`` does:
mAP@0.5 of the detector, AUROC of the classifier, and the detector's
predictions box-matched against fp32's (the largest score and box
differences of matched pairs, the boxes left without a partner). Last,
``SpineInferencer`` on the test DICOMs (detector + classifier, c = 0) in
each precision, its findings and p(abnormal) compared the same way. The
CPU model and flags are printed and saved with the figures.

Example::

    python benchmarks/precision.py --work-dir work_dirs/precision \\
        --out precision.json
"""
import argparse
import json
import os.path as osp
import pickle
import time
from typing import Dict, List

import torch
from _common import write_json
from inference import compare, machine

from mmspine.apis import (SpineInferencer, add_dump_results, build_runner,
                          infer_to_dir, load_config, run_demo, setup_precision,
                          setup_test)
from mmspine.apis.demo import DEMO_CONFIG
from mmspine.utils.config import config_file

CLS_CONFIG = config_file('spine_cls/densenet121_phantom.py')
#: Long side of the demo's PNGs (``run_demo``'s default).
MAX_SIZE = 512


def trained_models(work_dir: str,
                   workers: int,
                   classifier: bool = True) -> Dict[str, tuple]:
    """``(config, checkpoint)`` of the detector (``det``) and the
    classifier (``cls``, unless ``classifier`` is False), trained under
    ``work_dir`` unless there already."""
    det_ckpt = osp.join(work_dir, 'train', 'iter_400.pth')
    if not osp.isfile(det_ckpt):
        run_demo(work_dir, report=False, infer=False, workers=workers)
    det = (osp.join(work_dir, 'train', osp.basename(DEMO_CONFIG)), det_ckpt)
    if not classifier:
        return dict(det=det)
    cls_ckpt = osp.join(work_dir, 'cls', 'iter_300.pth')
    if not osp.isfile(cls_ckpt):
        cfg = load_config(
            CLS_CONFIG, {},
            osp.join(work_dir, 'cls'),
            data_root=osp.join(work_dir, 'data'))
        build_runner(cfg).train()
    return dict(
        det=(osp.join(work_dir, 'train', osp.basename(DEMO_CONFIG)), det_ckpt),
        cls=(osp.join(work_dir, 'cls', osp.basename(CLS_CONFIG)), cls_ckpt))


def run_test(config: str,
             checkpoint: str,
             work_dir: str,
             data_root: str,
             precision: str,
             preds: str = None) -> Dict:
    """``tools/test.py config checkpoint --precision precision``: its
    metrics and wall seconds."""
    cfg = load_config(
        config, {
            'test_dataloader.num_workers': 0,
            'test_dataloader.persistent_workers': False
        },
        work_dir,
        data_root=data_root)
    cfg = setup_precision(setup_test(cfg, checkpoint), precision)
    runner = build_runner(cfg)
    if preds:
        add_dump_results(runner, preds)
    start = time.perf_counter()
    metrics = runner.test()
    return dict(metrics, seconds=time.perf_counter() - start)


def as_results(preds: str) -> List[dict]:
    """A pickle of ``tools/test.py --out`` as ``compare``'s results."""
    with open(preds, 'rb') as f:
        samples = pickle.load(f)
    out = []
    for s in sorted(samples, key=lambda s: s['img_id']):
        pred = s['pred_instances']
        out.append(
            dict(
                p_abnormal=None,
                findings=[
                    dict(bbox=b, score=c, label=lab)
                    for b, c, lab in zip(pred['bboxes'].double().tolist(),
                                         pred['scores'].double().tolist(),
                                         pred['labels'].tolist())
                ]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', default='work_dirs/precision')
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument(
        '--precisions',
        nargs='+',
        default=['fp32', 'bf16'],
        help='the first is the reference')
    parser.add_argument(
        '--threads', type=int, help='torch intra-op threads (default: all)')
    parser.add_argument('--out', help='write the figures as JSON here')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    info = machine('cpu')
    print(f'machine {json.dumps(info)}', flush=True)
    models = trained_models(args.work_dir, args.workers)
    data_root = osp.join(args.work_dir, 'data')
    rows = {}
    for p in args.precisions:
        sub = osp.join(args.work_dir, f'test_{p}')
        preds = osp.join(sub, 'preds.pkl')
        det = run_test(*models['det'], sub, data_root, p, preds)
        cls = run_test(*models['cls'], osp.join(sub, 'cls'), data_root, p)
        rows[p] = dict(
            detector={
                k: v
                for k, v in det.items() if 'mAP' in k or k == 'seconds'
            },
            classifier={
                k: v
                for k, v in cls.items() if 'auroc' in k or k == 'seconds'
            },
            preds=as_results(preds))
        inferencer = SpineInferencer([(models['det'][0], models['det'][1], {
            'preprocess.max_size': MAX_SIZE
        })], [models['cls']],
                                     c=0.,
                                     precision=p)
        summary = infer_to_dir(
            inferencer, [osp.join(data_root, 'dicom', 'test_images')],
            osp.join(sub, 'infer'),
            resume=False,
            progress=False)
        rows[p]['inferencer'] = dict(
            precision=inferencer.precision,
            seconds=dict(inferencer.timings),
            results=summary.results)
    base = rows[args.precisions[0]]
    report = dict(machine=info, models=models, precisions={})
    for p, row in rows.items():
        report['precisions'][p] = dict(
            detector=row['detector'],
            classifier=row['classifier'],
            test_preds_vs_first=compare(base['preds'], row['preds']),
            inferencer_precision=row['inferencer']['precision'],
            inferencer_seconds=row['inferencer']['seconds'],
            inferencer_vs_first=compare(base['inferencer']['results'],
                                        row['inferencer']['results']))
        print(f'{p}: ' + json.dumps(report['precisions'][p]), flush=True)
    write_json(report, args.out, indent=1)


if __name__ == '__main__':
    main()
