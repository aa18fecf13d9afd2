"""Metrics (registered into mmdet, they import it) and torch-free
functional parts; the metric classes load on first use, so that the fusion
tools import this package without torch."""
from .detections import (ReadDetections, label_cat_ids, read_detections,
                         read_findings_csv)
from .functional import (SPINEXR_IOU_THRS, binary_cls_metrics, coco_box_ap,
                         load_cls_predictions, plot_roc, save_cls_predictions,
                         youden_threshold)

_METRICS = ('SpineXRClsMetric', 'SpineXRMetric')


def __getattr__(name: str):
    if name in _METRICS:
        from . import metrics
        return getattr(metrics, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = [
    'ReadDetections', 'label_cat_ids', 'read_detections', 'read_findings_csv',
    'SPINEXR_IOU_THRS', 'SpineXRClsMetric', 'SpineXRMetric',
    'binary_cls_metrics', 'coco_box_ap', 'load_cls_predictions', 'plot_roc',
    'save_cls_predictions', 'youden_threshold'
]
