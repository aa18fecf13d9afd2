import os
import warnings

import highdicom as hd
import numpy as np
import pydicom
import pytest
from _sr_cases import COLUMNS, ROWS, finding_dict, result_dict
from _tools import check_ohif, check_sr, ohif_hydrate
from pydicom.sr.codedict import codes

from mmspine import __version__
from mmspine.dicom import build_dataset, write_dicom
from mmspine.dicom.sr import (LESION_CODES, PRIVATE_SCHEME, BoxClippedWarning,
                              class_code, read_findings_sr, write_findings_sr)
from mmspine.fileio import TMP_MARK
from mmspine.metainfo import ALL_LESION_TYPES


def _source(tmp_path, name='src.dicom'):
    rng = np.random.default_rng(0)
    ds = build_dataset(rng.integers(0, 4096, (ROWS, COLUMNS), np.uint16))
    path = str(tmp_path / name)
    write_dicom(path, ds)
    return path, ds


FINDINGS = [
    finding_dict('Osteophytes', 0.91, [1.25, 2.5, 20.1, 30.7]),
    finding_dict('Surgical implant', 0.4, [10.0, 12.0, 40.0, 60.0]),
    finding_dict('Other lesions', 0.55, [0.0, 33.3, 55.9, 80.0]),
]
# One finding of every lesion type, each with its own box.
FINDINGS += [
    finding_dict(t, 0.5 + 0.01 * i, [i, i / 3, i + 10.5, i + 20.25])
    for i, t in enumerate(ALL_LESION_TYPES)
    if t not in {f['lesion_type']
                 for f in FINDINGS}
]


@pytest.fixture(scope='module')
def written(tmp_path_factory):
    """SRs of several results for one source; every test may add more."""
    tmp = tmp_path_factory.mktemp('sr')
    src_path, ds = _source(tmp)
    srs = {}
    cases = dict(
        full=result_dict(ds, FINDINGS),
        empty=result_dict(ds, [], p_abnormal=0.12, abnormal=False),
        no_classifier=result_dict(ds, [], p_abnormal=None, abnormal=None),
        # highdicom's parser is slow: a short report for it.
        short=result_dict(ds, FINDINGS[:3]))
    for name, result in cases.items():
        out = str(tmp / 'out' / f'{name}.dcm')
        # The source given as a path and as a dataset.
        source = ds if name == 'empty' else src_path
        write_findings_sr(source, result, out, model_name='det_a+det_b')
        srs[name] = (out, result)
    return dict(src_path=src_path, ds=ds, srs=srs, dir=str(tmp / 'out'))


def test_uids_and_evidence(written):
    ds = written['ds']
    out, _ = written['srs']['full']
    sr = pydicom.dcmread(out)
    assert sr.SOPClassUID == hd.sr.sop.ComprehensiveSRStorage
    assert sr.file_meta.MediaStorageSOPInstanceUID == sr.SOPInstanceUID
    assert sr.StudyInstanceUID == ds.StudyInstanceUID
    assert sr.PatientID == ds.PatientID
    assert sr.SeriesInstanceUID != ds.SeriesInstanceUID
    assert sr.SOPInstanceUID != ds.SOPInstanceUID
    assert sr.Modality == 'SR' and sr.SeriesNumber == 9001
    # The source is evidence the content references, hence "current
    # requested procedure" evidence.
    (study, ) = sr.CurrentRequestedProcedureEvidenceSequence
    assert study.StudyInstanceUID == ds.StudyInstanceUID
    (series, ) = study.ReferencedSeriesSequence
    assert series.SeriesInstanceUID == ds.SeriesInstanceUID
    (ref, ) = series.ReferencedSOPSequence
    assert ref.ReferencedSOPInstanceUID == ds.SOPInstanceUID
    assert ref.ReferencedSOPClassUID == ds.SOPClassUID
    schemes = {
        item.CodingSchemeDesignator: item
        for item in sr.CodingSchemeIdentificationSequence
    }
    assert {PRIVATE_SCHEME, 'SCT', 'DCM', 'UCUM'} <= set(schemes)
    assert schemes[PRIVATE_SCHEME].CodingSchemeName
    # Each SR is a new instance of a new series.
    uids = {
        pydicom.dcmread(p).SOPInstanceUID
        for p, _ in written['srs'].values()
    }
    assert len(uids) == len(written['srs'])


