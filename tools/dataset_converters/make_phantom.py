"""Write a synthetic VinDr-SpineXR-like data set (DICOMs and CSVs).

By default OUT_DIR gets {train,test}_images/*.dicom and
annotations/{train,test}.csv, the VinDr-SpineXR layout, for the data
preparation steps of the README. With --prepare it is also run through
them, as `make demo` does: the DICOMs go to OUT_DIR/dicom/, the PNGs
(--max-size) to OUT_DIR/{train,test}_images/, and OUT_DIR/annotations/ gets
train.json, val.json (--val-fraction of the training studies, by study),
test.json, cls_train.csv, cls_val.csv, test.csv and split.json: the files
the dataset bases read. Example, the phantom configs' data_root:

    python tools/dataset_converters/make_phantom.py data/phantom \\
        --num-train 267 --num-test 60 --size 640 --prepare --max-size 512
"""
import argparse
import time

from mmspine.annotations import DEFAULT_VAL_FRACTION
from mmspine.jobs import (JobSummary, add_phantom_args, job_parser,
                          print_summary)
from mmspine.phantom import make_phantom, prepare_phantom_dataset


def parse_args() -> argparse.Namespace:
    parser = job_parser(__doc__)
    parser.add_argument('out_dir', help='output root')
    add_phantom_args(parser, num_train=100, num_test=40, workers=1)
    parser.add_argument(
        '--size',
        type=int,
        default=None,
        help='long image side in pixels (default 2500, as real images)')
    parser.add_argument(
        '--prepare',
        action='store_true',
        help='also convert to PNG and COCO, with a validation split')
    parser.add_argument(
        '--max-size',
        type=int,
        default=None,
        help='--prepare: long side of the PNGs (default: that of the DICOMs)')
    parser.add_argument(
        '--val-fraction',
        type=float,
        default=DEFAULT_VAL_FRACTION,
        help='--prepare: share of the training studies in val.json '
        f'(default {DEFAULT_VAL_FRACTION}; 0: no val split)')
    parser.add_argument(
        '--val-seed', type=int, default=0, help='--prepare: seed of the split')
    args = parser.parse_args()
    if not 0 <= args.val_fraction < 1:
        parser.error(f'--val-fraction must be in [0, 1), got '
                     f'{args.val_fraction}')
    return args


def main() -> int:
    args = parse_args()
    start = time.perf_counter()
    summary = JobSummary('make_phantom', outputs=dict(data=args.out_dir))
    common = dict(
        num_train=args.num_train,
        num_test=args.num_test,
        seed=args.seed,
        size=args.size,
        workers=args.workers)
    if args.prepare:
        summaries = prepare_phantom_dataset(
            args.out_dir,
            max_size=args.max_size,
            val_fraction=args.val_fraction,
            val_seed=args.val_seed,
            **common)
        for split, done in summaries.items():
            summary.notes.append(f'{split}:')
            summary.notes.extend(f'  {line}'
                                 for line in done['coco'].format().split('\n'))
    else:
        for split, rows in make_phantom(args.out_dir, **common).items():
            images = len({r['image_id'] for r in rows})
            boxes = sum(1 for r in rows if r['xmin'])
            summary.notes.append(f'{split}: {images} images, {boxes} boxes')
    summary.notes.append(f'done in {time.perf_counter() - start:.1f} s')
    return print_summary(summary)


if __name__ == '__main__':
    raise SystemExit(main())
