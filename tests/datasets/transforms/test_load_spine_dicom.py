"""LoadSpineDICOM gives what LoadImageFromFile reads from dicom2png's PNG."""
import os
import os.path as osp

import numpy as np
import pydicom
import pytest
from mmcv.transforms import LoadImageFromFile
from pydicom.uid import JPEG2000Lossless, RLELossless

from mmspine.datasets.transforms import LoadSpineDICOM
from mmspine.dicom.batch import find_dicom_files, image_id_of
from mmspine.dicom.convert import convert_folder
from mmspine.dicom.writer import build_dataset, write_dicom
from mmspine.phantom import make_phantom


@pytest.fixture(scope='module')
def dicom_dir(tmp_path_factory):
    """Phantom DICOMs of every variant, plus a fallback and a constant one.
    """
    root = str(tmp_path_factory.mktemp('phantom'))
    # Four images cycle through the four transfer syntaxes, both
    # photometric interpretations and the VOI LUT Sequence.
    make_phantom(root, 4, 1, seed=5, size=72)
    src = osp.join(root, 'train_images')
    rng = np.random.default_rng(0)
    # Window width below 1: the reference falls back (histogram equalised).
    write_dicom(
        osp.join(src, 'fallback.dicom'),
        build_dataset(rng.integers(0, 4096, (40, 30)), window=(100, 0.5)))
    write_dicom(
        osp.join(src, 'constant.dicom'), build_dataset(np.full((20, 30), 7)))
    return src


def test_phantom_covers_the_variants(dicom_dir):
    found = set()
    for path in find_dicom_files(dicom_dir):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        found.add(ds.file_meta.TransferSyntaxUID)
        found.add(ds.PhotometricInterpretation)
        if 'VOILUTSequence' in ds:
            found.add('voi_lut')
    assert {RLELossless, JPEG2000Lossless, 'MONOCHROME1', 'voi_lut'} <= found


@pytest.mark.parametrize('mode, max_size', [('reference', None),
                                            ('reference', 40),
                                            ('modality', None),
                                            ('percentile', 50)])
def test_same_pixels_as_png(tmp_path, dicom_dir, mode, max_size):
    png_dir = str(tmp_path / 'png')
    summary = convert_folder(
        dicom_dir, png_dir, mode=mode, max_size=max_size, progress=False)
    statuses = {r['image_id']: r['status'] for r in summary.rows}
    assert statuses['constant'] == 'constant'
    assert 'converted' in statuses.values()
    # A window narrower than 1: the reference falls back, the DICOM display
    # chain refuses it (and the transform too), percentiles ignore it.
    assert statuses['fallback'] == dict(
        reference='fallback', modality='failed', percentile='converted')[mode]
    for color_type in ('color', 'grayscale'):
        from_png = LoadImageFromFile(color_type=color_type)
        from_dicom = LoadSpineDICOM(
            mode=mode, max_size=max_size, color_type=color_type)
        for path in find_dicom_files(dicom_dir):
            png = osp.join(png_dir, image_id_of(path) + '.png')
            if statuses[image_id_of(path)] == 'failed':
                with pytest.raises(ValueError, match='Window Width'):
                    from_dicom(dict(img_path=path))
                continue
            want = from_png(dict(img_path=png))
            got = from_dicom(dict(img_path=path))
            assert got['img'].dtype == want['img'].dtype == np.uint8
            np.testing.assert_array_equal(got['img'], want['img'])
            assert got['img_shape'] == want['img_shape']
            assert got['ori_shape'] == want['ori_shape']
            assert got['img_path'] == path
            assert got['img'].ndim == (3 if color_type == 'color' else 2)


def test_cache_gives_the_same_pixels(tmp_path, dicom_dir):
    path = [
        p for p in find_dicom_files(dicom_dir)
        if pydicom.dcmread(p, stop_before_pixels=True).file_meta.
        TransferSyntaxUID == JPEG2000Lossless
    ][0]
    plain = LoadSpineDICOM(mode='modality')(dict(img_path=path))['img']
    cache = str(tmp_path / 'cache')
    load = LoadSpineDICOM(mode='modality', cache_dir=cache, to_float32=True)
    first = load(dict(img_path=path))['img']
    (entry, ) = os.listdir(cache)
    assert entry.startswith(image_id_of(path)) and entry.endswith('.npy')
    again = load(dict(img_path=path))['img']
    assert first.dtype == np.float32
    np.testing.assert_array_equal(first, plain)
    np.testing.assert_array_equal(again, plain)
    # Another mode, or a rewritten file, is another entry.
    LoadSpineDICOM(cache_dir=cache)(dict(img_path=path))
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    load(dict(img_path=path))
    assert len(os.listdir(cache)) == 3


def test_bad_file_names_the_file(tmp_path):
    path = tmp_path / 'bad.dicom'
    path.write_text('not a dicom')
    with pytest.raises(ValueError, match='bad.dicom: not a DICOM file'):
        LoadSpineDICOM()(dict(img_path=str(path)))
    with pytest.raises(ValueError, match='unknown mode'):
        LoadSpineDICOM(mode='linear')
    assert 'max_size=512' in repr(LoadSpineDICOM(max_size=512))
