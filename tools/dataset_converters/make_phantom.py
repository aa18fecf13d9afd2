"""Write a synthetic VinDr-SpineXR-like data set (DICOMs and CSVs)."""
import argparse
import time

from mmspine.phantom import make_phantom


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write OUT_DIR/{train,test}_images/*.dicom and '
        'OUT_DIR/annotations/{train,test}.csv in the VinDr-SpineXR layout')
    parser.add_argument('out_dir', help='output root')
    parser.add_argument('--num-train', type=int, default=100)
    parser.add_argument('--num-test', type=int, default=40)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--size',
        type=int,
        default=None,
        help='long image side in pixels (default 2500, as real images)')
    parser.add_argument('--workers', type=int, default=1)
    return parser.parse_args()


def main():
    args = parse_args()
    start = time.perf_counter()
    rows = make_phantom(
        args.out_dir,
        args.num_train,
        args.num_test,
        seed=args.seed,
        size=args.size,
        workers=args.workers)
    for split, split_rows in rows.items():
        images = len({r['image_id'] for r in split_rows})
        boxes = sum(1 for r in split_rows if r['xmin'])
        print(f'{split}: {images} images, {boxes} boxes')
    print(f'done in {time.perf_counter() - start:.1f} s: {args.out_dir}')


if __name__ == '__main__':
    main()
