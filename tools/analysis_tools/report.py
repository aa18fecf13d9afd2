"""Write a self-contained HTML evaluation report of a detection run.

Figures are embedded in the file; it opens offline in any browser.
"""
import argparse

from mmspine.annotations import dataset_stats
from mmspine.cli import add_classes_option
from mmspine.jobs import JobSummary, print_summary
from mmspine.thresholds import OPERATING_SCORE_THR
from mmspine.visualization.report import DEFAULT_PAPER_ROWS, write_report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'predictions',
        help='tools/test.py --out pickle, COCO results JSON, or '
        'tools/infer.py findings (JSON or CSV)')
    parser.add_argument('ann_file', help='COCO ground truth of the split')
    parser.add_argument('--out', default='report.html', help='HTML file')
    parser.add_argument(
        '--image-root',
        help='images of the split (default: <data root>/<split>_images)')
    parser.add_argument(
        '--cls-predictions', help='classifier predictions CSV: adds the ROC')
    parser.add_argument(
        '--sweep',
        action='store_true',
        help='with --cls-predictions: decision-rule c x k heat map')
    parser.add_argument(
        '--dataset-stats',
        nargs='+',
        metavar='FILE',
        help='VinDr CSVs or COCO JSONs, one per split: adds data set '
        'statistics')
    parser.add_argument('--config', help='config of the run (run facts)')
    parser.add_argument(
        '--checkpoint', help='checkpoint of the run (hashed for the facts)')
    parser.add_argument(
        '--no-paper',
        action='store_true',
        help="leave out the paper's AP@0.5 columns")
    parser.add_argument(
        '--score-thr',
        type=float,
        default=OPERATING_SCORE_THR,
        help='operating score of the confusion matrix and gallery '
        f'(default {OPERATING_SCORE_THR})')
    add_classes_option(parser)
    parser.add_argument(
        '--gallery-size', type=int, default=12, help='thumbnails per kind')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    stats = dataset_stats(args.dataset_stats) if args.dataset_stats else None
    report = write_report(
        args.out,
        args.predictions,
        args.ann_file,
        image_root=args.image_root,
        cls_predictions=args.cls_predictions,
        sweep=args.sweep,
        stats=stats,
        config=args.config,
        checkpoint=args.checkpoint,
        paper_rows=() if args.no_paper else DEFAULT_PAPER_ROWS,
        score_thr=args.score_thr,
        gallery_size=args.gallery_size,
        classes=args.classes)
    print_summary(
        JobSummary(
            'report',
            notes=[
                f'mAP@0.5 {report.metrics["bbox_mAP_50"]:.4f}, FROC '
                'sensitivity at 1 FP/image '
                f'{report.metrics["froc_sens@1fp"]:.4f}',
                f'report written to {args.out}'
            ]))


if __name__ == '__main__':
    main()
