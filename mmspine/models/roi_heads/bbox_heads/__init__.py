from .amp_safe_dii_head import AmpSafeDIIHead

__all__ = ['AmpSafeDIIHead']
