from .roi_heads import NMSSparseRoIHead

__all__ = ['NMSSparseRoIHead']
