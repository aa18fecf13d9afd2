from .spinexr_cls_metric import SpineXRClsMetric
from .spinexr_metric import SPINEXR_IOU_THRS, SpineXRMetric

__all__ = ['SPINEXR_IOU_THRS', 'SpineXRClsMetric', 'SpineXRMetric']
