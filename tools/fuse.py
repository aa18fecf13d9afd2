"""Fuse classifier and detector: keep all boxes if p(abnormal) >= c, else
only boxes scoring >= k; print per-class AP@0.5 before and after."""
import argparse

from mmspine.fusion import DEFAULT_C_GRID, DEFAULT_K_GRID, fuse


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
    result = fuse(
        args.detections,
        args.predictions,
        args.ann_file,
        c=args.c,
        k=args.k,
        out_file=args.out,
        reverse=args.reverse,
        sweep=args.sweep,
        c_grid=args.c_grid,
        k_grid=args.k_grid,
        num_bootstrap=args.num_bootstrap,
        rule_out=args.rule_out)
    print(result['report'])


if __name__ == '__main__':
    main()
