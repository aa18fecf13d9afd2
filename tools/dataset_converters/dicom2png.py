"""Convert a folder of DICOM radiographs to 8-bit PNGs.

Writes OUT_DIR/<image_id>.png for every *.dicom / *.dcm under IN_DIR and a
report CSV (OUT_DIR/conversion_report.csv by default) with each file's
status, pixel path and reason. Rerunning skips the PNGs already complete.
Exits with 1 when any file failed. Example:

    python tools/dataset_converters/dicom2png.py \\
        data/spinexr/train_images data/spinexr/train_pngs --workers 8
"""
import argparse
import sys

from mmspine.dicom.convert import convert_folder
from mmspine.dicom.voi import PIXEL_MODES
from mmspine.jobs import add_workers, job_parser, print_summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = job_parser(__doc__)
    parser.add_argument('in_dir', help='folder of DICOM files (recursive)')
    parser.add_argument('out_dir', help='folder for the PNGs')
    add_workers(parser)
    parser.add_argument(
        '--mode',
        default='reference',
        choices=sorted(PIXEL_MODES),
        help='pixel mode; reference reproduces the VinDr-SpineXR '
        'preprocessing bit for bit (see mmspine/dicom/voi.py)')
    parser.add_argument(
        '--max-size',
        type=int,
        default=None,
        help='downscale so that the longer side is at most this many '
        'pixels; the scale is recorded in the report')
    parser.add_argument(
        '--report', help='report CSV (default OUT_DIR/conversion_report.csv)')
    parser.add_argument(
        '--no-resume',
        action='store_true',
        help='convert every file again, even when its PNG is complete')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return print_summary(
        convert_folder(
            args.in_dir,
            args.out_dir,
            workers=args.workers,
            mode=args.mode,
            max_size=args.max_size,
            report=args.report,
            resume=not args.no_resume))


if __name__ == '__main__':
    sys.exit(main())
