"""tools/infer.py on a folder that mixes good and bad inputs."""
import csv
import glob
import importlib.util
import json
import os.path as osp
import shutil
import warnings

import pydicom
import pytest
from _tools import check_ohif, check_sr, ohif_hydrate

# one pytest-xdist worker trains the phantom models for these tests
pytestmark = pytest.mark.xdist_group('phantom_infer_models')

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'infer_tool', osp.join(REPO_ROOT, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bad_inputs(folder, good: str) -> dict:
    """Write one file per kind of bad input; returns name -> reason."""

    def variant(name, change):
        ds = pydicom.dcmread(good)
        change(ds)
        ds.save_as(osp.join(folder, name))

    with open(osp.join(folder, 'not_dicom.dcm'), 'w') as f:
        f.write('a text file\n')
    with open(osp.join(folder, 'broken.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n truncated')

    def colour(ds):
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = 'RGB'

    def no_pixels(ds):
        del ds.PixelData

    def truncated(ds):
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress()
        ds.PixelData = ds.PixelData[:100]

    def messy_header(ds):
        # values real archives hold: repaired or dropped in the SR
        ds.StudyTime = '11:27:24'
        ds.PatientSex = '0000'

    def private_class(ds):
        # a vendor-private SOP class: no SR, findings kept
        ds.SOPClassUID = '1.2.840.113619.4.30'
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # pydicom on the invalid values
        variant('messy_header.dcm', messy_header)
        variant('private_class.dcm', private_class)
    variant('colour.dcm', colour)
    variant('multi_frame.dcm', lambda ds: setattr(ds, 'NumberOfFrames', 2))
    variant('no_pixels.dcm', no_pixels)
    variant('truncated.dcm', truncated)
    return {
        'not_dicom': 'not a DICOM file',
        'broken': 'unreadable image file',
        'colour': 'colour image',
        'multi_frame': 'multi-frame image',
        'no_pixels': 'no pixel data',
        'truncated': 'fallback failed too',
    }


@pytest.mark.usefixtures('one_thread')
def test_infer_mixed_folder(phantom_infer_models, tmp_path, capsys):
    m = phantom_infer_models
    inputs = tmp_path / 'inputs'
    (inputs / 'sub').mkdir(parents=True)
    dicoms = sorted(glob.glob(osp.join(m['dicom_dir'], '*.dicom')))[:2]
    shutil.copy(dicoms[0], inputs)
    shutil.copy(dicoms[1], inputs / 'sub')  # folders are searched down
    bad = _bad_inputs(str(inputs), dicoms[0])
    config, checkpoint = m['det'][0]
    out = str(tmp_path / 'out')
    # few findings: SRs of hundreds are slow to build, and test_inferencer
    # checks their content
    argv = [
        str(inputs), '--det', config, checkpoint, '--out-dir', out,
        '--overlays', '--sr', '--batch-size', '2', '--score-thr', '0.5'
    ]
    tool = _load_tool()
    assert tool.main(argv) == 1
    first = capsys.readouterr()
    assert tool.main(argv) == 1
    second = capsys.readouterr()

    failed_lines = [
        line for line in first.err.splitlines() if ': failed: ' in line
    ]
    assert len(failed_lines) == len(bad)
    for name, reason in bad.items():
        lines = [line for line in failed_lines if f'/{name}.' in line]
        assert len(lines) == 1 and reason in lines[0], (name, lines)
    assert '3 done, 1 partial, 0 skipped, 6 failed' in first.out
    assert 'partial:' in first.out

    with open(osp.join(out, 'infer_report.csv')) as f:
        report = {r['image_id']: r for r in csv.DictReader(f)}
    assert {k for k, r in report.items() if r['status'] == 'failed'} == \
        set(bad)
    # the SR of a private SOP class is refused; the findings stay
    partial = report['private_class']
    assert partial['status'] == 'partial'
    assert 'SR not written' in partial['reason'] and \
        'is private' in partial['reason']
    assert not osp.isfile(osp.join(out, 'sr', 'private_class.dcm'))
    # repaired header values are noted, naming attribute and value
    messy = report['messy_header']
    assert messy['status'] == 'skipped'
    good_ids = [osp.splitext(osp.basename(p))[0] for p in dicoms]
    good_ids += ['messy_header', 'private_class']
    results = json.load(open(osp.join(out, 'findings.json')))['results']
    assert len(results) == len(bad) + 4
    by_id = {r['image_id']: r for r in results}
    assert by_id['private_class']['status'] == 'ok'
    assert by_id['private_class']['findings'] == \
        json.load(open(osp.join(out, 'results', 'private_class.json'))
                  )['result']['findings']
    for image_id in good_ids:
        if image_id != 'private_class':
            assert report[image_id]['status'] == 'skipped'
            assert osp.isfile(osp.join(out, 'sr', f'{image_id}.dcm'))
        assert osp.isfile(osp.join(out, 'overlays', f'{image_id}.png'))
        assert osp.isfile(osp.join(out, 'results', f'{image_id}.json'))
    with open(osp.join(out, 'findings.csv')) as f:
        assert {r['image_id'] for r in csv.DictReader(f)} == set(good_ids)
    # every SR passes dcmtk and dciodvfy, and opens in OHIF's reader
    srs = [i for i in good_ids if i != 'private_class']
    paths = [osp.join(out, 'sr', f'{i}.dcm') for i in srs]
    for path in paths:
        check_sr(path)
    for got, image_id in zip(ohif_hydrate(paths), srs):
        check_ohif(got, by_id[image_id])
    # the rerun skipped the complete inputs and retried only the bad ones
    # and the one without its SR
    assert '0 done, 1 partial, 3 skipped, 6 failed' in second.out
    first_notes = [
        line for line in first.err.splitlines() if 'messy_header' in line
    ]
    assert any("StudyTime (0008,0030) '11:27:24'" in line
               for line in first_notes), first_notes
    assert any("PatientSex (0010,0040) '0000'" in line
               for line in first_notes), first_notes

    # partial without failures: exit code 3
    assert tool.main([
        str(inputs / 'private_class.dcm'), '--det', config, checkpoint,
        '--out-dir',
        str(tmp_path / 'out2'), '--sr', '--score-thr', '0.5'
    ]) == 3
    assert '0 done, 1 partial, 0 skipped, 0 failed' in capsys.readouterr().out


def test_infer_rejects_bad_rule(phantom_infer_models, tmp_path):
    rule = tmp_path / 'rule.json'
    rule.write_text('{"c": "high"}')
    config, checkpoint = phantom_infer_models['det'][0]
    with pytest.raises(ValueError, match='rule.json'):
        _load_tool().main([
            str(tmp_path), '--det', config, checkpoint, '--rule',
            str(rule), '--out-dir',
            str(tmp_path / 'out')
        ])
