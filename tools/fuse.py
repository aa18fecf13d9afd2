"""Fuse classifier and detector: keep all boxes if p(abnormal) >= c, else
only boxes scoring >= k; print per-class AP@0.5 before and after."""
import argparse

from mmspine.cli import add_classes_option
from mmspine.fusion import fuse
from mmspine.jobs import JobSummary, print_summary
from mmspine.thresholds import RULE_C_GRID, RULE_K, RULE_K_GRID


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'detections',
        help='detector results: COCO results .json or tools/test.py .pkl')
    parser.add_argument(
        'predictions', help='classifier or ensemble predictions.csv')
    parser.add_argument('ann_file', help='COCO annotations of the images')
    parser.add_argument(
        '--c',
        type=float,
        help='classifier threshold (default: --rule\'s, else the Youden '
        'threshold of PREDICTIONS themselves, as the paper)')
    parser.add_argument(
        '--rule',
        help='c and k tuned on the val split (a --rule-out of a --sweep '
        'run on val predictions)')
    parser.add_argument(
        '--k',
        type=float,
        default=RULE_K,
        help=f'box score threshold (default {RULE_K})')
    parser.add_argument('--out', help='write the fused results (.json)')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help='also evaluate (p(abnormal) + highest box score) / 2 as a '
        'classifier')
    parser.add_argument(
        '--sweep',
        action='store_true',
        help='also sweep c and k (use a validation split)')
    parser.add_argument(
        '--rule-out',
        help='with --sweep, write the best c and k as JSON here, for '
        'tools/infer.py --rule')
    parser.add_argument('--c-grid', type=float, nargs='+', default=RULE_C_GRID)
    parser.add_argument('--k-grid', type=float, nargs='+', default=RULE_K_GRID)
    add_classes_option(parser)
    parser.add_argument(
        '--num-bootstrap', type=int, default=10000, help='CI resamples')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    result = fuse(
        det_file=args.detections,
        cls_file=args.predictions,
        ann_file=args.ann_file,
        c=args.c,
        k=args.k,
        out_file=args.out,
        reverse=args.reverse,
        sweep=args.sweep,
        c_grid=args.c_grid,
        k_grid=args.k_grid,
        classes=args.classes,
        num_bootstrap=args.num_bootstrap,
        rule_out=args.rule_out,
        rule=args.rule)
    outputs = dict(fused=args.out, rule=args.rule_out)
    print_summary(
        JobSummary(
            'fuse',
            notes=result['report'].splitlines(),
            outputs={
                k: v
                for k, v in outputs.items() if v
            }))


if __name__ == '__main__':
    main()
