"""Batch DICOM to PNG conversion: statuses, resume, atomic writes, tool."""
import csv
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pydicom
import pytest
from pydicom.uid import RLELossless

import mmspine.dicom.convert as convert_mod
from mmspine.dicom.convert import (REPORT_COLUMNS, convert_file,
                                   convert_folder, png_is_complete,
                                   resize_to_max, write_png_atomic)
from mmspine.dicom.voi import reference_pixels
from mmspine.dicom.writer import build_dataset, write_dicom

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name):
    path = osp.join(REPO_ROOT, 'tools', 'dataset_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stored(shape=(40, 30), seed=0):
    return np.random.default_rng(seed).integers(0, 4096, shape)


def write(path, ds=None, **kwargs):
    write_dicom(str(path), ds or build_dataset(stored(), **kwargs))
    return str(path)


@pytest.fixture
def good_dir(tmp_path):
    src = tmp_path / 'in'
    write(src / 'a.dicom')
    write(src / 'sub' / 'b.dcm', photometric='MONOCHROME1', window=(2e3, 1e3))
    write(src / 'c.dicom', transfer_syntax=RLELossless)
    return str(src)


def bad_files(src):
    """Write each kind of bad input; return image id -> expected reason."""
    os.makedirs(src, exist_ok=True)
    with open(osp.join(src, 'text.dicom'), 'w') as f:
        f.write('not a dicom at all\n')
    ds = build_dataset(stored())
    del ds.PixelData
    write(osp.join(src, 'nopixels.dicom'), ds)
    ds = build_dataset(stored())
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 3, 'RGB'
    write(osp.join(src, 'rgb.dicom'), ds)
    ds = build_dataset(stored())
    ds.NumberOfFrames = 2
    write(osp.join(src, 'frames.dicom'), ds)
    path = write(osp.join(src, 'truncated.dicom'))
    with open(path, 'r+b') as f:
        f.truncate(osp.getsize(path) - 1000)
    ds = build_dataset(stored(), transfer_syntax=RLELossless)
    # MPEG-2 has no pixel data decoder in pydicom.
    ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.100'
    write(osp.join(src, 'mpeg2.dicom'), ds)
    return {
        'text': 'not a DICOM file',
        'nopixels': 'no pixel data',
        'rgb': 'colour image (RGB',
        'frames': 'multi-frame image (2 frames)',
        'truncated': 'less than expected',
        'mpeg2': 'MPEG2',
    }


def read_csv(path):
    with open(path, newline='') as f:
        return {r['image_id']: r for r in csv.DictReader(f)}


def test_convert_folder_writes_pngs_and_report(tmp_path, good_dir):
    out = str(tmp_path / 'out')
    summary = convert_folder(good_dir, out, progress=False)
    assert summary.counts == {'converted': 3}
    assert summary.exit_code == 0
    report = read_csv(osp.join(out, 'conversion_report.csv'))
    assert list(report) == ['a', 'b', 'c']
    with open(summary.report) as f:
        assert tuple(next(csv.reader(f))) == REPORT_COLUMNS
    assert report['b']['path'] == 'window'
    assert report['a']['path'] == 'none'
    for image_id, row in report.items():
        png = osp.join(out, f'{image_id}.png')
        assert row['output'] == png
        img = cv2.imread(png, cv2.IMREAD_UNCHANGED)
        assert img.dtype == np.uint8 and img.shape == (40, 30)
        assert (row['rows'], row['columns']) == ('40', '30')
        assert (row['out_rows'], row['out_columns']) == ('40', '30')
        assert float(row['scale']) == 1.0
        expected = reference_pixels(pydicom.dcmread(row['source'])).image
        np.testing.assert_array_equal(img, expected)


def test_bad_inputs_fail_alone(tmp_path, good_dir, capsys):
    expected = bad_files(good_dir)
    out = str(tmp_path / 'out')
    summary = convert_folder(good_dir, out, workers=2, progress=False)
    assert summary.counts == {'converted': 3, 'failed': len(expected)}
    assert summary.exit_code == 1
    report = read_csv(summary.report)
    for image_id, reason in expected.items():
        assert report[image_id]['status'] == 'failed'
        assert reason in report[image_id]['reason'], image_id
        assert report[image_id]['output'] == ''
        assert not osp.exists(osp.join(out, f'{image_id}.png'))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ': failed: ' in ln]
    assert len(lines) == len(expected)
    assert 'Traceback' not in err
    for image_id in expected:
        assert any(
            osp.basename(ln.split(':')[0]).startswith(image_id)
            for ln in lines)


def test_constant_image(tmp_path):
    src = tmp_path / 'in'
    write(src / 'flat.dicom', build_dataset(np.full((9, 7), 300)))
    row = convert_file(str(src / 'flat.dicom'), str(tmp_path))
    assert row['status'] == 'constant'
    assert 'constant image' in row['reason'] and '300' in row['reason']
    img = cv2.imread(row['output'], cv2.IMREAD_UNCHANGED)
    assert img.shape == (9, 7) and not img.any()


