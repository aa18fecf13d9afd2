"""Findings from radiographs: detectors (WBF), optional classifiers and the
decision rule; writes findings.json, findings.csv, overlays and DICOM SRs.

Exit code 0 when every input is done, 1 when an input failed, 3 when none
failed but an input is partial: its findings are in findings.json and
findings.csv, its overlay or SR could not be written (infer_report.csv
says why)."""
import argparse
import sys

from mmspine.apis import SpineInferencer, add_config_options, infer_to_dir
from mmspine.fusion import WBF_IOU_THR, WBF_SKIP_BOX_THR
from mmspine.jobs import print_summary
from mmspine.thresholds import (FINDINGS_SCORE_THR, OVERLAY_SCORE_THR, RULE_C,
                                RULE_K)
from mmspine.utils.precision import PRECISIONS


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='INPUT',
        help='DICOM or PNG/JPG files, or folders (searched recursively)')
    parser.add_argument(
        '--det',
        nargs=2,
        action='append',
        required=True,
        metavar=('CONFIG', 'CKPT'),
        help='a detector; repeat for an ensemble fused by WBF')
    parser.add_argument(
        '--cls',
        nargs=2,
        action='append',
        default=[],
        metavar=('CONFIG', 'CKPT'),
        help='an abnormal-vs-normal classifier; repeat for an ensemble')
    parser.add_argument(
        '--rule', help='JSON with c and k (tools/fuse.py --rule-out)')
    parser.add_argument(
        '--c', type=float, help=f'classifier threshold (default {RULE_C})')
    parser.add_argument(
        '--k',
        type=float,
        help=f'box score kept on images called normal (default {RULE_K})')
    parser.add_argument(
        '--tta', action='store_true', help='also infer flipped images')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=FINDINGS_SCORE_THR,
        help=f'drop findings scoring lower (default {FINDINGS_SCORE_THR})')
    parser.add_argument('--wbf-weights', type=float, nargs='+')
    parser.add_argument('--wbf-iou-thr', type=float, default=WBF_IOU_THR)
    parser.add_argument(
        '--wbf-skip-box-thr', type=float, default=WBF_SKIP_BOX_THR)
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
    # for every model config, e.g. --cfg-options preprocess.max_size=512
    add_config_options(parser)
    parser.add_argument('--device', default='cpu')
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
        '--precision',
        choices=PRECISIONS,
        default='auto',
        help='auto (default): bf16 where the device computes it natively '
        '(AMX/AVX512-BF16 CPU, CUDA >= 8.0), else fp32; bf16: backbones and '
        'necks under bfloat16 autocast (2.1x end to end on an AMX CPU, '
        'phantom mAP@0.5 within 1e-4, see benchmarks/README.md)')
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
        detectors=args.det,
        classifiers=args.cls,
        device=args.device,
        rule=args.rule,
        c=args.c,
        k=args.k,
        tta=args.tta,
        score_thr=args.score_thr,
        wbf_weights=args.wbf_weights,
        wbf_iou_thr=args.wbf_iou_thr,
        wbf_skip_box_thr=args.wbf_skip_box_thr,
        batch_size=args.batch_size,
        cfg_options=args.cfg_options,
        precision=args.precision,
        speed=dict(
            fuse_bn=not args.no_fuse_bn,
            channels_last=not args.no_channels_last,
            compile=args.compile,
            threads=args.threads),
        data_root=args.data_root)
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
