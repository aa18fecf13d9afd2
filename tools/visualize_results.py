"""Draw ground truth beside predictions for every image of a COCO file.

RESULTS is a tools/test.py pickle or COCO results JSON, or a findings.json
or findings.csv (tools/infer.py; its images are matched to the COCO images
by file stem and its boxes scaled to their size). Every category of the
annotation file is drawn. One picture per image goes to OUT_DIR;
each problem (missing image, unknown image id) is printed on one line, and
the exit code is 1 when any image could not be drawn.
"""
import argparse
import sys
from typing import List, Optional

from mmspine.cli import add_classes_option
from mmspine.thresholds import DRAW_SCORE_THR
from mmspine.visualization import visualize_results


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'results', help='.pkl, COCO results .json, findings.json or .csv')
    parser.add_argument(
        '--ann-file', required=True, help='COCO annotations (ground truth)')
    parser.add_argument(
        '--img-dir', required=True, help='folder of the COCO file_names')
    parser.add_argument(
        '--out-dir', required=True, help='where the pictures go')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=DRAW_SCORE_THR,
        help=f'draw predictions scoring above this (default '
        f'{DRAW_SCORE_THR})')
    add_classes_option(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    summary = visualize_results(
        args.results,
        args.ann_file,
        args.img_dir,
        args.out_dir,
        score_thr=args.score_thr,
        classes=args.classes)
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    print(f'{len(summary.written)} pictures in {args.out_dir}, '
          f'{len(summary.failed)} images not drawn, '
          f'{len(summary.problems)} problems')
    return 1 if summary.failed else 0


if __name__ == '__main__':
    sys.exit(main())
