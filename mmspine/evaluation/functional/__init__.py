from .binary_classification import (PREDICTION_COLUMNS, THRESHOLD_METRICS,
                                    binary_cls_metrics, bootstrap_counts,
                                    check_binary_labels, format_cls_metrics,
                                    load_cls_predictions, metrics_at_threshold,
                                    plot_roc, save_cls_predictions,
                                    weighted_auroc, weighted_threshold_metrics,
                                    youden_threshold)
from .coco_ap import (RECALL_POINTS, SPINEXR_IOU_THRS, as_coco, box_ap_metrics,
                      box_ap_table, coco_box_ap, coco_box_eval)
from .confusion import detection_confusion_matrix
from .froc import (FROC_FP_GRID, FROC_REPORT_FPS, FROCCurve, ImageBoxes,
                   box_iou, coco_to_image_boxes, froc_analysis, froc_curve,
                   froc_metrics, greedy_match, match_all, sensitivity_at)
from .roc_band import roc_with_band

__all__ = [
    'PREDICTION_COLUMNS', 'SPINEXR_IOU_THRS', 'THRESHOLD_METRICS',
    'binary_cls_metrics', 'box_ap_metrics', 'box_ap_table', 'coco_box_ap',
    'coco_box_eval', 'bootstrap_counts', 'check_binary_labels',
    'format_cls_metrics', 'load_cls_predictions', 'metrics_at_threshold',
    'plot_roc', 'save_cls_predictions', 'weighted_auroc',
    'weighted_threshold_metrics', 'youden_threshold'
]
# FROC, confusion matrix and PR curves (the evaluation report)
__all__ += [
    'FROC_FP_GRID', 'FROC_REPORT_FPS', 'FROCCurve', 'ImageBoxes',
    'RECALL_POINTS', 'as_coco', 'box_iou', 'coco_to_image_boxes',
    'detection_confusion_matrix', 'froc_analysis', 'froc_curve',
    'froc_metrics', 'greedy_match', 'match_all', 'roc_with_band',
    'sensitivity_at'
]
