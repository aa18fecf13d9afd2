"""Collect the header metadata of a folder of DICOM files into a CSV.

One row per file: image_id, patient/study/series/SOP ids, rows, columns,
photometric interpretation, bits, pixel spacing, body part, sex, age,
modality, manufacturer, file size, with a status and reason. Exits with 1
when any file failed. Example:

    python tools/dataset_converters/parse_dicom_meta.py \\
        data/spinexr/train_images data/spinexr/meta_train.csv --workers 8
"""
import argparse
import sys

from mmspine.dicom.metadata import parse_folder_metadata
from mmspine.jobs import add_workers, job_parser, print_summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = job_parser(__doc__)
    parser.add_argument('in_dir', help='folder of DICOM files (recursive)')
    parser.add_argument('out_csv', help='metadata CSV to write')
    add_workers(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return print_summary(
        parse_folder_metadata(args.in_dir, args.out_csv, workers=args.workers))


if __name__ == '__main__':
    sys.exit(main())
