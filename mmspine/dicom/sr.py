"""Write inference findings as DICOM Structured Reports and read them back.

One Measurement Report (TID 1500) per source radiograph, in a
Comprehensive SR document of the source's study (a new series). 2D image
coordinates need no Comprehensive 3D SR; dcmtk's ``dsrdump`` accepts this
content as Enhanced, Comprehensive and Comprehensive 3D SR alike, and
Comprehensive SR is the usual carrier of 2D measurement reports.

* one planar ROI group (TID 1410) per finding: the box as a closed POLYLINE
  in the source image's pixel grid, the lesion type as the group's Finding,
  the detection score as a Probability (DCM 122157), a tracking identifier
  and UID, and the algorithm (TID 4019: name, version, model in the
  parameters);
* one image-level group (TID 1501) that references the source image and
  holds p(abnormal) as a Probability of 'Lesion', the Normal/Abnormal call
  as 'Finding' and whether any lesion box was reported as 'Presence of
  property' (so an image without findings still gets a report that says
  so).

Lesion types without a checked standard code use the private scheme
:data:`PRIVATE_SCHEME`, declared in the Coding Scheme Identification
Sequence. Free of torch and mmdet.

Coordinates follow DICOM's image coordinate system (PS3.3 C.18.6.1.2):
(0, 0) is the top left corner of the top left pixel, so a box edge at
``x`` in the detector's pixel grid is ``x`` here too. Graphic Data is
float32, which bounds the precision of what is read back.
"""
import math
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import highdicom as hd
import numpy as np
import pydicom
from highdicom.coding_schemes import CodingSchemeIdentificationItem
from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from ..fileio import write_atomic
from ..metainfo import ALL_LESION_TYPES
from ..version import __version__
from .convert import InputError, read_dicom

#: Designator of the private coding scheme for lesion types that have no
#: checked standard code ('99' prefix: local schemes, PS3.16 8.2).
PRIVATE_SCHEME = '99MMSPINE'
PRIVATE_SCHEME_NAME = 'mmspine spinal lesion types'

_SCT_LESION_CODES = {
    'Surgical implant': ('40388003', 'Implant'),
    'Foreign body': ('19227008', 'Foreign body'),
    'Fracture': ('72704001', 'Fracture'),
    'Other lesions': ('52988006', 'Lesion'),
}

_PRIVATE_LESION_CODES = {
    'Osteophytes': 'OSTEOPHYTES',
    'Spondylolysthesis': 'SPONDYLOLISTHES',
    'Foraminal stenosis': 'FORAMINAL_STEN',
    'Disc space narrowing': 'DISC_SPACE_NARR',
    'Vertebral collapse': 'VERT_COLLAPSE',
    'Ankylosis': 'ANKYLOSIS',
    'Enthesophytes': 'ENTHESOPHYTES',
    'Sclerotic lesion': 'SCLEROTIC_LES',
    'Subchondral sclerosis': 'SUBCHONDRAL_SCL',
}


def _lesion_codes() -> Dict[str, CodedConcept]:
    table = {
        name: CodedConcept(value, 'SCT', meaning)
        for name, (value, meaning) in _SCT_LESION_CODES.items()
    }
    table.update({
        name: CodedConcept(value, PRIVATE_SCHEME, name)
        for name, value in _PRIVATE_LESION_CODES.items()
    })
    assert set(table) == set(ALL_LESION_TYPES)
    return table


#: The coded concept of each of the 13 VinDr-SpineXR lesion types.
LESION_CODES = _lesion_codes()

#: Document title: Imaging Measurement Report.
TITLE = codes.DCM.ImagingMeasurementReport
#: Procedure reported: plain radiography.
PROCEDURE = codes.SCT.PlainRadiography
#: Unit of probabilities: UCUM '1' (no units).
NO_UNITS = codes.UCUM.NoUnits
# Converted once: highdicom converts a pydicom Code on every use.
_PROBABILITY = CodedConcept.from_code(codes.DCM.Probability)
_NO_UNITS = CodedConcept.from_code(NO_UNITS)
#: Finding type of the image-level group: p(abnormal) is the probability
#: that the image shows a lesion.
IMAGE_FINDING = codes.SCT.Lesion
#: Tracking identifiers of the two image-level groups.
IMAGE_LESION_GROUP = 'image: lesion'
IMAGE_CALL_GROUP = 'image: normal/abnormal call'

