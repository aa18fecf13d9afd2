"""Ensemble classifiers' saved predictions (mean logit, then sigmoid)."""
import argparse

from mmspine.fusion import ensemble_classifiers


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'predictions',
        nargs='+',
        help='predictions.csv files written by tools/test.py')
    parser.add_argument(
        '--out-dir', help='write the ensemble predictions.csv and roc.png')
    parser.add_argument(
        '--threshold',
        type=float,
        help='fixed operating threshold (default: Youden)')
    parser.add_argument(
        '--num-bootstrap', type=int, default=10000, help='CI resamples')
    parser.add_argument('--seed', type=int, default=0, help='CI seed')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    _, table = ensemble_classifiers(args.predictions, args.out_dir,
                                    args.threshold, args.num_bootstrap,
                                    args.seed)
    print(table)


if __name__ == '__main__':
    main()
