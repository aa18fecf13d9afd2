from .backbones import MonaiDenseNet
from .classifiers import SpineLesionClassifier
from .heads import SpineLesionClsHead
from .roi_heads import AmpSafeDIIHead, AmpSafeRoIExtractor, NMSSparseRoIHead

__all__ = [
    'AmpSafeDIIHead', 'AmpSafeRoIExtractor', 'MonaiDenseNet',
    'NMSSparseRoIHead', 'SpineLesionClassifier', 'SpineLesionClsHead'
]