#: SOP classes :func:`read_findings_sr` accepts.
SR_SOP_CLASSES = (hd.sr.sop.ComprehensiveSRStorage,
                  hd.sr.sop.Comprehensive3DSRStorage,
                  hd.sr.sop.EnhancedSRStorage)

_UID_KEYS = ('study_instance_uid', 'series_instance_uid', 'sop_instance_uid')


def _coding_schemes() -> List[CodingSchemeIdentificationItem]:
    return [
        CodingSchemeIdentificationItem(
            designator=PRIVATE_SCHEME,
            name=PRIVATE_SCHEME_NAME,
            version=__version__,
            responsible_organization='mmspine'),
        CodingSchemeIdentificationItem(
            designator='SCT', name='SNOMED CT', uid='2.16.840.1.113883.6.96'),
        CodingSchemeIdentificationItem(
            designator='DCM',
            name='DICOM Controlled Terminology',
            uid='1.2.840.10008.2.16.4'),
        CodingSchemeIdentificationItem(
            designator='UCUM',
            name='Unified Code for Units of Measure',
            uid='2.16.840.1.113883.6.8'),
    ]


def _read_source(source: Union[str, os.PathLike, Dataset]) -> Dataset:
    if isinstance(source, Dataset):
        return source
    path = os.fspath(source)
    if not osp.isfile(path):
        raise ValueError(f'{path}: cannot read the source (no such file)')
    try:
        # The SR needs the patient, study and image header, not the pixels;
        # legacy files without the DICM prefix are read as dicom2png does.
        return read_dicom(path, stop_before_pixels=True)
    except InputError as e:
        raise ValueError(f'{path}: source is not a DICOM file ({e})') from e


#: Type 2 patient and study attributes an SR copies from its source; a
#: de-identified source may lack them, and the SR then has them empty.
_TYPE2_COPIED = ('PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex',
                 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID',
                 'AccessionNumber')


def _evidence_header(ds: Dataset) -> Dataset:
    """The source's header (no pixels) with every copied attribute present.
    """
    header = Dataset()
    for elem in ds:
        if elem.tag.group < 0x7FE0:
            header.add(elem)
    for keyword in _TYPE2_COPIED:
        if keyword not in header:
            setattr(header, keyword, '')
    return header


def _source_name(source, ds: Dataset) -> str:
    if isinstance(source, Dataset):
        return getattr(ds, 'filename', None) or 'source dataset'
    return os.fspath(source)


def _check_result(result: dict, ds: Dataset, where: str) -> None:
    """Check that ``result`` is a successful result for the image ``ds``."""
    if not isinstance(result, dict):
        raise TypeError(f'{where}: result must be a dict, got '
                        f'{type(result).__name__}')
    if result.get('status', 'ok') != 'ok':
        raise ValueError(f'{where}: result has status '
                         f'{result.get("status")!r} '
                         f'({result.get("reason", "")}); no SR for it')
    if not ds.get('SOPClassUID'):
        raise ValueError(f'{where}: source has no SOPClassUID')
    for key in _UID_KEYS:
        if not result.get(key):
            raise ValueError(f'{where}: result has no {key!r}; an SR needs '
                             'the UIDs of its DICOM source')
    for key, attr in zip(_UID_KEYS, ('StudyInstanceUID', 'SeriesInstanceUID',
                                     'SOPInstanceUID')):
        value = getattr(ds, attr, None)
        if value is None:
            raise ValueError(f'{where}: source has no {attr}')
        if str(value) != str(result[key]):
            raise ValueError(f'{where}: result {key} {result[key]} does '
                             f'not match the source {attr} {value}')
    for key, attr in (('rows', 'Rows'), ('columns', 'Columns')):
        if getattr(ds, attr, None) is None:
            raise ValueError(f'{where}: source has no {attr}')
        if result.get(key) is not None and int(result[key]) != int(
                getattr(ds, attr)):
            raise ValueError(f'{where}: result {key}={result[key]} but the '
                             f'source has {attr}={getattr(ds, attr)}')
    if not isinstance(result.get('findings', []), list):
        raise ValueError(f'{where}: result "findings" must be a list')


