from .functional import (binary_cls_metrics, load_cls_predictions, plot_roc,
                         save_cls_predictions, youden_threshold)
from .metrics import SPINEXR_IOU_THRS, SpineXRClsMetric, SpineXRMetric

__all__ = [
    'SPINEXR_IOU_THRS', 'SpineXRClsMetric', 'SpineXRMetric',
    'binary_cls_metrics', 'load_cls_predictions', 'plot_roc',
    'save_cls_predictions', 'youden_threshold'
]