def test_read_back_equalsresult_dict(written):
    ds = written['ds']
    out, result = written['srs']['full']
    read = read_findings_sr(out)
    assert read['study_instance_uid'] == ds.StudyInstanceUID
    assert read['referenced_sop_instance_uids'] == [ds.SOPInstanceUID]
    assert read['p_abnormal'] == pytest.approx(result['p_abnormal'])
    assert read['abnormal'] is True and read['lesions_present'] is True
    assert read['algorithm']['name'] == 'mmspine'
    assert read['algorithm']['version'] == __version__
    assert 'model=det_a+det_b' in read['algorithm']['parameters']
    assert len(read['findings']) == len(result['findings'])
    for got, want in zip(read['findings'], result['findings']):
        assert got['lesion_type'] == want['lesion_type']
        assert got['score'] == pytest.approx(want['score'])
        # Graphic Data is float32.
        np.testing.assert_array_equal(
            np.float32(got['bbox']), np.float32(want['bbox']))
        assert got['referenced_sop_instance_uid'] == ds.SOPInstanceUID
    assert len({f['tracking_uid'] for f in read['findings']}) == len(FINDINGS)
    codes_read = [(f['code']['scheme'], f['code']['value'])
                  for f in read['findings'][:3]]
    assert codes_read == [(PRIVATE_SCHEME, 'OSTEOPHYTES'), ('SCT', '40388003'),
                          ('SCT', '52988006')]


def test_highdicom_structure(written):
    """The planar groups as highdicom reads them: closed polylines."""
    out, result = written['srs']['short']
    sr = hd.sr.srread(out)
    report = hd.sr.MeasurementReport.from_sequence([sr], copy=False)
    groups = report.get_planar_roi_measurement_groups()
    assert len(groups) == len(result['findings'])
    for group, finding in zip(groups, result['findings']):
        assert group.reference_type == codes.DCM.ImageRegion
        roi = group.roi
        assert roi.graphic_type == hd.sr.GraphicTypeValues.POLYLINE
        points = roi.value
        assert points.shape == (5, 2)
        np.testing.assert_array_equal(points[0], points[-1])
        x1, y1, x2, y2 = np.float32(finding['bbox'])
        np.testing.assert_array_equal(points, [[x1, y1], [x2, y1], [x2, y2],
                                               [x1, y2], [x1, y1]])
        code = LESION_CODES[finding['lesion_type']]
        assert group.finding_type == hd.sr.CodedConcept(*code)
        (prob, ) = group.get_measurements(name=codes.DCM.Probability)
        assert prob.unit == codes.UCUM.NoUnits
        assert prob.value == pytest.approx(finding['score'])
    image_groups = report.get_image_measurement_groups()
    findings = {g.finding_type for g in image_groups}
    assert findings == {codes.SCT.Lesion, codes.SCT.Abnormal}


def test_all_lesion_types(written):
    out, result = written['srs']['full']
    read = read_findings_sr(out)
    assert sorted(f['lesion_type'] for f in read['findings']) == \
        sorted(ALL_LESION_TYPES)
    sct = {
        f['lesion_type']
        for f in read['findings'] if f['code']['scheme'] == 'SCT'
    }
    assert sct == {
        'Surgical implant', 'Foreign body', 'Fracture', 'Other lesions'
    }


@pytest.mark.parametrize('case,p,abnormal', [('empty', 0.12, False),
                                             ('no_classifier', None, None)])
def test_no_finding_says_so(written, case, p, abnormal):
    out, _ = written['srs'][case]
    read = read_findings_sr(out)
    assert read['findings'] == []
    assert read['lesions_present'] is False
    assert read['abnormal'] is abnormal
    assert read['p_abnormal'] == (pytest.approx(p) if p else None)
    assert read['referenced_sop_instance_uids'] == \
        [written['ds'].SOPInstanceUID]


