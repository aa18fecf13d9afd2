"""Convert a VinDr-SpineXR annotation CSV to a COCO JSON.

For the training CSV it also carves out a validation split, by study and
stratified by lesion class and No finding (--val-fraction, default 0.1;
--val-seed): OUT_JSON then holds the train part only, and the same folder
gets val.json (the val part; its images stay in the training image
folder), cls_train.csv and cls_val.csv (the CSV rows of each part, for the
classifier) and split.json (fraction, seed, val studies and images,
counts per class and side). Convert the test CSV with --val-fraction 0,
as any split you bring yourself.

Image sizes come from the metadata CSV (original DICOM size), from the PNG
folder (converted size), or both; give both when the PNGs were downscaled
so that boxes are scaled to them. The conversion report of dicom2png.py
(conversion_report.csv) gives both sizes by itself, and the images it
lists as failed are unknown images. Example:

    python tools/dataset_converters/spinexr2coco.py \\
        data/spinexr/annotations/train.csv \\
        data/spinexr/annotations/train.json \\
        --meta-csv data/spinexr/meta_train.csv \\
        --image-dir data/spinexr/train_images \\
        --val-fraction 0.1 --val-seed 0
    python tools/dataset_converters/spinexr2coco.py \\
        data/spinexr/annotations/test.csv \\
        data/spinexr/annotations/test.json \\
        --meta-csv data/spinexr/meta_test.csv \\
        --image-dir data/spinexr/test_images --val-fraction 0

To train straight from the DICOMs (LoadSpineDICOM), point file_name at them
and take the sizes from the metadata CSV (with --max-size when the loader
downscales):

    python tools/dataset_converters/spinexr2coco.py \\
        data/vindr-spinexr/annotations/train.csv \\
        data/vindr-spinexr/annotations/train.json \\
        --meta-csv data/spinexr/meta_train.csv --img-suffix .dicom
"""
import argparse
import sys

from mmspine.annotations import (DEFAULT_VAL_FRACTION, MIN_BOX_SIZE,
                                 AnnotationCSVError, convert_spinexr_to_coco,
                                 convert_with_val_split)
from mmspine.jobs import job_parser, print_summary


def parse_args() -> argparse.Namespace:
    parser = job_parser(__doc__)
    parser.add_argument('csv', help='annotation CSV of one split')
    parser.add_argument('out_json', help='COCO JSON to write')
    parser.add_argument(
        '--meta-csv',
        help='metadata CSV of parse_dicom_meta.py (image_id, rows, '
        'columns: DICOM size) or conversion report of dicom2png.py (also '
        'out_rows, out_columns: PNG size; failed files are unknown images)')
    parser.add_argument(
        '--image-dir', help='folder of <image_id>.png, read for their sizes')
    parser.add_argument(
        '--fold-rare',
        action='store_true',
        help='write the six rare lesion types as "Other lesions" instead of '
        'dropping them')
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='skip malformed rows and unknown images instead of failing')
    parser.add_argument(
        '--min-box-size',
        type=float,
        default=MIN_BOX_SIZE,
        help='drop boxes narrower or lower than this, in PNG pixels')
    parser.add_argument(
        '--img-suffix',
        default='.png',
        help='file_name is <image_id><suffix>; .dicom to read the DICOMs')
    parser.add_argument(
        '--max-size',
        type=int,
        default=None,
        help='longest image side of LoadSpineDICOM(max_size=...): sizes '
        'and boxes are scaled to it (when no PNG gives the size)')
    parser.add_argument(
        '--val-fraction',
        type=float,
        default=DEFAULT_VAL_FRACTION,
        help='share of the studies that go to the validation split '
        f'(default {DEFAULT_VAL_FRACTION}); 0 writes OUT_JSON only, as for '
        'the test CSV')
    parser.add_argument(
        '--val-seed', type=int, default=0, help='seed of the split')
    parser.add_argument(
        '--val-out',
        help='COCO JSON of the val part (default: val.json beside OUT_JSON)')
    args = parser.parse_args()
    if not 0 <= args.val_fraction < 1:
        parser.error(f'--val-fraction must be in [0, 1), got '
                     f'{args.val_fraction}')
    if args.meta_csv is None and args.image_dir is None:
        parser.error('give --meta-csv, --image-dir or both')
    return args


def main() -> int:
    args = parse_args()
    try:
        options = dict(
            meta_csv=args.meta_csv,
            image_dir=args.image_dir,
            fold_rare=args.fold_rare,
            skip_invalid=args.skip_invalid,
            min_box_size=args.min_box_size,
            img_suffix=args.img_suffix,
            max_size=args.max_size)
        if args.val_fraction > 0:
            summary = convert_with_val_split(
                args.csv,
                args.out_json,
                val_fraction=args.val_fraction,
                val_seed=args.val_seed,
                val_out=args.val_out,
                **options)
        else:
            summary = convert_spinexr_to_coco(args.csv, args.out_json,
                                              **options)
    except (AnnotationCSVError, ValueError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return print_summary(summary)


if __name__ == '__main__':
    sys.exit(main())