def test_fallback_status(tmp_path):
    path = write(tmp_path / 'w.dicom', window=(100, 0.5))
    row = convert_file(path, str(tmp_path))
    assert row['status'] == 'fallback' and row['path'] == 'fallback'
    assert 'Window Width' in row['reason']


def test_resume_skips_complete_outputs(tmp_path, good_dir):
    out = str(tmp_path / 'out')
    convert_folder(good_dir, out, progress=False)
    pngs = {i: osp.join(out, f'{i}.png') for i in 'abc'}
    mtimes = {i: os.stat(p).st_mtime_ns for i, p in pngs.items()}
    # b: PNG missing; c: PNG cut short, as by a crash of another tool.
    os.remove(pngs['b'])
    with open(pngs['c'], 'r+b') as f:
        f.truncate(100)
    assert not png_is_complete(pngs['c'])
    summary = convert_folder(good_dir, out, progress=False)
    assert summary.counts == {'skipped': 1, 'converted': 2}
    assert os.stat(pngs['a']).st_mtime_ns == mtimes['a']
    report = read_csv(summary.report)
    assert report['a']['status'] == 'skipped'
    assert report['a']['reason'] == 'converted in a previous run'
    assert report['a']['path'] == 'none'
    assert all(png_is_complete(p) for p in pngs.values())
    # Another mode or size is another output: converted again.
    summary = convert_folder(good_dir, out, mode='modality', progress=False)
    assert summary.counts == {'converted': 3}
    summary = convert_folder(good_dir, out, mode='modality', progress=False)
    assert summary.counts == {'skipped': 3}
    summary = convert_folder(
        good_dir, out, mode='modality', resume=False, progress=False)
    assert summary.counts == {'converted': 3}


def test_resume_after_kill_uses_journal(tmp_path, good_dir, monkeypatch):
    out = str(tmp_path / 'out')
    calls = []
    real = convert_mod.convert_file

    def dies_on_third(src, **kwargs):
        calls.append(src)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(src, **kwargs)

    monkeypatch.setattr(convert_mod, 'convert_file', dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        convert_folder(good_dir, out, progress=False)
    monkeypatch.undo()
    assert not osp.exists(osp.join(out, 'conversion_report.csv'))
    summary = convert_folder(good_dir, out, progress=False)
    assert summary.counts == {'skipped': 2, 'converted': 1}
    assert not [n for n in os.listdir(out) if n.startswith('.')]


def test_write_is_atomic(tmp_path, monkeypatch):
    target = str(tmp_path / 'x.png')
    write_png_atomic(np.full((5, 5), 7, np.uint8), target)
    before = open(target, 'rb').read()

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', killed)
    with pytest.raises(KeyboardInterrupt):
        write_png_atomic(np.zeros((50, 50), np.uint8), target)
    monkeypatch.undo()
    # The old PNG is intact and no temporary file is left behind.
    assert open(target, 'rb').read() == before
    assert os.listdir(tmp_path) == ['x.png']


def test_stale_temporary_files_are_removed(tmp_path, good_dir):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'a.png.tmp-12345').write_bytes(b'\x89PNG half')
    convert_folder(good_dir, str(out), progress=False)
    assert sorted(os.listdir(out)) == [
        'a.png', 'b.png', 'c.png', 'conversion_report.csv'
    ]


def test_max_size(tmp_path):
    path = write(tmp_path / 'big.dicom', build_dataset(stored((300, 200))))
    row = convert_file(path, str(tmp_path), max_size=120)
    assert float(row['scale']) == pytest.approx(120 / 300)
    assert (row['rows'], row['columns']) == ('300', '200')
    assert (row['out_rows'], row['out_columns']) == ('120', '80')
    img = cv2.imread(row['output'], cv2.IMREAD_UNCHANGED)
    full = reference_pixels(pydicom.dcmread(path)).image
    np.testing.assert_array_equal(
        img, cv2.resize(full, (80, 120), interpolation=cv2.INTER_AREA))
    # Smaller images are kept as they are.
    small, scale = resize_to_max(full, 1000)
    assert scale == 1.0 and small is full


def test_duplicate_image_ids(tmp_path, good_dir):
    write(osp.join(good_dir, 'other', 'a.dcm'))
    summary = convert_folder(good_dir, str(tmp_path / 'out'), progress=False)
    assert summary.counts == {'converted': 3, 'failed': 1}
    dup = [r for r in summary.rows if r['status'] == 'failed'][0]
    assert dup['source'].endswith(osp.join('other', 'a.dcm'))
    assert 'duplicate image id' in dup['reason']


def test_tool_exit_codes(tmp_path, good_dir, capsys):
    tool = load_tool('dicom2png')
    out = str(tmp_path / 'out')
    report = str(tmp_path / 'report.csv')
    args = [good_dir, out, '--max-size', '20', '--report', report]
    assert tool.main(args + ['--mode', 'percentile']) == 0
    assert '3 converted' in capsys.readouterr().out
    assert read_csv(report)['a']['out_rows'] == '20'
    bad_files(good_dir)
    assert tool.main(args + ['--workers', '2']) == 1
    assert '6 failed' in capsys.readouterr().out