class BoxClippedWarning(UserWarning):
    """Finding boxes reached beyond the source's pixel grid and were clipped
    in the SR by more than :func:`box_tolerance`."""


def box_tolerance(size: int) -> float:
    """How far (px) a box edge may lie outside a side of ``size`` pixels
    and be clipped as round-off, without a :class:`BoxClippedWarning`.

    1 % of the side, at least 2 px: more than resize round-off (at most a
    pixel of the detector's input, a few px of a 2,500 px grid).
    """
    return max(2.0, 0.01 * size)


def _box_polyline(bbox: Sequence[float], rows: int, columns: int,
                  where: str) -> Tuple[np.ndarray, float]:
    """The closed polyline (5 points, first == last) of an xyxy box, clipped
    to the grid, and how far (px) the box reached beyond the grid."""
    try:
        x1, y1, x2, y2 = (float(v) for v in bbox)
    except (TypeError, ValueError) as e:
        raise ValueError(f'{where}: bbox must be 4 numbers [x1, y1, x2, '
                         f'y2], got {bbox!r}') from e
    if not all(map(math.isfinite, (x1, y1, x2, y2))):
        raise ValueError(f'{where}: bbox has a non-finite value: {bbox!r}')
    if x2 < x1 or y2 < y1:
        raise ValueError(f'{where}: bbox {bbox!r} is not xyxy (x2 < x1 or '
                         'y2 < y1)')
    # relative to the tolerance of each side, so that one number says
    # whether the box is beyond round-off
    beyond = max(0., -x1 - box_tolerance(columns),
                 x2 - columns - box_tolerance(columns),
                 -y1 - box_tolerance(rows), y2 - rows - box_tolerance(rows))
    x1, x2 = (min(max(v, 0.0), float(columns)) for v in (x1, x2))
    y1, y2 = (min(max(v, 0.0), float(rows)) for v in (y1, y2))
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]],
                    dtype=np.float32), beyond


def _lesion_code(finding: dict, where: str) -> CodedConcept:
    name = finding.get('lesion_type')
    if name not in LESION_CODES:
        raise ValueError(f'{where}: unknown lesion_type {name!r}; expected '
                         f'one of {", ".join(ALL_LESION_TYPES)}')
    return LESION_CODES[name]


def _score(value, key: str, where: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f'{where}: {key} must be a number, got '
                         f'{value!r}') from e
    if not 0.0 <= value <= 1.0:
        raise ValueError(f'{where}: {key} must lie in [0, 1], got {value}')
    return value


def default_model_name(result: dict) -> str:
    """The detector names of ``result['model']`` joined by '+'."""
    model = result.get('model') or {}
    return '+'.join(model.get('detectors') or []) or 'unknown'


