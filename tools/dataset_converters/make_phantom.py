"""Write a synthetic VinDr-SpineXR-like data set (DICOMs and CSVs)."""
import argparse
import time

from mmspine.jobs import (JobSummary, add_phantom_args, job_parser,
                          print_summary)
from mmspine.phantom import make_phantom


def parse_args() -> argparse.Namespace:
    parser = job_parser(
        'Write OUT_DIR/{train,test}_images/*.dicom and '
        'OUT_DIR/annotations/{train,test}.csv in the VinDr-SpineXR layout')
    parser.add_argument('out_dir', help='output root')
    add_phantom_args(parser, num_train=100, num_test=40, workers=1)
    parser.add_argument(
        '--size',
        type=int,
        default=None,
        help='long image side in pixels (default 2500, as real images)')
    return parser.parse_args()


def main():
    args = parse_args()
    start = time.perf_counter()
    summary = JobSummary('make_phantom', outputs=dict(data=args.out_dir))
    splits = make_phantom(
        args.out_dir,
        num_train=args.num_train,
        num_test=args.num_test,
        seed=args.seed,
        size=args.size,
        workers=args.workers)
    for split, rows in splits.items():
        images = len({r['image_id'] for r in rows})
        boxes = sum(1 for r in rows if r['xmin'])
        summary.notes.append(f'{split}: {images} images, {boxes} boxes')
    summary.notes.append(f'done in {time.perf_counter() - start:.1f} s')
    print_summary(summary)


if __name__ == '__main__':
    main()
