"""DICOM header metadata CSV."""
import csv
import importlib.util
import os.path as osp

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from mmspine.dicom.metadata import (META_COLUMNS, parse_folder_metadata,
                                    read_metadata)
from mmspine.dicom.writer import build_dataset, write_dicom

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def write_example(path, **tags):
    ds = build_dataset(
        np.zeros((12, 9), np.uint16),
        photometric='MONOCHROME1',
        bits_stored=14,
        pixel_spacing=(0.1, 0.2),
        PatientID='p1',
        PatientSex='F',
        PatientAge='045Y',
        StudyInstanceUID='1.2.3',
        SeriesInstanceUID='1.2.3.4',
        SOPInstanceUID='1.2.3.4.5',
        Manufacturer='ACME',
        **tags)
    write_dicom(str(path), ds)
    return str(path)


def test_read_metadata(tmp_path):
    path = write_example(tmp_path / 'img1.dicom')
    row = read_metadata(path)
    assert tuple(row) == META_COLUMNS
    assert row['image_id'] == 'img1' and row['status'] == 'ok'
    assert (row['rows'], row['columns']) == ('12', '9')
    assert row['photometric_interpretation'] == 'MONOCHROME1'
    assert row['bits_stored'] == '14'
    assert (row['pixel_spacing_row'], row['pixel_spacing_col']) == ('0.1',
                                                                    '0.2')
    assert row['patient_id'] == 'p1' and row['sex'] == 'F'
    assert row['age'] == '045Y' and row['manufacturer'] == 'ACME'
    assert row['study_uid'] == '1.2.3' and row['sop_uid'] == '1.2.3.4.5'
    assert row['series_uid'] == '1.2.3.4'
    assert row['modality'] == 'DX' and row['body_part'] == 'SPINE'
    assert row['file_size'] == str(osp.getsize(path))


def test_parse_folder_metadata_and_tool(tmp_path, capsys):
    src = tmp_path / 'in'
    write_example(src / 'b.dicom')
    write_example(src / 'sub' / 'a.dcm')
    out = str(tmp_path / 'meta' / 'meta.csv')
    summary = parse_folder_metadata(str(src), out, workers=2, progress=False)
    assert summary.exit_code == 0 and summary.failed == 0
    with open(out, newline='') as f:
        rows = list(csv.DictReader(f))
    assert [r['image_id'] for r in rows] == ['a', 'b']
    assert {'image_id', 'rows', 'columns'} <= set(rows[0])

    (src / 'junk.dicom').write_text('junk')
    spec = importlib.util.spec_from_file_location(
        'tool_meta',
        osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                 'parse_dicom_meta.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(src), out]) == 1
    captured = capsys.readouterr()
    assert '2 ok, 1 failed' in captured.out
    assert 'junk.dicom: failed: not a DICOM file' in captured.err
    with open(out, newline='') as f:
        rows = {r['image_id']: r for r in csv.DictReader(f)}
    assert rows['junk']['status'] == 'failed'
    assert rows['a']['status'] == 'ok'


def test_malformed_header_value_fails_the_file_only(tmp_path):
    src = tmp_path / 'in'
    write_example(src / 'good.dicom')
    ds = build_dataset(np.zeros((12, 9), np.uint16))
    # A non-numeric Pixel Spacing, stored raw as a reader would find it.
    value = b'abc\\0.1 '
    ds[0x00280030] = RawDataElement(
        Tag(0x00280030), 'DS', len(value), value, 0, False, True)
    bad = str(src / 'bad.dicom')
    write_dicom(bad, ds)
    row = read_metadata(bad)
    assert tuple(row) == META_COLUMNS
    assert row['status'] == 'failed'
    assert row['reason'].startswith('malformed PixelSpacing: ValueError')
    assert "'abc'" in row['reason']
    summary = parse_folder_metadata(
        str(src), str(tmp_path / 'meta.csv'), progress=False)
    assert summary.failed == 1 and len(summary.rows) == 2
    rows = {r['image_id']: r for r in summary.rows}
    assert rows['good']['status'] == 'ok' and rows['bad']['status'] == 'failed'


def test_legacy_file_without_dicm_prefix(tmp_path):
    from mmspine.dicom.writer import write_legacy_dicom
    path = write_example(tmp_path / 'new.dicom')
    import pydicom
    write_legacy_dicom(str(tmp_path / 'old.dicom'), pydicom.dcmread(path))
    new, old = read_metadata(path), read_metadata(str(tmp_path / 'old.dicom'))
    assert old['status'] == 'ok' and old['forced'] == 'yes'
    assert new['forced'] == ''
    assert old['transfer_syntax'] == '1.2.840.10008.1.2'  # implicit VR LE
    same = [
        c for c in META_COLUMNS if c not in ('image_id', 'forced', 'path',
                                             'file_size', 'transfer_syntax')
    ]
    assert {c: old[c] for c in same} == {c: new[c] for c in same}
    # Headers without pixel data or the pixel module are still refused.
    ds = pydicom.dcmread(path)
    del ds.PixelData
    write_legacy_dicom(str(tmp_path / 'nopix.dicom'), ds)
    row = read_metadata(str(tmp_path / 'nopix.dicom'))
    assert row['status'] == 'failed'
    assert row['reason'] == ('not a DICOM file (no DICM prefix, and read '
                             'with force it lacks PixelData)')
