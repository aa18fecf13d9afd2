"""DICOM reading, writing and conversion; free of torch and mmdet."""
from .writer import available_transfer_syntaxes, build_dataset, write_dicom

__all__ = ['build_dataset', 'write_dicom', 'available_transfer_syntaxes']
