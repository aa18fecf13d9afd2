from .metrics import SPINEXR_IOU_THRS, SpineXRMetric

__all__ = ['SPINEXR_IOU_THRS', 'SpineXRMetric']
