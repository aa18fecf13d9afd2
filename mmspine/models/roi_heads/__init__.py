from .nms_sparse_roi_head import NMSSparseRoIHead

__all__ = ['NMSSparseRoIHead']
