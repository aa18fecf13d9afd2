"""What the SR tests share: results to write, and the checks every SR the
tests write passes (dcmtk, dicom3tools, OHIF's SR reader)."""
import numpy as np
import pytest
from _tools import dciodvfy_errors, dsrdump_problems

#: Size of the sources the SR tests write.
ROWS, COLUMNS = 80, 56


def result_dict(ds, findings, p_abnormal=0.73, abnormal=True):
    return dict(
        source=ds.filename if hasattr(ds, 'filename') else '',
        image_id='src',
        status='ok',
        reason='',
        is_dicom=True,
        study_instance_uid=ds.StudyInstanceUID,
        series_instance_uid=ds.SeriesInstanceUID,
        sop_instance_uid=ds.SOPInstanceUID,
        sop_class_uid=ds.SOPClassUID,
        rows=ROWS,
        columns=COLUMNS,
        pixel_spacing=[0.15, 0.15],
        p_abnormal=p_abnormal,
        abnormal=abnormal,
        rule=dict(c=0.28, k=0.5) if p_abnormal is not None else None,
        findings=findings,
        model=dict(
            detectors=['det_a', 'det_b'], classifiers=['densenet_tiny']))


def finding_dict(lesion_type, score, bbox):
    return dict(
        label=0,
        lesion_type=lesion_type,
        score=score,
        bbox=bbox,
        bbox_mm=[v * 0.15 for v in bbox])


def check_sr(path, source_uids=(), source_uid_keywords=()):
    """The checks every SR the tests write passes: dcmtk's dsrdump (exit 0,
    nothing on stderr) and dicom3tools' dciodvfy (no Error line), both but
    for non-conformant source UIDs referenced as they are (``source_uids``,
    and the attributes that hold them)."""
    assert dsrdump_problems(path, source_uid_keywords) == [], path
    assert dciodvfy_errors(path, source_uids) == [], path


def check_ohif(got: dict, result: dict, rows=ROWS, columns=COLUMNS):
    findings = result['findings']
    assert len(got['rectangles']) == len(findings), got['path']
    assert got['other'] == {}
    for rect, finding in zip(got['rectangles'], findings):
        assert rect['label'] == finding['lesion_type']
        assert rect['measurement'] == 'Probability'
        assert rect['score'] == pytest.approx(finding['score'], abs=1e-6)
        x1, y1, x2, y2 = finding['bbox']
        x1, x2 = (min(max(v, 0), columns) for v in (x1, x2))
        y1, y2 = (min(max(v, 0), rows) for v in (y1, y2))
        points = np.array(rect['points'])[:, :2]
        # RectangleROI's handles: top left, top right, bottom left, bottom
        # right
        np.testing.assert_allclose(
            points, [[x1, y1], [x2, y1], [x1, y2], [x2, y2]], atol=0.5)
        assert rect['sopInstanceUid'] == result['sop_instance_uid']