def test_written_atomically(written):
    assert not [f for f in os.listdir(written['dir']) if TMP_MARK in f]


def test_box_clipped_to_grid(tmp_path):
    src, ds = _source(tmp_path)
    result = result_dict(
        ds, [finding_dict('Fracture', 0.8, [-0.01, 3, 56.02, 80])])
    out = str(tmp_path / 'sr.dcm')
    with warnings.catch_warnings():
        # round-off beyond the grid is clipped without a word
        warnings.simplefilter('error')
        write_findings_sr(src, result, out)
    assert read_findings_sr(out)['findings'][0]['bbox'] == \
        [0.0, 3.0, float(COLUMNS), float(ROWS)]


def test_deidentified_source(tmp_path):
    """A source without the type 2 patient/study attributes still works."""
    src, ds = _source(tmp_path)
    removed = ('PatientName', 'PatientID', 'PatientBirthDate', 'StudyDate',
               'StudyTime', 'StudyID', 'AccessionNumber',
               'ReferringPhysicianName')
    for keyword in removed:
        delattr(ds, keyword)
    out = str(tmp_path / 'sr.dcm')
    write_findings_sr(ds, result_dict(ds, FINDINGS[:1]), out)
    sr = pydicom.dcmread(out)
    for keyword in removed:
        assert keyword in sr and not sr[keyword].value
    assert read_findings_sr(out)['findings'][0]['bbox'] == pytest.approx(
        FINDINGS[0]['bbox'])
    assert 'PatientID' not in ds  # the caller's dataset is left alone


@pytest.mark.parametrize('change,match', [
    (dict(sop_instance_uid=None), 'no .sop_instance_uid'),
    (dict(study_instance_uid=''), 'study_instance_uid None does not match'),
    (dict(sop_instance_uid='1.2.3'), 'does not match the source'),
    (dict(rows=ROWS + 1), 'rows=81'),
    (dict(status='failed', reason='colour'), 'status .failed'),
    (dict(findings=[finding_dict('', 0.5, [0, 0, 1, 1])]),
     'finding 0: lesion_type: class name must be a non-empty string'),
    (dict(findings=[finding_dict('Fracture', 0.5, [5, 0, 1, 1])]),
     'finding 0: bbox .* is not xyxy'),
    (dict(findings=[finding_dict('Fracture', 0.5, [0, 1])]),
     'finding 0: bbox must be 4 numbers'),
    (dict(findings=[finding_dict('Fracture', 1.5, [0, 0, 1, 1])]),
     r'score must lie in \[0, 1\]'),
    (dict(p_abnormal=float('nan')), r'p_abnormal must lie in \[0, 1\]'),
])
def test_badresult_dict(tmp_path, change, match):
    src, ds = _source(tmp_path)
    result = dict(result_dict(ds, FINDINGS), **change)
    out = tmp_path / 'sr.dcm'
    with pytest.raises(ValueError, match=match) as info:
        write_findings_sr(src, result, str(out))
    assert 'src.dicom' in str(info.value)
    assert not out.exists()


def test_source_not_dicom(tmp_path):
    bad = tmp_path / 'scan.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\nnot a dicom')
    src, ds = _source(tmp_path)
    with pytest.raises(ValueError, match='scan.png: source is not a DICOM'):
        write_findings_sr(
            str(bad), result_dict(ds, FINDINGS), str(tmp_path / 'sr.dcm'))
    with pytest.raises(ValueError, match='not a DICOM SR'):
        read_findings_sr(src)


def test_every_sr_passes_dsrdump_and_dciodvfy(written):
    paths = sorted(p for p, _ in written['srs'].values())
    assert len(paths) == 4
    for path in paths:
        check_sr(path)


