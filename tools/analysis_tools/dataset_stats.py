"""Statistics of a data set from VinDr CSVs or COCO JSONs, one per split.

Prints boxes per lesion type and split, images, the No-finding share, boxes
per image, image sizes and rare types; with --out-dir also saves figures.
"""
import argparse
import os
import os.path as osp

from mmspine.annotations import dataset_stats, format_dataset_stats
from mmspine.visualization import plot_dataset_stats


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'files', nargs='+', help='annotation CSVs or COCO JSONs')
    parser.add_argument(
        '--names', nargs='+', help='split names (default: file stems)')
    parser.add_argument('--out-dir', help='save the figures here as PNG')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    stats = dataset_stats(args.files, args.names)
    print(format_dataset_stats(stats))
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        for name, fig in plot_dataset_stats(stats).items():
            path = osp.join(args.out_dir, f'{name}.png')
            fig.savefig(path, bbox_inches='tight')
            print(f'saved {path}')


if __name__ == '__main__':
    main()