def build_findings_sr(source: Union[str, os.PathLike, Dataset],
                      result: dict,
                      *,
                      algorithm_name: str = 'mmspine',
                      algorithm_version: str = __version__,
                      model_name: Optional[str] = None,
                      series_number: int = 9001,
                      series_instance_uid: Optional[str] = None,
                      sop_instance_uid: Optional[str] = None,
                      instance_number: int = 1,
                      fast: bool = True) -> hd.sr.ComprehensiveSR:
    """Build the SR of one inference result (:func:`write_findings_sr`
    writes it).

    Args:
        source, result: As for :func:`write_findings_sr`.
        algorithm_name (str): Algorithm Name (DCM 111001).
        algorithm_version (str): Algorithm Version (DCM 111003).
        model_name (str, optional): Model, recorded in the Algorithm
            Parameters; defaults to the result's detector names.
        series_number (int): Series Number of the SR.
        series_instance_uid (str, optional): Series of the SR, e.g. one for
            all SRs of a run in a study; a new UID when None.
        sop_instance_uid (str, optional): The SR's UID; new when None.
        instance_number (int): Instance Number of the SR.
        fast (bool): False lets highdicom's constructor walk the whole
            content tree (the same document, 3x slower with 100 findings;
            kept to check the fast path against).
    """
    ds = _read_source(source)
    where = _source_name(source, ds)
    _check_result(result, ds, where)
    rows, columns = int(ds.Rows), int(ds.Columns)
    if model_name is None:
        model_name = default_model_name(result)
    params = [f'model={model_name}']
    classifiers = (result.get('model') or {}).get('classifiers') or []
    if classifiers:
        params.append('classifiers=' + '+'.join(classifiers))
    rule = result.get('rule')
    if rule:
        params.append(f'rule c={rule.get("c")} k={rule.get("k")}')
    algorithm = hd.sr.AlgorithmIdentification(
        name=algorithm_name, version=str(algorithm_version), parameters=params)

    ref_region = hd.sr.SourceImageForRegion(
        referenced_sop_class_uid=ds.SOPClassUID,
        referenced_sop_instance_uid=ds.SOPInstanceUID)
    groups = []
    findings = result.get('findings') or []
    clipped = {}
    for i, finding in enumerate(findings):
        here = f'{where}: finding {i}'
        if not isinstance(finding, dict):
            raise ValueError(f'{here}: must be a dict, got {finding!r}')
        polyline, beyond = _box_polyline(
            finding.get('bbox'), rows, columns, here)
        if beyond > 0:
            clipped[i] = beyond
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=polyline,
            source_image=ref_region)
        score = _score(finding.get('score'), 'score', here)
        code = _lesion_code(finding, here)
        name = finding['lesion_type']
        groups.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=generate_uid(),
                    identifier=f'finding {i + 1}: {name}'[:64]),
                referenced_region=region,
                finding_type=code,
                algorithm_id=algorithm,
                measurements=[
                    hd.sr.Measurement(
                        name=_PROBABILITY, value=score, unit=_NO_UNITS)
                ]))

    if clipped:
        # A detector's box may reach past the image (Sparse R-CNN does not
        # clip its boxes); the SR can only hold what lies on the image.
        # findings.json keeps the box as the model gave it.
        worst = max(clipped, key=clipped.get)
        listed = ', '.join(
            str(i)
            for i in list(clipped)[:8]) + (', ...' if len(clipped) > 8 else '')
        warnings.warn(
            f'{where}: {len(clipped)} finding box(es) reach beyond the '
            f'{columns} x {rows} (columns x rows) pixel grid by more than '
            f'round-off (findings {listed}; finding {worst}: '
            f'{findings[worst]["bbox"]}); clipped to the grid in the SR',
            BoxClippedWarning)

    # Image level. The lesion group is always present, so a report
    # without findings says so; the call gets a group of its own because
    # a group has one Finding.
    source_images = [
        hd.sr.SourceImageForMeasurementGroup(
            referenced_sop_class_uid=ds.SOPClassUID,
            referenced_sop_instance_uid=ds.SOPInstanceUID)
    ]
    measurements = []
    if result.get('p_abnormal') is not None:
        measurements.append(
            hd.sr.Measurement(
                name=_PROBABILITY,
                value=_score(result['p_abnormal'], 'p_abnormal', where),
                unit=_NO_UNITS))
    groups.append(
        hd.sr.MeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(
                uid=generate_uid(), identifier=IMAGE_LESION_GROUP),
            finding_type=IMAGE_FINDING,
            algorithm_id=algorithm,
            measurements=measurements or None,
            qualitative_evaluations=[
                hd.sr.QualitativeEvaluation(
                    name=codes.DCM.PresenceOfProperty,
                    value=codes.DCM.Present if findings else codes.DCM.Absent)
            ],
            source_images=source_images))
    if result.get('abnormal') is not None:
        groups.append(
            hd.sr.MeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=generate_uid(), identifier=IMAGE_CALL_GROUP),
                finding_type=codes.SCT.Abnormal
                if result['abnormal'] else codes.SCT.Normal,
                algorithm_id=algorithm,
                source_images=source_images))

    # A stable device UID per algorithm and version.
    device_uid = generate_uid(
        entropy_srcs=[algorithm_name, str(algorithm_version)])
    observation_context = hd.sr.ObservationContext(
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Device,
            observer_identifying_attributes=hd.sr.
            DeviceObserverIdentifyingAttributes(
                uid=device_uid,
                name=algorithm_name,
                model_name=model_name[:64])))
    report = hd.sr.MeasurementReport(
        observation_context=observation_context,
        procedure_reported=PROCEDURE,
        imaging_measurements=groups,
        title=TITLE)
    with warnings.catch_warnings():
        # highdicom questions the source's one-component Patient's Name
        # ('Anonymous'); the SR copies it as it is, so the warning would
        # only repeat for every image of a batch.
        warnings.filterwarnings(
            'ignore', message='.*unlikely to represent the intended person')
        return _comprehensive_sr(ds, report, algorithm_name, series_number,
                                 series_instance_uid, sop_instance_uid,
                                 instance_number, len(findings), fast)


