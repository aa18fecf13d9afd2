"""Read a findings SR of :mod:`mmspine.dicom.sr` back: boxes, classes,
scores and the image-level probability and call. Free of torch and mmdet.
"""
import os
from typing import List, Optional, Union

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from .sr_codes import (ABNORMAL, ALGORITHM_NAME, ALGORITHM_PARAMETERS,
                       ALGORITHM_VERSION, COMMENT, FINDING, IMAGE_FINDING,
                       IMAGE_REGION, IMAGING_MEASUREMENTS, MEASUREMENT_GROUP,
                       NORMAL, PRESENCE, PRESENT, PROBABILITY, SR_SOP_CLASSES,
                       STANDARD_CLASS_CODES, TITLE, TRACKING_UID, Code)


def _key(code) -> tuple:
    """(value, scheme) of a :data:`Code` or a Code Sequence item."""
    if isinstance(code, tuple):
        return code[0], code[1]
    return code.CodeValue, code.CodingSchemeDesignator


def _concept_of(item: Dataset) -> tuple:
    return _key(item.ConceptNameCodeSequence[0])


def _children(item: Dataset, concept: Code) -> List[Dataset]:
    """Direct content items of ``item`` named ``concept``."""
    key = _key(concept)
    return [
        child for child in item.get('ContentSequence', [])
        if 'ConceptNameCodeSequence' in child and _concept_of(child) == key
    ]


def _code_value(item: Dataset) -> Dataset:
    return item.ConceptCodeSequence[0]


def _read_group(group: Dataset) -> dict:
    """The parts of one Measurement Group that the writer puts there."""
    out = dict(
        finding=None,
        probability=None,
        region=None,
        comment=None,
        presence=None,
        tracking_uid=None,
        algorithm=dict(name=None, version=None, parameters=[]))
    for item in _children(group, FINDING):
        out['finding'] = _code_value(item)
    for item in _children(group, PROBABILITY):
        out['probability'] = float(item.MeasuredValueSequence[0].NumericValue)
    for item in _children(group, IMAGE_REGION):
        out['region'] = item
    for item in _children(group, COMMENT):
        out['comment'] = item.TextValue
    for item in _children(group, PRESENCE):
        out['presence'] = _key(_code_value(item)) == _key(PRESENT)
    for item in _children(group, TRACKING_UID):
        out['tracking_uid'] = item.UID
    algo = out['algorithm']
    for item in _children(group, ALGORITHM_NAME):
        algo['name'] = item.TextValue
    for item in _children(group, ALGORITHM_VERSION):
        algo['version'] = item.TextValue
    for item in _children(group, ALGORITHM_PARAMETERS):
        algo['parameters'].append(item.TextValue)
    return out


_STANDARD_NAMES = {_key(c): n for n, c in STANDARD_CLASS_CODES.items()}


def _class_name(code: Dataset, comment: Optional[str]) -> str:
    """The class name of a finding: the Comment the writer puts beside the
    code, else the name behind a standard code, else the code's meaning."""
    if comment:
        return comment
    return _STANDARD_NAMES.get(_key(code), code.CodeMeaning)


def read_findings_sr(path: Union[str, os.PathLike]) -> dict:
    """Read an SR written by :func:`write_findings_sr` back into a dict.

    Plain pydicom walks the content tree, so the check does not go through
    the code that wrote it.

    Returns:
        dict: ``study_instance_uid``, ``series_instance_uid``,
        ``sop_instance_uid`` and ``sop_class_uid`` of the SR;
        ``referenced_sop_instance_uids`` (the source image(s) in the
        current requested procedure evidence); ``findings`` (each with
        ``lesion_type`` (the class name), ``code`` (value, scheme,
        meaning), ``score``, ``bbox`` xyxy from the polyline,
        ``graphic_type``, ``tracking_uid``, ``referenced_sop_instance_uid``);
        ``p_abnormal`` and ``abnormal`` (None when the report has none);
        ``lesions_present``; ``algorithm`` (name, version, parameters).

    Raises:
        ValueError: If ``path`` is not a DICOM SR Measurement Report.
    """
    path = os.fspath(path)
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError) as e:
        raise ValueError(f'{path}: not a readable DICOM file ({e})') from e
    if ds.get('SOPClassUID') not in SR_SOP_CLASSES:
        raise ValueError(f'{path}: not a DICOM SR document (SOP class '
                         f'{ds.get("SOPClassUID")})')
    containers = _children(ds, IMAGING_MEASUREMENTS)
    if ('ConceptNameCodeSequence' not in ds or _concept_of(ds) != _key(TITLE)
            or not containers):
        raise ValueError(f'{path}: not an Imaging Measurement Report with '
                         'Imaging Measurements')
    evidence = [
        ref.ReferencedSOPInstanceUID
        for study in ds.get('CurrentRequestedProcedureEvidenceSequence', [])
        for series in study.ReferencedSeriesSequence
        for ref in series.ReferencedSOPSequence
    ]
    out = dict(
        study_instance_uid=ds.StudyInstanceUID,
        series_instance_uid=ds.SeriesInstanceUID,
        sop_instance_uid=ds.SOPInstanceUID,
        sop_class_uid=ds.SOPClassUID,
        referenced_sop_instance_uids=evidence,
        findings=[],
        p_abnormal=None,
        abnormal=None,
        lesions_present=None,
        algorithm=None)
    calls = {_key(NORMAL): False, _key(ABNORMAL): True}
    for group in _children(containers[0], MEASUREMENT_GROUP):
        parts = _read_group(group)
        finding = parts['finding']
        region = parts['region']
        if region is not None:
            points = np.asarray(
                region.GraphicData, dtype=np.float64).reshape(-1, 2)
            refs = [
                ref.ReferencedSOPInstanceUID
                for src in region.get('ContentSequence', [])
                for ref in src.get('ReferencedSOPSequence', [])
            ]
            out['findings'].append(
                dict(
                    lesion_type=_class_name(finding, parts['comment']),
                    code=dict(
                        value=finding.CodeValue,
                        scheme=finding.CodingSchemeDesignator,
                        meaning=finding.CodeMeaning),
                    score=parts['probability'],
                    bbox=[
                        float(points[:, 0].min()),
                        float(points[:, 1].min()),
                        float(points[:, 0].max()),
                        float(points[:, 1].max())
                    ],
                    graphic_type=region.GraphicType,
                    tracking_uid=parts['tracking_uid'],
                    referenced_sop_instance_uid=refs[0] if refs else None))
        elif finding is not None and _key(finding) == _key(IMAGE_FINDING):
            out['p_abnormal'] = parts['probability']
            out['lesions_present'] = parts['presence']
            out['algorithm'] = parts['algorithm']
        elif finding is not None and _key(finding) in calls:
            out['abnormal'] = calls[_key(finding)]
    return out


__all__ = ['read_findings_sr']
