from .amp_safe_roi_extractor import AmpSafeRoIExtractor

__all__ = ['AmpSafeRoIExtractor']
