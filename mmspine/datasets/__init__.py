from .spinexr import SpineXRDataset

__all__ = ['SpineXRDataset']
