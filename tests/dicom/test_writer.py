import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         JPEG2000Lossless, JPEGLSLossless, RLELossless)

from mmspine.dicom import (available_transfer_syntaxes, build_dataset,
                           write_dicom)
from mmspine.dicom.writer import DX_IMAGE_STORAGE

REQUIRED = ('SOPClassUID', 'SOPInstanceUID', 'StudyInstanceUID',
            'SeriesInstanceUID', 'PatientID', 'Modality', 'Rows', 'Columns',
            'SamplesPerPixel', 'PhotometricInterpretation', 'BitsAllocated',
            'BitsStored', 'HighBit', 'PixelRepresentation', 'PixelSpacing',
            'PixelData')

SYNTAXES = [
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless,
    JPEG2000Lossless, JPEGLSLossless
]


def _stored(bits, signed=False, shape=(48, 32), seed=0):
    rng = np.random.default_rng(seed)
    if signed:
        half = 2**(bits - 1)
        return rng.integers(-half, half, shape).astype(np.int16)
    return rng.integers(0, 2**bits, shape).astype(np.uint16)


def _roundtrip(tmp_path, stored, **kwargs):
    ds = build_dataset(stored, **kwargs)
    path = tmp_path / 'sub' / 'dir' / 'img.dicom'
    write_dicom(str(path), ds)
    return ds, pydicom.dcmread(path)


@pytest.mark.parametrize('syntax', SYNTAXES, ids=lambda s: s.name)
@pytest.mark.parametrize('bits,signed', [(12, False), (14, False), (16, False),
                                         (16, True)])
def test_lossless_roundtrip(tmp_path, syntax, bits, signed):
    if syntax not in available_transfer_syntaxes():
        pytest.skip(f'no encoder for {syntax.name}')
    stored = _stored(bits, signed)
    ds, read = _roundtrip(
        tmp_path,
        stored,
        bits_stored=bits,
        pixel_representation=int(signed),
        transfer_syntax=syntax)
    assert read.file_meta.TransferSyntaxUID == syntax
    assert read.SOPInstanceUID == ds.SOPInstanceUID
    assert read.file_meta.MediaStorageSOPInstanceUID == read.SOPInstanceUID
    pixels = read.pixel_array
    assert pixels.dtype == (np.int16 if signed else np.uint16)
    np.testing.assert_array_equal(pixels, stored)


def test_required_tags_and_defaults(tmp_path):
    stored = _stored(12, shape=(40, 24))
    _, read = _roundtrip(tmp_path, stored, pixel_spacing=(0.1, 0.2))
    for keyword in REQUIRED:
        assert keyword in read, keyword
    assert read.SOPClassUID == DX_IMAGE_STORAGE
    assert read.file_meta.MediaStorageSOPClassUID == DX_IMAGE_STORAGE
    assert (read.Rows, read.Columns) == (40, 24)
    assert read.BitsAllocated == 16
    assert (read.BitsStored, read.HighBit) == (12, 11)
    assert read.PhotometricInterpretation == 'MONOCHROME2'
    assert [float(v) for v in read.PixelSpacing] == [0.1, 0.2]
    # Optional VOI and modality elements are absent unless asked for.
    for keyword in ('RescaleSlope', 'WindowCenter', 'VOILUTSequence'):
        assert keyword not in read
    # The preamble and 'DICM' prefix make it a Part 10 file.
    with open(tmp_path / 'sub' / 'dir' / 'img.dicom', 'rb') as f:
        assert f.read(132)[128:] == b'DICM'


def test_tags_override_and_cr(tmp_path):
    tags = dict(
        PatientID='p-007',
        PatientSex='F',
        PatientAge='063Y',
        BodyPartExamined='LSPINE',
        Manufacturer='ACME',
        StudyInstanceUID='1.2.3.4')
    _, read = _roundtrip(
        tmp_path,
        _stored(12),
        photometric='MONOCHROME1',
        Modality='CR',
        **tags)
    assert read.PhotometricInterpretation == 'MONOCHROME1'
    assert {k: read[k].value for k in tags} == tags
    assert read.SOPClassUID == '1.2.840.10008.5.1.4.1.1.1'


@pytest.mark.parametrize(
    'syntax', [ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless])
def test_rescale_window_and_voi_lut(tmp_path, syntax):
    stored = _stored(12)
    lut = (np.arange(4096) // 16).astype(np.uint16)
    _, read = _roundtrip(
        tmp_path,
        stored,
        rescale=(0.5, -100.0),
        window=(2000.0, 3000.0),
        voi_lut=lut,
        transfer_syntax=syntax)
    assert float(read.RescaleSlope) == 0.5
    assert float(read.RescaleIntercept) == -100.0
    assert float(read.WindowCenter) == 2000.0
    assert float(read.WindowWidth) == 3000.0
    item = read.VOILUTSequence[0]
    assert list(item.LUTDescriptor) == [4096, 0, 10]
    pixels = read.pixel_array
    np.testing.assert_allclose(
        apply_modality_lut(pixels, read), stored * 0.5 - 100.0)
    # The VOI LUT sequence takes precedence over the window.
    np.testing.assert_array_equal(apply_voi_lut(pixels, read), lut[stored])


def test_full_16_bit_voi_lut(tmp_path):
    stored = _stored(16)
    lut = np.arange(2**16, dtype=np.uint16)[::-1]
    _, read = _roundtrip(tmp_path, stored, bits_stored=16, voi_lut=lut)
    # 65536 entries are encoded as 0 in the descriptor.
    assert list(read.VOILUTSequence[0].LUTDescriptor) == [0, 0, 16]
    np.testing.assert_array_equal(
        apply_voi_lut(read.pixel_array, read), lut[stored])


@pytest.mark.parametrize('stored,kwargs,exc', [
    (np.full((4, 4), 4096, np.uint16), {}, ValueError),
    (np.full((4, 4), -1, np.int16), {}, ValueError),
    (np.zeros((2, 4, 4), np.uint16), {}, ValueError),
    (np.zeros((4, 4), np.float32), {}, TypeError),
    (np.zeros((4, 4), np.uint16), dict(photometric='RGB'), ValueError),
    (np.zeros((4, 4), np.uint16), dict(transfer_syntax='1.2.3'), ValueError),
    (np.zeros((4, 4), np.uint16), dict(voi_lut=np.zeros(1)), ValueError)
])
def test_invalid_input(stored, kwargs, exc):
    with pytest.raises(exc):
        build_dataset(stored, **kwargs)
