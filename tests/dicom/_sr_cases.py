"""What the SR tests share: the results they write (the checks every SR
passes are in tests/_tools.py)."""

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
