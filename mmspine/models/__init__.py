from .backbones import MonaiDenseNet
from .classifiers import SpineLesionClassifier
from .dense_heads import EfficientDetHead
from .heads import SpineLesionClsHead
from .layers import SeparableConv2d
from .necks import BiFPN
from .roi_heads import AmpSafeDIIHead, AmpSafeRoIExtractor, NMSSparseRoIHead

__all__ = [
    'AmpSafeDIIHead', 'AmpSafeRoIExtractor', 'BiFPN', 'EfficientDetHead',
    'MonaiDenseNet', 'NMSSparseRoIHead', 'SeparableConv2d',
    'SpineLesionClassifier', 'SpineLesionClsHead'
]