def _comprehensive_sr(ds,
                      report,
                      algorithm_name,
                      series_number,
                      series_instance_uid,
                      sop_instance_uid,
                      instance_number,
                      num_findings: int = 0,
                      fast: bool = True) -> hd.sr.ComprehensiveSR:
    """The SR document around ``report``.

    highdicom's constructor deep-copies and re-parses the whole content
    tree and walks it twice more for evidence, per content item: 1.5 s of
    the 3 s an SR of 100 findings took. With ``fast``, the planar groups
    (the first ``num_findings`` of the Imaging Measurements) are held out
    while the document is made and put back after, in their place: they
    reference only the source image, which the image-level groups
    reference too, so the evidence is the same and so is every element
    written (``tests/dicom/test_sr.py`` compares both paths).
    """
    container = report[0].ContentSequence[-1]
    # (MeasurementReport puts the Imaging Measurements last)
    fast = fast and num_findings > 0 and \
        container.name == codes.DCM.ImagingMeasurements
    groups = container.ContentSequence
    if fast:
        container.ContentSequence = hd.sr.ContentSequence(
            list(groups)[num_findings:])
    try:
        sr = _make_sr(ds, report, algorithm_name, series_number,
                      series_instance_uid, sop_instance_uid, instance_number)
    finally:
        container.ContentSequence = groups
    if fast:
        # the document's parsed tree, as the constructor would have built
        # it from the full content (without the copy)
        sr._content = hd.sr.ContentSequence([report[0]], is_root=True)
    return sr


def _make_sr(ds, report, algorithm_name, series_number, series_instance_uid,
             sop_instance_uid, instance_number) -> hd.sr.ComprehensiveSR:
    return hd.sr.ComprehensiveSR(
        evidence=[_evidence_header(ds)],
        content=report[0],
        series_instance_uid=series_instance_uid or generate_uid(),
        series_number=series_number,
        sop_instance_uid=sop_instance_uid or generate_uid(),
        instance_number=instance_number,
        manufacturer=algorithm_name,
        is_complete=True,
        # An algorithm's output: not final until a reader has verified it.
        is_final=False,
        is_verified=False,
        series_description=f'{algorithm_name} findings',
        coding_schemes=_coding_schemes())


