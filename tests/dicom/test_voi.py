"""Pixel modes against straightforward full-image computations."""
import numpy as np
import pydicom
import pytest
from _reference import recipe
from pydicom.pixels import (apply_modality_lut, apply_voi, apply_voi_lut,
                            apply_windowing)
from pydicom.uid import JPEG2000Lossless, RLELossless

from mmspine.dicom.voi import (ConstantImageError, PixelError, modality_pixels,
                               percentile_pixels, reference_pixels, to_uint8,
                               voi_path)
from mmspine.dicom.writer import (available_transfer_syntaxes, build_dataset,
                                  write_dicom)


def stored_image(bits, shape=(64, 48), signed=False, seed=0):
    """A skewed image that leaves many levels of its range unused."""
    rng = np.random.default_rng(seed)
    top = 2**bits - 1
    x = (rng.beta(2, 5, shape) * top).astype(np.int64)
    x[0, :4] = [0, top // 3, top // 2, top]
    if signed:
        x -= 2**(bits - 1)
    return x


def non_monotonic_lut(bits):
    levels = np.arange(2**bits)
    return ((np.sin(levels / 300.0) + 1) * 2000).astype(np.uint16)


VARIANTS = {
    'mono2_12':
    dict(bits_stored=12),
    'mono1_12':
    dict(bits_stored=12, photometric='MONOCHROME1'),
    'mono2_14_window':
    dict(bits_stored=14, window=(5000, 6000)),
    'mono1_14_window':
    dict(bits_stored=14, photometric='MONOCHROME1', window=(3000, 2000)),
    'mono2_16':
    dict(bits_stored=16),
    'mono2_16_rescale_window':
    dict(bits_stored=16, rescale=(0.5, -100.0), window=(8000, 20000)),
    'mono1_16_rescale':
    dict(bits_stored=16, photometric='MONOCHROME1', rescale=(2.0, 7.0)),
    'signed_12_rescale_window':
    dict(
        bits_stored=12,
        pixel_representation=1,
        rescale=(1.0, 1024.0),
        window=(900, 1500)),
    'voi_lut_12':
    dict(bits_stored=12, voi_lut=non_monotonic_lut(12)),
    'voi_lut_and_window':
    dict(
        bits_stored=12,
        voi_lut=non_monotonic_lut(12),
        window=(10, 5),
        photometric='MONOCHROME1'),
    'sigmoid_10':
    dict(bits_stored=10, window=(400, 300), VOILUTFunction='SIGMOID'),
    'rle_12_window':
    dict(bits_stored=12, window=(2000, 3000), transfer_syntax=RLELossless),
    'j2k_12':
    dict(bits_stored=12, transfer_syntax=JPEG2000Lossless),
    # Window width < 1 makes the reference raise: fallback path.
    'fallback_window':
    dict(bits_stored=12, window=(100, 0.5)),
}


def write_variant(tmp_path, name, **kwargs):
    kwargs = dict(kwargs)
    syntax = kwargs.get('transfer_syntax')
    if syntax and syntax not in available_transfer_syntaxes():
        pytest.skip(f'no encoder for {syntax.name}')
    signed = kwargs.get('pixel_representation', 0) == 1
    stored = stored_image(kwargs['bits_stored'], signed=signed)
    path = str(tmp_path / f'{name}.dicom')
    write_dicom(path, build_dataset(stored, **kwargs))
    return path


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_reference_bit_for_bit(tmp_path, name):
    path = write_variant(tmp_path, name, **VARIANTS[name])
    ds = pydicom.dcmread(path)
    result = reference_pixels(ds)
    expected = recipe(path)
    assert result.image.dtype == np.uint8
    assert result.image.shape == expected.shape
    np.testing.assert_array_equal(result.image, expected)
    if name == 'fallback_window':
        assert result.path == 'fallback'
        assert 'Window Width' in result.reason
    else:
        assert result.path == voi_path(pydicom.dcmread(path))
        assert result.reason == ''


def test_reference_paths(tmp_path):
    paths = {
        name:
        reference_pixels(
            pydicom.dcmread(write_variant(tmp_path, name,
                                          **VARIANTS[name]))).path
        for name in ('mono2_12', 'mono2_14_window', 'voi_lut_12',
                     'voi_lut_and_window')
    }
    assert paths == {
        'mono2_12': 'none',
        'mono2_14_window': 'window',
        'voi_lut_12': 'voi_lut',
        'voi_lut_and_window': 'voi_lut'
    }


def test_fallback_reads_bits_stored_as_16(tmp_path):
    # Values above 12 bits are masked by the recipe's decode but kept by
    # the fallback, which re-decodes with Bits Stored 16.
    stored = stored_image(12)
    stored[5, 5] = 60000
    ds = build_dataset(stored, bits_stored=16, window=(100, 0.5))
    ds.BitsStored, ds.HighBit = 12, 11
    path = str(tmp_path / 'over.dicom')
    write_dicom(path, ds)
    result = reference_pixels(pydicom.dcmread(path))
    assert result.path == 'fallback'
    np.testing.assert_array_equal(result.image, recipe(path))


def test_reference_matches_on_wide_float_range():
    # No lookup table for float pixels: the direct computation is used.
    ds = build_dataset(stored_image(12), window=(2000, 1000))
    arr = ds.pixel_array.astype(np.float32) * 3.5
    data = apply_voi_lut(arr, ds)
    data = data - np.min(data)
    expected = (data / np.max(data) * 255).astype(np.uint8)
    np.testing.assert_array_equal(reference_pixels(ds, arr).image, expected)


def test_constant_image_raises_clear_error():
    ds = build_dataset(np.full((8, 8), 42))
    for mode in ('reference', 'modality', 'percentile'):
        with pytest.raises(ConstantImageError, match='constant'):
            to_uint8(ds, mode)


def test_fallback_failure_is_reported():
    ds = build_dataset(stored_image(12), window=(100, 0.5))
    del ds.PixelData
    with pytest.raises(PixelError, match='fallback failed too'):
        reference_pixels(ds)


def full_modality(ds):
    data = apply_modality_lut(ds.pixel_array, ds)
    if voi_path(ds) == 'voi_lut':
        data = apply_voi(np.rint(data).astype(np.int64), ds)
    elif voi_path(ds) == 'window':
        data = apply_windowing(data, ds)
    data = (data - data.min()) / (data.max() - data.min()) * 255
    img = np.floor(data + 0.5).astype(np.uint8)
    if ds.PhotometricInterpretation == 'MONOCHROME1':
        img = 255 - img
    return img


@pytest.mark.parametrize('name,path',
                         [('mono2_12', 'none'),
                          ('mono2_16_rescale_window', 'rescale+window'),
                          ('mono1_16_rescale', 'rescale+none'),
                          ('signed_12_rescale_window', 'rescale+window'),
                          ('voi_lut_12', 'voi_lut')])
def test_modality_mode(tmp_path, name, path):
    ds = pydicom.dcmread(write_variant(tmp_path, name, **VARIANTS[name]))
    result = modality_pixels(ds)
    assert result.path == path
    expected = full_modality(pydicom.dcmread(ds.filename))
    # float32 here, float64 there: at most one grey level apart.
    diff = np.abs(result.image.astype(int) - expected)
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    assert result.image.min() == 0 and result.image.max() == 255


@pytest.mark.parametrize('name', ['mono2_12', 'mono1_16_rescale'])
def test_percentile_mode(tmp_path, name):
    ds = pydicom.dcmread(write_variant(tmp_path, name, **VARIANTS[name]))
    result = percentile_pixels(ds, low=2, high=98)
    prefix = 'rescale+' if 'rescale' in name else ''
    assert result.path == prefix + 'percentile'
    data = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    lo, hi = np.percentile(data, [2, 98], method='inverted_cdf')
    img = np.clip((data - lo) / (hi - lo) * 255, 0, 255)
    img = np.floor(img + 0.5).astype(np.uint8)
    if ds.PhotometricInterpretation == 'MONOCHROME1':
        img = 255 - img
    assert np.abs(result.image.astype(int) - img).max() <= 1
    # About 2 % of pixels saturate at each end.
    dark = result.image == (255 if 'mono1' in name else 0)
    assert 0.01 < dark.mean() < 0.05


def test_unknown_mode():
    with pytest.raises(ValueError, match='unknown mode'):
        to_uint8(build_dataset(stored_image(12)), 'gamma')
