"""Run the whole pipeline on a synthetic phantom (what `make demo` does).

Phantom DICOMs -> PNG -> COCO JSON -> train a detector -> test it -> print
the per-class AP table and mAP@0.5 -> overlays of predictions beside ground
truth under WORK_DIR/test/<timestamp>/overlays -> findings for the test
DICOMs as tools/infer.py writes them, under WORK_DIR/infer -> the HTML
evaluation report WORK_DIR/report.html.
"""
import argparse
import os.path as osp
import time

from mmengine.config import DictAction

from mmspine.apis import run_demo
from mmspine.apis.demo import DEMO_CONFIG
from mmspine.jobs import (JobSummary, add_phantom_args, job_parser,
                          print_summary)
from mmspine.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = job_parser(__doc__)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--config', default=DEMO_CONFIG)
    add_phantom_args(parser, num_train=267, num_test=60, workers=2)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    start = time.time()
    metrics = run_demo(
        args.work_dir,
        config=args.config,
        num_train=args.num_train,
        num_test=args.num_test,
        seed=args.seed,
        workers=args.workers,
        cfg_options=args.cfg_options)
    print_summary(
        JobSummary(
            'demo',
            notes=[
                f'phantom test mAP@0.5: {metrics["spinexr/bbox_mAP_50"]:.4f}'
                f'  mAP@[0.2:0.5]: {metrics["spinexr/bbox_mAP"]:.4f}  '
                f'({time.time() - start:.0f} s)'
            ],
            outputs=dict(
                overlays=osp.join(args.work_dir, 'test'),
                findings=osp.join(args.work_dir, 'infer'),
                report=osp.abspath(osp.join(args.work_dir, 'report.html')))))


if __name__ == '__main__':
    main()
