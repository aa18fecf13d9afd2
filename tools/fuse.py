"""Fuse classifier and detector: keep all boxes if p(abnormal) >= c, else
only boxes scoring >= k; print per-class AP@0.5 before and after."""
import argparse

from mmspine.fusion import DEFAULT_C_GRID, DEFAULT_K_GRID, fuse
from mmspine.jobs import JobSummary, call_with_args, print_summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'detections',
        help='detector results: COCO results .json or tools/test.py .pkl')
    parser.add_argument(
        'predictions', help='classifier or ensemble predictions.csv')
    parser.add_argument('ann_file', help='COCO annotations of the images')
    parser.add_argument(
        '--c', type=float, help='classifier threshold (default: Youden)')
    parser.add_argument(
        '--k', type=float, default=0.5, help='box score threshold')
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
    parser.add_argument(
        '--c-grid', type=float, nargs='+', default=DEFAULT_C_GRID)
    parser.add_argument(
        '--k-grid', type=float, nargs='+', default=DEFAULT_K_GRID)
    parser.add_argument(
        '--num-bootstrap', type=int, default=10000, help='CI resamples')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    result = call_with_args(
        fuse,
        args,
        det_file=args.detections,
        cls_file=args.predictions,
        out_file=args.out)
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
