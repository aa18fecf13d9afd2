"""Findings from radiographs: detectors (WBF), optional classifiers and the
decision rule; writes findings.json, findings.csv, overlays and DICOM SRs.

Exit code 0 when every input is done, 1 when an input failed, 3 when none
failed but an input is partial: its findings are in findings.json and
findings.csv, its overlay or SR could not be written (infer_report.csv
says why)."""
import argparse
import sys

from mmspine.apis import SpineInferencer, infer_to_dir
from mmspine.cli import add_model_options, model_kwargs
from mmspine.jobs import print_summary
from mmspine.thresholds import OVERLAY_SCORE_THR


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='INPUT',
        help='DICOM or PNG/JPG files, or folders (searched recursively)')
    add_model_options(parser)
    parser.add_argument('--out-dir', default='work_dirs/infer')
    parser.add_argument(
        '--sr', action='store_true', help='a DICOM SR per DICOM input')
    parser.add_argument(
        '--overlays', action='store_true', help='draw findings per input')
    parser.add_argument(
        '--overlay-score-thr',
        type=float,
        default=OVERLAY_SCORE_THR,
        help='draw findings scoring at least this on the overlays '
        f'(default {OVERLAY_SCORE_THR})')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        help='torch intra-op threads on CPU (1 is fastest on a busy '
        'machine, see benchmarks/README.md)')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile backbones and necks (minutes of compilation '
        'on the first image; pays off for large batches of equal-size '
        'images, see benchmarks/README.md)')
    parser.add_argument(
        '--no-fuse-bn',
        action='store_true',
        help='keep BatchNorm layers apart from the convolutions')
    parser.add_argument(
        '--no-channels-last',
        action='store_true',
        help='keep backbones and necks in NCHW layout')
    parser.add_argument(
        '--no-resume',
        action='store_true',
        help='redo inputs whose outputs are already complete')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    inferencer = SpineInferencer(
        **model_kwargs(args),
        batch_size=args.batch_size,
        speed=dict(
            fuse_bn=not args.no_fuse_bn,
            channels_last=not args.no_channels_last,
            compile=args.compile,
            threads=args.threads))
    return print_summary(
        infer_to_dir(
            inferencer,
            args.inputs,
            args.out_dir,
            overlays=args.overlays,
            sr=args.sr,
            resume=not args.no_resume,
            progress=not args.no_progress,
            overlay_score_thr=args.overlay_score_thr))


if __name__ == '__main__':
    sys.exit(main())