@pytest.mark.parametrize('bits, signed', [(8, 0), (12, 0), (12, 1), (15, 1),
                                          (16, 0), (16, 1)])
def test_decode_equals_pixel_array_with_dirty_unused_bits(
        tmp_path, bits, signed):
    """The uncompressed fast path gives pydicom's pixel_array exactly, high
    bits beyond Bits Stored set or not."""
    from pydicom.uid import ImplicitVRLittleEndian

    from mmspine.dicom.convert import decode_pixels, read_dataset
    rng = np.random.default_rng(bits)
    lo = -2**(bits - 1) if signed else 0
    stored = rng.integers(lo, lo + 2**bits, (13, 11))
    for syntax in ('1.2.840.10008.1.2.1', ImplicitVRLittleEndian):
        ds = build_dataset(
            stored,
            bits_stored=bits,
            pixel_representation=signed,
            transfer_syntax=syntax)
        raw = np.frombuffer(ds.PixelData, '<u2').copy()
        raw[::2] |= np.uint16((0xffff << bits) & 0xffff)
        ds.PixelData = raw.tobytes()
        path = write(tmp_path / f'{bits}_{signed}.dicom', ds)
        arr = decode_pixels(read_dataset(path))
        want = pydicom.dcmread(path).pixel_array
        assert arr.dtype == want.dtype and arr.flags.writeable
        np.testing.assert_array_equal(arr, want)


@pytest.mark.parametrize('implicit_vr', [True, False])
def test_legacy_file_without_dicm_prefix_is_converted_forced(
        tmp_path, implicit_vr):
    from mmspine.dicom.convert import is_forced, read_dataset
    from mmspine.dicom.writer import write_legacy_dicom
    src = tmp_path / 'in'
    ds = build_dataset(stored(), photometric='MONOCHROME1', window=(2e3, 1e3))
    write_legacy_dicom(str(src / 'old.dcm'), ds, implicit_vr=implicit_vr)
    with open(src / 'old.dcm', 'rb') as f:
        head = f.read(132)
    assert head[128:132] != b'DICM' and head[:4] == b'\x08\x00\x05\x00'
    # Still refused: data without the Image Pixel module, and text.
    no_pixels = build_dataset(stored())
    del no_pixels.Rows, no_pixels.BitsStored
    write_legacy_dicom(str(src / 'norows.dcm'), no_pixels)
    (src / 'text.dcm').write_text('not a dicom at all\n')

    out = str(tmp_path / 'out')
    summary = convert_folder(str(src), out, progress=False)
    report = read_csv(summary.report)
    assert report['old']['status'] == 'converted'
    assert report['old']['forced'] == 'yes'
    assert report['old']['path'] == 'window'
    img = cv2.imread(report['old']['output'], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(img, reference_pixels(ds).image)
    assert '1 without DICM prefix, read forced' in summary.notes
    assert 'read forced' in str(summary)
    for image_id in ('norows', 'text'):
        assert report[image_id]['status'] == 'failed'
        assert 'not a DICOM file' in report[image_id]['reason']
        assert report[image_id]['forced'] == ''
    assert 'lacks Rows, BitsStored' in report['norows']['reason']
    # The flag survives a resume; the shared reader says it too.
    summary = convert_folder(str(src), out, progress=False)
    report = read_csv(summary.report)
    assert report['old']['status'] == 'skipped'
    assert report['old']['forced'] == 'yes'
    assert is_forced(read_dataset(str(src / 'old.dcm')))
    assert not is_forced(read_dataset(write(tmp_path / 'new.dcm')))


def test_header_window_that_excludes_every_stored_value(tmp_path):
    """A 16-bit DX whose window (center 2725, width 5310) lies below all its
    stored values (32744-65535)."""
    values = np.random.default_rng(0).integers(32744, 65536, (30, 20))
    values[0, :2] = 32744, 65535
    path = write(tmp_path / 'dx.dicom',
                 build_dataset(values, bits_stored=16, window=(2725, 5310)))
    out = str(tmp_path)
    ref = convert_file(path, out, mode='reference')
    # The reference is reproduced: black, and said so.
    assert ref['status'] == 'constant' and ref['path'] == 'window'
    assert '32744-65535' in ref['reason']
    mod = convert_file(path, out, mode='modality')
    assert mod['status'] == 'fallback'
    assert mod['path'] == 'window>percentile'
    assert 'center 2725' in mod['reason'] and 'percentile' in mod['reason']
    img = cv2.imread(mod['output'], cv2.IMREAD_UNCHANGED)
    from mmspine.dicom.voi import percentile_pixels
    np.testing.assert_array_equal(
        img,
        percentile_pixels(pydicom.dcmread(path)).image)
    assert img.min() == 0 and img.max() == 255
    pct = convert_file(path, out, mode='percentile')
    assert pct['status'] == 'converted' and pct['path'] == 'percentile'
