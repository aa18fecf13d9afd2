"""DICOM reading, writing and conversion; free of torch and mmdet."""
from .writer import (available_transfer_syntaxes, build_dataset, write_dicom,
                     write_legacy_dicom)

__all__ = [
    'build_dataset', 'write_dicom', 'write_legacy_dicom',
    'available_transfer_syntaxes'
]
# Conversion (section 1) and metadata (section 2).
from .convert import convert_folder  # noqa
from .convert import (DicomPixels, convert_file, dicom_to_uint8, is_forced,
                      read_dataset, read_dicom)
from .metadata import parse_folder_metadata  # noqa
from .voi import PIXEL_MODES, PixelResult, to_uint8  # noqa

__all__ += [
    'convert_folder', 'convert_file', 'dicom_to_uint8', 'DicomPixels',
    'read_dataset', 'read_dicom', 'is_forced', 'parse_folder_metadata',
    'to_uint8', 'PixelResult', 'PIXEL_MODES'
]
