"""Build and write single-frame DX/CR radiographs as DICOM files.

Used by the synthetic phantom and by tests that need DICOM inputs with a
given photometric interpretation, bit depth, VOI module or transfer syntax.
Free of torch and mmdet so that preprocessing workers can import it.
"""
import copy
import os
import os.path as osp
from typing import Optional, Tuple

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import (PYDICOM_IMPLEMENTATION_UID, UID,
                         ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         JPEG2000Lossless, JPEGLSLossless, RLELossless,
                         generate_uid)

#: Storage SOP classes by modality.
DX_IMAGE_STORAGE = UID('1.2.840.10008.5.1.4.1.1.1.1')  # for presentation
CR_IMAGE_STORAGE = UID('1.2.840.10008.5.1.4.1.1.1')

#: Transfer syntaxes whose pixel data is written as raw little-endian words.
UNCOMPRESSED_SYNTAXES = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)

#: Lossless compressed syntaxes and their encoding plugins, in order of
#: preference: pylibjpeg's RLE encoder is about 50 times faster than
#: pydicom's native one, which remains the fallback.
LOSSLESS_SYNTAXES = {
    RLELossless: ('pylibjpeg', 'pydicom'),
    JPEG2000Lossless: ('pylibjpeg', ),
    JPEGLSLossless: ('pyjpegls', 'gdcm'),
}


def _encoding_plugin(uid: UID) -> str:
    """The preferred installed plugin for ``uid``; '' lets pydicom choose."""
    from pydicom.pixels import get_encoder
    available = get_encoder(uid).available_plugins
    return next((p for p in LOSSLESS_SYNTAXES[uid] if p in available), '')


_PHOTOMETRICS = ('MONOCHROME1', 'MONOCHROME2')


def available_transfer_syntaxes() -> Tuple[UID, ...]:
    """Return the transfer syntaxes :func:`build_dataset` can write here.

    Compressed syntaxes are listed only when an encoder for them is
    installed (JPEG-LS needs ``pyjpegls``, for instance).
    """
    from pydicom.pixels import get_encoder
    syntaxes = list(UNCOMPRESSED_SYNTAXES)
    for uid in LOSSLESS_SYNTAXES:
        try:
            if get_encoder(uid).is_available:
                syntaxes.append(uid)
        except NotImplementedError:
            continue
    return tuple(syntaxes)


def _voi_lut_item(lut: np.ndarray) -> Dataset:
    """Make a VOI LUT Sequence item from LUT data mapping stored value 0.

    The descriptor's bit depth is derived from the largest entry; 8 bits is
    avoided because readers disagree on how 8-bit entries are packed in OW.
    """
    lut = np.asarray(lut)
    if lut.ndim != 1 or not 1 < lut.size <= 2**16:
        raise ValueError('voi_lut must be 1D with 2 to 65536 entries, got '
                         f'shape {lut.shape}')
    if lut.min() < 0 or lut.max() >= 2**16:
        raise ValueError('voi_lut entries must lie in [0, 65535]')
    bits = int(min(16, max(10, int(lut.max()).bit_length())))
    item = Dataset()
    # 65536 entries are written as 0 (PS3.3 C.11.2.1.1).
    item.LUTDescriptor = [lut.size % 2**16, 0, bits]
    item['LUTDescriptor'].VR = 'US'
    item.LUTExplanation = 'phantom VOI LUT'
    # OW, not US: an Explicit VR US element cannot hold more than 32767
    # entries.
    item.add_new('LUTData', 'OW', lut.astype('<u2').tobytes())
    return item


def _check_stored(stored: np.ndarray, bits_stored: int,
                  pixel_representation: int) -> np.ndarray:
    """Validate the stored pixel array and return it in the matching dtype."""
    stored = np.asarray(stored)
    if stored.ndim != 2:
        raise ValueError('stored must be a 2D single-frame array, got shape '
                         f'{stored.shape}')
    if not np.issubdtype(stored.dtype, np.integer):
        raise TypeError(f'stored must be integer, got {stored.dtype}')
    if not 8 <= bits_stored <= 16:
        raise ValueError(f'bits_stored must be in [8, 16], got {bits_stored}')
    if pixel_representation == 0:
        lo, hi, dtype = 0, 2**bits_stored - 1, np.uint16
    elif pixel_representation == 1:
        lo, hi = -2**(bits_stored - 1), 2**(bits_stored - 1) - 1
        dtype = np.int16
    else:
        raise ValueError('pixel_representation must be 0 or 1, got '
                         f'{pixel_representation}')
    if stored.size and (stored.min() < lo or stored.max() > hi):
        raise ValueError(
            f'stored values [{stored.min()}, {stored.max()}] do not fit '
            f'{bits_stored} bits stored (pixel representation '
            f'{pixel_representation}): expected [{lo}, {hi}]')
    return np.ascontiguousarray(stored.astype(dtype, copy=False))


