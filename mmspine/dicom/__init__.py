"""DICOM reading, writing and conversion; free of torch and mmdet."""
from .writer import (available_transfer_syntaxes, build_dataset, write_dicom,
                     write_legacy_dicom)

__all__ = [
    'build_dataset', 'write_dicom', 'write_legacy_dicom',
    'available_transfer_syntaxes'
]
# Conversion (section 1) and metadata (section 2).
from .batch import DICOM_EXTENSIONS  # noqa
from .convert import convert_folder  # noqa
from .convert import (DicomPixels, InputError, convert_file, dataset_to_uint8,
                      dicom_to_uint8, is_forced, read_dataset, read_dicom)
from .metadata import parse_folder_metadata  # noqa
from .voi import PIXEL_MODES, PixelError, PixelResult, to_uint8  # noqa

__all__ += [
    'DICOM_EXTENSIONS', 'convert_folder', 'convert_file', 'dataset_to_uint8',
    'dicom_to_uint8', 'DicomPixels', 'InputError', 'read_dataset',
    'read_dicom', 'is_forced', 'parse_folder_metadata', 'to_uint8',
    'PixelError', 'PixelResult', 'PIXEL_MODES'
]
