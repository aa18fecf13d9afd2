from .backbones import MonaiDenseNet
from .classifiers import SpineLesionClassifier
from .heads import SpineLesionClsHead
from .roi_heads import NMSSparseRoIHead

__all__ = [
    'MonaiDenseNet', 'NMSSparseRoIHead', 'SpineLesionClassifier',
    'SpineLesionClsHead'
]