def write_findings_sr(source: Union[str, os.PathLike, Dataset], result: dict,
                      out_path: str, **options) -> Dataset:
    """Write one inference result as a DICOM SR Measurement Report.

    Args:
        source (str | os.PathLike | pydicom.Dataset): The source radiograph
            (its dataset or path); the SR joins its study.
        result (dict): One element of findings.json's "results" (see
            FINDINGS_SCHEMA): UIDs of the source, findings with
            ``lesion_type``, ``score`` and ``bbox`` (xyxy in the source's
            pixel grid), ``p_abnormal`` and ``abnormal`` (may be None).
        out_path (str): File to write, atomically; folders are created.
        **options: The keyword arguments of :func:`build_findings_sr`.

    Returns:
        pydicom.Dataset: The SR as written.

    Raises:
        ValueError: If the source is not a DICOM file, the result lacks the
            source's UIDs or does not match them, or a finding is malformed
            (the message names the file and the finding).

    Boxes are clipped to the source's pixel grid. A box that reaches beyond
    it by more than round-off (:func:`box_tolerance`) is clipped too, with
    a :class:`BoxClippedWarning` naming the file and the findings.
    """
    sr = build_findings_sr(source, result, **options)
    write_atomic(
        out_path,
        lambda tmp: pydicom.dcmwrite(tmp, sr, enforce_file_format=True))
    return sr


def _key(code) -> tuple:
    """(scheme, value) of a pydicom Code or a Code Sequence item."""
    if hasattr(code, 'scheme_designator'):
        return code.scheme_designator, code.value
    return code.CodingSchemeDesignator, code.CodeValue


def _concept_of(item: Dataset) -> tuple:
    return _key(item.ConceptNameCodeSequence[0])


def _children(item: Dataset, concept) -> List[Dataset]:
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
        presence=None,
        tracking_uid=None,
        algorithm=dict(name=None, version=None, parameters=[]))
    for item in _children(group, codes.DCM.Finding):
        out['finding'] = _code_value(item)
    for item in _children(group, codes.DCM.Probability):
        out['probability'] = float(item.MeasuredValueSequence[0].NumericValue)
    for item in _children(group, codes.DCM.ImageRegion):
        out['region'] = item
    for item in _children(group, codes.DCM.PresenceOfProperty):
        out['presence'] = _key(_code_value(item)) == _key(codes.DCM.Present)
    for item in _children(group, codes.DCM.TrackingUniqueIdentifier):
        out['tracking_uid'] = item.UID
    algo = out['algorithm']
    for item in _children(group, codes.DCM.AlgorithmName):
        algo['name'] = item.TextValue
    for item in _children(group, codes.DCM.AlgorithmVersion):
        algo['version'] = item.TextValue
    for item in _children(group, codes.DCM.AlgorithmParameters):
        algo['parameters'].append(item.TextValue)
    return out


def _lesion_type_of(code: Dataset) -> str:
    for name, concept in LESION_CODES.items():
        if _key(concept) == _key(code):
            return name
    return code.CodeMeaning


def read_findings_sr(path: Union[str, os.PathLike]) -> dict:
    """Read an SR written by :func:`write_findings_sr` back into a dict.

    Plain pydicom walks the content tree, so the check does not go through
    the library that wrote it (and is quicker than highdicom's parser).

    Returns:
        dict: ``study_instance_uid``, ``series_instance_uid``,
        ``sop_instance_uid`` and ``sop_class_uid`` of the SR;
        ``referenced_sop_instance_uids`` (the source image(s) in the
        current requested procedure evidence); ``findings`` (each with
        ``lesion_type``, ``code`` (value, scheme, meaning), ``score``,
        ``bbox`` xyxy from the polyline, ``graphic_type``, ``tracking_uid``,
        ``referenced_sop_instance_uid``); ``p_abnormal`` and ``abnormal``
        (None when the report has none); ``lesions_present``;
        ``algorithm`` (name, version, parameters).

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
    containers = _children(ds, codes.DCM.ImagingMeasurements)
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
    calls = {_key(codes.SCT.Normal): False, _key(codes.SCT.Abnormal): True}
    for group in _children(containers[0], codes.DCM.MeasurementGroup):
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
                    lesion_type=_lesion_type_of(finding),
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


__all__ = [
    'write_findings_sr', 'build_findings_sr', 'read_findings_sr',
    'BoxClippedWarning', 'LESION_CODES', 'PRIVATE_SCHEME', 'box_tolerance',
    'default_model_name'
]
