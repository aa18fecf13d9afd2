from .bbox_heads import AmpSafeDIIHead
from .nms_sparse_roi_head import NMSSparseRoIHead
from .roi_extractors import AmpSafeRoIExtractor

__all__ = ['AmpSafeDIIHead', 'AmpSafeRoIExtractor', 'NMSSparseRoIHead']