def test_ohif_reader_hydrates_everyfinding_dict(written):
    """OHIF's SR reader loads each finding group as a RectangleROI labelled
    with the class, its box within 0.5 px, and reads the score from the
    NUM it takes as the measurement."""
    names = sorted(written['srs'])
    loaded = ohif_hydrate([written['srs'][n][0] for n in names])
    for name, got in zip(names, loaded):
        check_ohif(got, written['srs'][name][1])


def test_any_class_name(tmp_path):
    """Classes other than the VinDr ones get a private code whose meaning
    is the name, and read back as the name."""
    src, ds = _source(tmp_path)
    names = [
        'Kyphosis', 'Schmorl node (upper plate)',
        'A very long class name that goes on beyond sixteen characters',
        'A very long class name that goes on beyond sixteen chars 2',
        'Wirbelkörperfraktur'
    ]
    findings = [
        finding_dict(n, 0.5, [1, 2, 10 + i, 20]) for i, n in enumerate(names)
    ]
    out = str(tmp_path / 'sr.dcm')
    write_findings_sr(src, result_dict(ds, findings), out)
    read = read_findings_sr(out)
    assert [f['lesion_type'] for f in read['findings']] == names
    got = {f['code']['value'] for f in read['findings']}
    assert len(got) == len(names) and all(len(v) <= 16 for v in got)
    for f, name in zip(read['findings'], names):
        assert (f['code']['scheme'], f['code']['meaning']) == \
            (PRIVATE_SCHEME, name)
        assert class_code(name) == (f['code']['value'], PRIVATE_SCHEME, name)
    assert class_code('Fracture') == ('72704001', 'SCT', 'Fracture')
    # names that differ in case or punctuation only get codes of their own
    values = {class_code(n)[0] for n in ('a-b', 'a b', 'A B', 'a_b')}
    assert len(values) == 4 and all(len(v) <= 16 for v in values)
    check_sr(out)


def test_legacy_source_without_dicm_prefix(tmp_path):
    """A source dicom2png reads forced (no preamble, no 'DICM') gets its SR
    too, with the UIDs of its header."""
    from mmspine.dicom import write_legacy_dicom
    _, ds = _source(tmp_path)
    legacy = str(tmp_path / 'legacy.dcm')
    write_legacy_dicom(legacy, ds)
    with open(legacy, 'rb') as f:
        assert f.read(132)[128:] != b'DICM'
    out = str(tmp_path / 'legacy_sr.dcm')
    write_findings_sr(legacy, result_dict(ds, FINDINGS[:1]), out)
    back = read_findings_sr(out)
    assert back['study_instance_uid'] == ds.StudyInstanceUID
    assert back['referenced_sop_instance_uids'] == [ds.SOPInstanceUID]
    assert len(back['findings']) == 1


def test_box_beyond_grid_is_clipped_with_a_warning(tmp_path):
    """Sparse R-CNN does not clip its boxes: beyond round-off, the SR
    holds the part on the image and a warning names file and findings."""
    src, ds = _source(tmp_path)
    # 2 px is the tolerance on these small sides
    findings = [
        finding_dict('Fracture', 0.8, [1, 3, 20, 40]),
        finding_dict('Fracture', 0.7, [-1.5, 3, 20, ROWS + 1.9]),
        finding_dict('Fracture', 0.6, [-2.5, 3, 20, 40]),
        finding_dict('Ankylosis', 0.5, [5, -500, 400, 50]),
    ]
    out = str(tmp_path / 'sr.dcm')
    with pytest.warns(BoxClippedWarning) as record:
        write_findings_sr(src, result_dict(ds, findings), out)
    (warning, ) = record
    assert 'src.dicom: 2 finding box(es) reach beyond the 56 x 80' in \
        str(warning.message)
    assert 'findings 2, 3; finding 3: [5, -500, 400, 50]' in \
        str(warning.message)
    boxes = [f['bbox'] for f in read_findings_sr(out)['findings']]
    assert boxes == [[1, 3, 20, 40], [0, 3, 20, ROWS], [0, 3, 20, 40],
                     [5, 0, COLUMNS, 50]]
