from .bbox_heads import AmpSafeDIIHead
from .nms_sparse_roi_head import NMSSparseRoIHead

__all__ = ['AmpSafeDIIHead', 'NMSSparseRoIHead']