def build_dataset(stored: np.ndarray,
                  *,
                  photometric: str = 'MONOCHROME2',
                  bits_stored: int = 12,
                  pixel_representation: int = 0,
                  rescale: Optional[Tuple[float, float]] = None,
                  window: Optional[Tuple[float, float]] = None,
                  voi_lut: Optional[np.ndarray] = None,
                  pixel_spacing: Tuple[float, float] = (0.15, 0.15),
                  transfer_syntax: str = ExplicitVRLittleEndian,
                  **tags) -> FileDataset:
    """Build a valid single-frame DX (or CR) radiograph dataset.

    Args:
        stored (np.ndarray): Stored pixel values, 2D, rows x columns; must
            fit ``bits_stored`` with the given pixel representation.
        photometric (str): 'MONOCHROME1' (high = dark) or 'MONOCHROME2'.
        bits_stored (int): Bits stored (8 to 16); bits allocated is 16.
        pixel_representation (int): 0 unsigned, 1 two's complement.
        rescale (tuple[float, float], optional): (slope, intercept) of the
            modality LUT. Omitted from the dataset when None.
        window (tuple[float, float], optional): (center, width) of the VOI
            window. Omitted when None.
        voi_lut (np.ndarray, optional): Entries of one VOI LUT Sequence item
            whose first mapped stored value is 0; the descriptor is derived.
        pixel_spacing (tuple[float, float]): (row, column) spacing in mm,
            written as Pixel Spacing and Imager Pixel Spacing.
        transfer_syntax (str): Transfer syntax UID. Lossless compressed
            syntaxes (RLE, JPEG 2000, JPEG-LS) encode the pixels when an
            encoder is installed; see :func:`available_transfer_syntaxes`.
        **tags: Further elements by keyword, e.g. ``PatientID='x'``; they
            override the defaults, including the UIDs. ``Modality='CR'``
            selects the CR Image Storage SOP class.

    Returns:
        pydicom.FileDataset: The dataset with file meta information, ready
        for :func:`write_dicom`.
    """
    transfer_syntax = UID(transfer_syntax)
    if photometric not in _PHOTOMETRICS:
        raise ValueError(f'photometric must be one of {_PHOTOMETRICS}, got '
                         f'{photometric!r}')
    if (transfer_syntax not in UNCOMPRESSED_SYNTAXES
            and transfer_syntax not in LOSSLESS_SYNTAXES):
        raise ValueError(f'unsupported transfer syntax {transfer_syntax} '
                         f'({transfer_syntax.name})')
    stored = _check_stored(stored, bits_stored, pixel_representation)
    rows, cols = stored.shape

    modality = tags.get('Modality', 'DX')
    sop_class = CR_IMAGE_STORAGE if modality == 'CR' else DX_IMAGE_STORAGE
    sop_instance = tags.get('SOPInstanceUID') or generate_uid()

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = 'MMSPINE'

    ds = FileDataset('', Dataset(), file_meta=meta, preamble=b'\0' * 128)
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.ImageType = ['ORIGINAL', 'PRIMARY']
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    # Fixed dates keep files reproducible; callers may override them.
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = '20200101'
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = '120000'
    ds.AccessionNumber = ''
    ds.Modality = modality
    ds.PresentationIntentType = 'FOR PRESENTATION'
    ds.Manufacturer = 'mmspine phantom'
    ds.ReferringPhysicianName = ''
    ds.PatientName = 'Anonymous'
    ds.PatientID = 'anonymous'
    ds.PatientBirthDate = ''
    ds.PatientSex = 'O'
    ds.BodyPartExamined = 'SPINE'
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyID = '1'
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ''
    ds.PixelSpacing = [float(v) for v in pixel_spacing]
    ds.ImagerPixelSpacing = [float(v) for v in pixel_spacing]

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = pixel_representation
    ds.PixelIntensityRelationship = 'LOG'
    ds.PixelIntensityRelationshipSign = (1 if photometric == 'MONOCHROME2' else
                                         -1)
    if rescale is not None:
        ds.RescaleSlope = float(rescale[0])
        ds.RescaleIntercept = float(rescale[1])
        ds.RescaleType = 'US'
    if window is not None:
        ds.WindowCenter = float(window[0])
        ds.WindowWidth = float(window[1])
    if voi_lut is not None:
        ds.VOILUTSequence = [_voi_lut_item(voi_lut)]

    for keyword, value in tags.items():
        setattr(ds, keyword, value)

    if transfer_syntax in UNCOMPRESSED_SYNTAXES:
        ds.PixelData = stored.astype(stored.dtype.newbyteorder('<')).tobytes()
        ds['PixelData'].VR = 'OW'
    else:
        ds.compress(
            transfer_syntax,
            stored,
            encoding_plugin=_encoding_plugin(transfer_syntax),
            generate_instance_uid=False)
        # Pixels are exactly preserved, so no Lossy Image Compression flag.
        ds.LossyImageCompression = '00'
    return ds


def write_dicom(path: str, ds: FileDataset) -> None:
    """Write ``ds`` as a DICOM Part 10 file, creating parent directories.

    Args:
        path (str): Output file path.
        ds (pydicom.FileDataset): Dataset with file meta information, as
            built by :func:`build_dataset`.
    """
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def write_legacy_dicom(path: str,
                       ds: FileDataset,
                       implicit_vr: bool = True) -> None:
    """Write ``ds`` as a legacy file: no preamble, no 'DICM', no file meta.

    What ACR-NEMA era and some old CR exports look like: the data set
    alone, little endian. Only uncompressed pixel data can be written this
    way (there is no transfer syntax to name a compression). A copy of
    ``ds`` is written; ``ds`` is left as it is.

    Args:
        path (str): Output file path.
        ds (pydicom.FileDataset): Dataset with uncompressed pixel data.
        implicit_vr (bool): Implicit VR (the usual legacy encoding) or
            explicit VR.
    """
    if ds.file_meta.get('TransferSyntaxUID') not in UNCOMPRESSED_SYNTAXES:
        raise ValueError('a legacy file needs uncompressed pixel data')
    legacy = copy.deepcopy(ds)
    legacy.preamble = None
    legacy.file_meta = FileMetaDataset()
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)
    legacy.save_as(
        path,
        implicit_vr=implicit_vr,
        little_endian=True,
        enforce_file_format=False)


__all__ = [
    'write_legacy_dicom', 'build_dataset', 'write_dicom',
    'available_transfer_syntaxes', 'DX_IMAGE_STORAGE', 'CR_IMAGE_STORAGE',
    'LOSSLESS_SYNTAXES', 'UNCOMPRESSED_SYNTAXES'
]
