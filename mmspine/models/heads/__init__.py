from .spine_lesion_cls_head import SpineLesionClsHead

__all__ = ['SpineLesionClsHead']
