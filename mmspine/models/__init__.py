from .backbones import MonaiDenseNet
from .classifiers import SpineLesionClassifier
from .heads import SpineLesionClsHead
from .roi_heads import AmpSafeDIIHead, NMSSparseRoIHead

__all__ = [
    'AmpSafeDIIHead', 'MonaiDenseNet', 'NMSSparseRoIHead',
    'SpineLesionClassifier', 'SpineLesionClsHead'
]
