from .binary_classification import (PREDICTION_COLUMNS, THRESHOLD_METRICS,
                                    binary_cls_metrics, bootstrap_counts,
                                    check_binary_labels, format_cls_metrics,
                                    load_cls_predictions, metrics_at_threshold,
                                    plot_roc, save_cls_predictions,
                                    weighted_auroc, weighted_threshold_metrics,
                                    youden_threshold)

__all__ = [
    'PREDICTION_COLUMNS', 'THRESHOLD_METRICS', 'binary_cls_metrics',
    'bootstrap_counts', 'check_binary_labels', 'format_cls_metrics',
    'load_cls_predictions', 'metrics_at_threshold', 'plot_roc',
    'save_cls_predictions', 'weighted_auroc', 'weighted_threshold_metrics',
    'youden_threshold'
]
