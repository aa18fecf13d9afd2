from .binary_classification import (PREDICTION_COLUMNS, THRESHOLD_METRICS,
                                    binary_cls_metrics, bootstrap_counts,
                                    check_binary_labels, format_cls_metrics,
                                    load_cls_predictions, metrics_at_threshold,
                                    plot_roc, save_cls_predictions,
                                    weighted_auroc, weighted_threshold_metrics,
                                    youden_threshold)
from .coco_ap import SPINEXR_IOU_THRS, coco_box_ap, load_coco

__all__ = [
    'PREDICTION_COLUMNS', 'SPINEXR_IOU_THRS', 'THRESHOLD_METRICS',
    'binary_cls_metrics', 'coco_box_ap', 'load_coco', 'bootstrap_counts',
    'check_binary_labels', 'format_cls_metrics', 'load_cls_predictions',
    'metrics_at_threshold', 'plot_roc', 'save_cls_predictions',
    'weighted_auroc', 'weighted_threshold_metrics', 'youden_threshold'
]
