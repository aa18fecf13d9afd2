"""Write inference findings as DICOM Structured Reports and read them back.

One Measurement Report (TID 1500) per source radiograph, in a
Comprehensive SR document (always; 2D image coordinates need no
Comprehensive 3D SR) of the source's study, in a new series.

* one planar ROI group (TID 1410) per finding: a tracking identifier and
  UID, the class as the group's Finding, the box as a closed 5-point
  POLYLINE in the source image's pixel grid (Image Region), the detection
  score as a Probability NUM (DCM 122157) that carries the same POLYLINE
  (TID 300 allows a measurement to be INFERRED FROM spatial coordinates,
  TID 320), and the class name as a Comment (DCM 121106);
* one image-level group (TID 1501) that references the source image and
  holds p(abnormal) as a Probability of 'Lesion', whether any box was
  reported as 'Presence of property' (so an image without findings still
  gets a report that says so) and the algorithm (TID 4019); the
  Normal/Abnormal call gets a group of its own (a group has one Finding).

Where the score goes: TID 1410 takes measurements through TID 1419 (NUMs)
and qualitative evaluations (CODE or TEXT), so a score is a NUM there.
highdicom puts that NUM directly in the group, beside the group's Image
Region; OHIF's SR reader (``@cornerstonejs/adapters``) takes a group's
first NUM as its measurement and looks for the SCOORD under it, so such a
group does not load there. A NUM that carries its SCOORD is in both
templates and loads; the group's own Image Region stays, as TID 1410 asks
for it and the reader picks the tool (RectangleROI) from it. The reader
labels a measurement with a Comment, the way it writes labels itself.

Classes with a checked standard code (``../shared/sr-codes.md``) get it;
any other class name gets a code of the private scheme
:data:`PRIVATE_SCHEME` (declared in the Coding Scheme Identification
Sequence) with the name as its meaning, and :func:`read_findings_sr` gives
the name back.

From the source the SR copies only what the Patient and General Study
modules need, each value checked and repaired or dropped
(:mod:`mmspine.dicom.sanitize`), with a :class:`HeaderRepairWarning` per
change. A source without Study or Series Instance UID gets an SR in a new
study, with a warning; a source without SOP Class or SOP Instance UID
cannot be referenced and gets none, nor does a source of a private SOP
class (the SR's regions must be selected from an IMAGE item of a standard
class; dcmtk rejects the SR otherwise). Source UIDs are referenced as
they are, conformant or not: they name instances in an archive.

The document is built with pydicom alone: highdicom's Measurement cannot
hold an SCOORD (only images) under its NUM, and building and writing is
about 5x quicker this way (``benchmarks/README.md``); every element
written is ours to choose.
Free of torch and mmdet.

Coordinates follow DICOM's image coordinate system (PS3.3 C.18.6.1.2):
(0, 0) is the top left corner of the top left pixel, so a box edge at
``x`` in the detector's pixel grid is ``x`` here too. Graphic Data is
float32, which bounds the precision of what is read back.
"""
import datetime
import math
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pydicom
from pydicom.charset import convert_encodings, default_encoding
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_sequence
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import (ComprehensiveSRStorage, ExplicitVRLittleEndian,
                         generate_uid)

from ..fileio import write_atomic
from ..version import __version__
from .convert import InputError, read_dicom
from .sanitize import (HeaderRepairWarning, Repair, copy_attributes,
                       source_charset_note)
from .sr_codes import (ABNORMAL, ABSENT, ALGORITHM_NAME, ALGORITHM_PARAMETERS,
                       ALGORITHM_VERSION, COMMENT, FINDING, IMAGE_CALL_GROUP,
                       IMAGE_FINDING, IMAGE_LESION_GROUP, IMAGE_REGION,
                       IMAGING_MEASUREMENTS, LESION_CODES, MEASUREMENT_GROUP,
                       NO_UNITS, NORMAL, PRESENCE, PRESENT, PRIVATE_SCHEME,
                       PRIVATE_SCHEME_NAME, PROBABILITY, PROCEDURE,
                       SOURCE_OF_MEASUREMENT, STANDARD_CLASS_CODES, TITLE,
                       TRACKING_ID, TRACKING_UID, Code, class_code)
from .sr_read import read_findings_sr

_UID_KEYS = dict(
    study_instance_uid='StudyInstanceUID',
    series_instance_uid='SeriesInstanceUID',
    sop_instance_uid='SOPInstanceUID')

#: Patient and General Study attributes the SR copies from its source
#: (Patient Study: the age), Type 2 ones written empty where absent.
PATIENT_STUDY_TYPE2 = ('PatientName', 'PatientID', 'PatientBirthDate',
                       'PatientSex', 'StudyDate', 'StudyTime',
                       'ReferringPhysicianName', 'StudyID', 'AccessionNumber')
PATIENT_STUDY_OPTIONAL = ('PatientAge', 'StudyDescription')


def _dataset() -> Dataset:
    """A dataset to be written as explicit VR little endian: marked so, so
    that pydicom writes it without searching it for ambiguous VRs (it has
    none) and writes the pre-encoded elements below as they are."""
    ds = Dataset()
    ds.set_original_encoding(False, True, default_encoding)
    return ds


def _code_item(code: Code) -> Dataset:
    item = _dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code
    return item


def _code_seq(code: Code) -> DicomSequence:
    return DicomSequence([_code_item(code)])


def _encoded(tag: int, items: List[Dataset]) -> RawDataElement:
    """A sequence of ASCII-only items, encoded once: every group has the
    same concept names, units, template and image reference, and writing
    them as bytes instead of datasets is most of the SR writer's speed."""
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    write_sequence(fp, DataElement(tag, 'SQ', DicomSequence(items)),
                   [default_encoding])
    value = fp.getvalue()
    return RawDataElement(Tag(tag), 'SQ', len(value), value, 0, False, True)


_CONCEPT_NAME = 0x0040A043  # Concept Name Code Sequence
_CONCEPT_CODE = 0x0040A168  # Concept Code Sequence
_UNITS = 0x004008EA  # Measurement Units Code Sequence
_TEMPLATE = 0x0040A504  # Content Template Sequence
_CONTENT = 0x0040A730  # Content Sequence
_ENCODED: Dict[Tuple[int, Code], RawDataElement] = {}


def _set_code(item: Dataset, tag: int, code: Code) -> None:
    """Set the code sequence ``tag`` of ``item`` to ``code``."""
    if not ''.join(code).isascii():
        # (a class name in another script: encoded with the SR's charset)
        item[tag] = DataElement(tag, 'SQ', _code_seq(code))
        return
    elem = _ENCODED.get((tag, code))
    if elem is None:
        elem = _ENCODED[tag, code] = _encoded(tag, [_code_item(code)])
    item[tag] = elem


def _content_item(relationship: str, value_type: str,
                  name: Optional[Code]) -> Dataset:
    item = _dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    if name is not None:
        _set_code(item, _CONCEPT_NAME, name)
    return item


def _text(relationship: str, name: Code, text: str) -> Dataset:
    item = _content_item(relationship, 'TEXT', name)
    item.TextValue = text
    return item


def _code(relationship: str, name: Code, value: Code) -> Dataset:
    item = _content_item(relationship, 'CODE', name)
    _set_code(item, _CONCEPT_CODE, value)
    return item


def _uidref(relationship: str, name: Code, uid: str) -> Dataset:
    item = _content_item(relationship, 'UIDREF', name)
    item.UID = uid
    return item


def _image(relationship: str, name: Optional[Code],
           ref: DicomSequence) -> Dataset:
    item = _content_item(relationship, 'IMAGE', name)
    item.ReferencedSOPSequence = ref
    return item


def _num(name: Code, value: float, children=()) -> Dataset:
    item = _content_item('CONTAINS', 'NUM', name)
    measured = _dataset()
    _set_code(measured, _UNITS, NO_UNITS)
    # DS holds 16 characters; 10 significant digits are far below a
    # score's meaning and round-trip a float32
    measured.NumericValue = f'{value:.10g}'
    item.MeasuredValueSequence = DicomSequence([measured])
    if children:
        item.ContentSequence = DicomSequence(children)
    return item


def _selected_from(ref: DicomSequence) -> RawDataElement:
    """The Content Sequence of a region: the image it is selected from
    (TID 320 names no concept for it)."""
    return _encoded(_CONTENT, [_image('SELECTED FROM', None, ref)])


def _scoord(relationship: str, points: np.ndarray,
            selected_from: RawDataElement) -> Dataset:
    item = _content_item(relationship, 'SCOORD', IMAGE_REGION)
    item.GraphicType = 'POLYLINE'
    item.GraphicData = points.ravel().tolist()
    item[_CONTENT] = selected_from
    return item


def _template(tid: str) -> RawDataElement:
    item = _dataset()
    item.MappingResource = 'DCMR'
    item.TemplateIdentifier = tid
    return _encoded(_TEMPLATE, [item])


_TEMPLATES = {tid: _template(tid) for tid in ('1500', '1410', '1501')}


def _group(tid: str, items: List[Dataset]) -> Dataset:
    group = _content_item('CONTAINS', 'CONTAINER', MEASUREMENT_GROUP)
    group.ContinuityOfContent = 'CONTINUOUS'
    group[_TEMPLATE] = _TEMPLATES[tid]
    group.ContentSequence = DicomSequence(items)
    return group


def _coding_schemes() -> DicomSequence:
    items = []
    for designator, name, uid in (
        (PRIVATE_SCHEME, PRIVATE_SCHEME_NAME, None),
        ('SCT', 'SNOMED CT', '2.16.840.1.113883.6.96'),
        ('DCM', 'DICOM Controlled Terminology', '1.2.840.10008.2.16.4'),
        ('UCUM', 'Unified Code for Units of Measure', '2.16.840.1.113883.6.8'),
    ):
        item = _dataset()
        item.CodingSchemeDesignator = designator
        item.CodingSchemeName = name
        if uid:
            item.CodingSchemeUID = uid
        else:
            item.CodingSchemeVersion = __version__
            item.CodingSchemeResponsibleOrganization = 'mmspine'
        items.append(item)
    return DicomSequence(items)


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


def _source_name(source, ds: Dataset) -> str:
    if isinstance(source, Dataset):
        return getattr(ds, 'filename', None) or 'source dataset'
    return os.fspath(source)


def _uid(ds: Dataset, keyword: str) -> Optional[str]:
    value = ds.get(keyword)
    return str(value).strip('\x00 ') or None if value else None


def _check_result(result: dict, ds: Dataset, where: str) -> None:
    """Check that ``result`` is a successful result for the image ``ds``."""
    if not isinstance(result, dict):
        raise TypeError(f'{where}: result must be a dict, got '
                        f'{type(result).__name__}')
    if result.get('status', 'ok') != 'ok':
        raise ValueError(f'{where}: result has status '
                         f'{result.get("status")!r} '
                         f'({result.get("reason", "")}); no SR for it')
    for keyword in ('SOPClassUID', 'SOPInstanceUID'):
        if not _uid(ds, keyword):
            raise ValueError(f'{where}: source has no {keyword}; an SR '
                             'cannot reference the image')
    sop_class = _uid(ds, 'SOPClassUID')
    if not sop_class.startswith('1.2.840.10008.'):
        # An SCOORD must be selected from an IMAGE item, and dcmtk refuses
        # an IMAGE item of a SOP class it does not know (the whole SR is
        # 'Invalid Value' there): no SR rather than one that does not load.
        raise ValueError(f'{where}: source SOP class {sop_class} is private; '
                         'an SR can reference only standard image storage '
                         'SOP classes in its content (dcmtk rejects it)')
    if not result.get('sop_instance_uid'):
        raise ValueError(f'{where}: result has no \'sop_instance_uid\'; an '
                         'SR needs the UIDs of its DICOM source')
    for key, keyword in _UID_KEYS.items():
        value, own = _uid(ds, keyword), result.get(key) or None
        if value != (str(own) if own else None):
            raise ValueError(f'{where}: result {key} {own} does not match '
                             f'the source {keyword} {value}')
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


def _finding_groups(findings: list, ref: DicomSequence, rows: int,
                    columns: int, where: str) -> List[Dataset]:
    groups, clipped = [], {}
    selected_from = _selected_from(ref)
    codes: Dict[str, Code] = {}
    for i, finding in enumerate(findings):
        here = f'{where}: finding {i}'
        if not isinstance(finding, dict):
            raise ValueError(f'{here}: must be a dict, got {finding!r}')
        polyline, beyond = _box_polyline(
            finding.get('bbox'), rows, columns, here)
        if beyond > 0:
            clipped[i] = beyond
        score = _score(finding.get('score'), 'score', here)
        name = finding.get('lesion_type')
        if name not in codes:
            try:
                codes[name] = class_code(name)
            except ValueError as e:
                raise ValueError(f'{here}: lesion_type: {e}') from None
        groups.append(
            _group('1410', [
                _text('HAS OBS CONTEXT', TRACKING_ID,
                      f'finding {i + 1}: {name}'),
                _uidref('HAS OBS CONTEXT', TRACKING_UID, generate_uid()),
                _code('CONTAINS', FINDING, codes[name]),
                _scoord('CONTAINS', polyline, selected_from),
                _num(PROBABILITY, score,
                     [_scoord('INFERRED FROM', polyline, selected_from)]),
                _text('CONTAINS', COMMENT, name),
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
    return groups


def _image_groups(result: dict, ref: DicomSequence, algorithm: List[Dataset],
                  where: str) -> List[Dataset]:
    """The image-level groups: lesion probability and presence, and the
    Normal/Abnormal call when there is one."""
    lesion = [
        _text('HAS OBS CONTEXT', TRACKING_ID, IMAGE_LESION_GROUP),
        _uidref('HAS OBS CONTEXT', TRACKING_UID, generate_uid()),
        _code('CONTAINS', FINDING, IMAGE_FINDING),
    ] + algorithm
    if result.get('p_abnormal') is not None:
        lesion.append(
            _num(PROBABILITY, _score(result['p_abnormal'], 'p_abnormal',
                                     where)))
    lesion += [
        _code('CONTAINS', PRESENCE,
              PRESENT if result.get('findings') else ABSENT),
        _image('CONTAINS', SOURCE_OF_MEASUREMENT, ref),
    ]
    groups = [_group('1501', lesion)]
    if result.get('abnormal') is not None:
        groups.append(
            _group('1501', [
                _text('HAS OBS CONTEXT', TRACKING_ID, IMAGE_CALL_GROUP),
                _uidref('HAS OBS CONTEXT', TRACKING_UID, generate_uid()),
                _code('CONTAINS', FINDING,
                      ABNORMAL if result['abnormal'] else NORMAL),
                *algorithm,
                _image('CONTAINS', SOURCE_OF_MEASUREMENT, ref),
            ]))
    return groups


def _charset(texts: Sequence[str]) -> Optional[str]:
    """The Specific Character Set for ``texts``: none for ASCII, Latin-1
    where it suffices (dcmtk checks values only in those), else UTF-8."""
    text = ''.join(texts)
    if text.isascii():
        return None
    try:
        text.encode('latin-1')
        return 'ISO_IR 100'
    except UnicodeEncodeError:
        return 'ISO_IR 192'


def _header(ds: Dataset, sr: Dataset, where: str) -> List[Repair]:
    """Copy the patient and study attributes into ``sr``; the repairs."""
    repairs: List[Repair] = []
    charset = source_charset_note(ds)
    if charset is not None:
        repairs.append(charset)
    copy_attributes(
        ds,
        PATIENT_STUDY_TYPE2 + PATIENT_STUDY_OPTIONAL,
        sr,
        repairs,
        type2=PATIENT_STUDY_TYPE2)
    # De-identification Method is Type 1C on Patient Identity Removed YES:
    # the flag goes only with a method.
    copy_attributes(ds, ('PatientIdentityRemoved', 'DeidentificationMethod'),
                    sr, repairs)
    if sr.get('PatientIdentityRemoved') == 'YES' and \
            not sr.get('DeidentificationMethod'):
        repairs.append(
            Repair('PatientIdentityRemoved', "'YES'",
                   'no De-identification Method (0012,0063) goes with it'))
        del sr.PatientIdentityRemoved
        sr.pop('DeidentificationMethod', None)
    elif 'PatientIdentityRemoved' not in sr:
        sr.pop('DeidentificationMethod', None)
    return repairs


def build_findings_sr(source: Union[str, os.PathLike, Dataset],
                      result: dict,
                      *,
                      algorithm_name: str = 'mmspine',
                      algorithm_version: str = __version__,
                      model_name: Optional[str] = None,
                      series_number: int = 9001,
                      series_instance_uid: Optional[str] = None,
                      sop_instance_uid: Optional[str] = None,
                      instance_number: int = 1) -> Dataset:
    """Build the SR of one inference result (:func:`write_findings_sr`
    writes it).

    Args:
        source, result: As for :func:`write_findings_sr`.
        algorithm_name (str): Algorithm Name (DCM 111001), Manufacturer
            and Device Observer Name.
        algorithm_version (str): Algorithm Version (DCM 111003).
        model_name (str, optional): Model, recorded in the Algorithm
            Parameters; defaults to the result's detector names.
        series_number (int): Series Number of the SR.
        series_instance_uid (str, optional): Series of the SR, e.g. one for
            all SRs of a run in a study; a new UID when None.
        sop_instance_uid (str, optional): The SR's UID; new when None.
        instance_number (int): Instance Number of the SR.

    Returns:
        pydicom.Dataset: The SR, with its file meta information.
    """
    ds = _read_source(source)
    where = _source_name(source, ds)
    _check_result(result, ds, where)
    rows, columns = int(ds.Rows), int(ds.Columns)
    if model_name is None:
        model_name = default_model_name(result)

    sr = _dataset()
    repairs = _header(ds, sr, where)
    study_uid = _uid(ds, 'StudyInstanceUID')
    source_series = _uid(ds, 'SeriesInstanceUID')
    if study_uid is None:
        study_uid = generate_uid()
        repairs.append(
            Repair(
                'StudyInstanceUID', 'absent',
                'the source has no study; the SR opens a new one and '
                'lists the source in it', study_uid))
    if source_series is None:
        source_series = generate_uid()
        repairs.append(
            Repair(
                'SeriesInstanceUID', 'absent',
                'the source has no series; the SR references it in a '
                'new one', source_series))

    ref_item = _dataset()
    ref_item.ReferencedSOPClassUID = _uid(ds, 'SOPClassUID')
    ref_item.ReferencedSOPInstanceUID = _uid(ds, 'SOPInstanceUID')
    ref = DicomSequence([ref_item])

    params = [f'model={model_name}']
    classifiers = (result.get('model') or {}).get('classifiers') or []
    if classifiers:
        params.append('classifiers=' + '+'.join(classifiers))
    rule = result.get('rule')
    if rule:
        params.append(f'rule c={rule.get("c")} k={rule.get("k")}')
    # TID 4019, once per image-level group (the finding groups are all by
    # the same algorithm, which the observer context names too)
    algorithm = [
        _text('HAS CONCEPT MOD', ALGORITHM_NAME, algorithm_name),
        _text('HAS CONCEPT MOD', ALGORITHM_VERSION, str(algorithm_version))
    ] + [_text('HAS CONCEPT MOD', ALGORITHM_PARAMETERS, p) for p in params]

    findings = result.get('findings') or []
    groups = _finding_groups(findings, ref, rows, columns, where)
    groups += _image_groups(result, ref, algorithm, where)
    measurements = _content_item('CONTAINS', 'CONTAINER', IMAGING_MEASUREMENTS)
    measurements.ContinuityOfContent = 'CONTINUOUS'
    measurements.ContentSequence = DicomSequence(groups)

    # A stable device UID per algorithm and version.
    device_uid = generate_uid(
        entropy_srcs=[algorithm_name, str(algorithm_version)])
    content = [
        _code('HAS CONCEPT MOD',
              ('121049', 'DCM', 'Language of Content Item and Descendants'),
              ('en-US', 'RFC5646', 'English (United States)')),
        _code('HAS OBS CONTEXT', ('121005', 'DCM', 'Observer Type'),
              ('121007', 'DCM', 'Device')),
        _uidref('HAS OBS CONTEXT', ('121012', 'DCM', 'Device Observer UID'),
                device_uid),
        _text('HAS OBS CONTEXT', ('121013', 'DCM', 'Device Observer Name'),
              algorithm_name),
        _text('HAS OBS CONTEXT',
              ('121015', 'DCM', 'Device Observer Model Name'),
              model_name[:64]),
        _code('HAS CONCEPT MOD', ('121058', 'DCM', 'Procedure reported'),
              PROCEDURE),
        measurements,
    ]

    now = datetime.datetime.now()
    sop_uid = sop_instance_uid or generate_uid()
    charset = _charset([str(e.value) for e in sr] + params +
                       [algorithm_name, model_name,
                        str(algorithm_version)] +
                       [str(f.get('lesion_type')) for f in findings])
    if charset:
        sr.SpecificCharacterSet = charset
        # what pydicom compares with before writing without re-encoding
        sr.set_original_encoding(False, True, convert_encodings(charset))
    sr.InstanceCreationDate = sr.ContentDate = now.strftime('%Y%m%d')
    sr.InstanceCreationTime = sr.ContentTime = now.strftime('%H%M%S.%f')
    sr.SOPClassUID = ComprehensiveSRStorage
    sr.SOPInstanceUID = sop_uid
    sr.Modality = 'SR'
    sr.Manufacturer = algorithm_name[:64]
    sr.CodingSchemeIdentificationSequence = _coding_schemes()
    sr.SeriesDescription = f'{algorithm_name} findings'[:64]
    sr.ReferencedPerformedProcedureStepSequence = DicomSequence()
    sr.SoftwareVersions = str(algorithm_version)[:64]
    sr.StudyInstanceUID = study_uid
    sr.SeriesInstanceUID = series_instance_uid or generate_uid()
    sr.SeriesNumber = series_number
    sr.InstanceNumber = instance_number
    sr.ValueType = 'CONTAINER'
    _set_code(sr, _CONCEPT_NAME, TITLE)
    sr.ContinuityOfContent = 'SEPARATE'
    sr.PerformedProcedureCodeSequence = DicomSequence()
    evidence_series = _dataset()
    evidence_series.ReferencedSOPSequence = ref
    evidence_series.SeriesInstanceUID = source_series
    evidence = _dataset()
    evidence.ReferencedSeriesSequence = DicomSequence([evidence_series])
    evidence.StudyInstanceUID = study_uid
    sr.CurrentRequestedProcedureEvidenceSequence = DicomSequence([evidence])
    # An algorithm's output: not final until a reader has verified it.
    sr.CompletionFlag = 'COMPLETE'
    sr.VerificationFlag = 'UNVERIFIED'
    sr.PreliminaryFlag = 'PRELIMINARY'
    sr[_TEMPLATE] = _TEMPLATES['1500']
    sr.ContentSequence = DicomSequence(content)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ComprehensiveSRStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    sr.file_meta = meta
    for repair in repairs:
        warnings.warn(f'{where}: {repair}', HeaderRepairWarning)
    return sr


def write_findings_sr(source: Union[str, os.PathLike, Dataset], result: dict,
                      out_path: str, **options) -> Dataset:
    """Write one inference result as a DICOM SR Measurement Report.

    Args:
        source (str | os.PathLike | pydicom.Dataset): The source radiograph
            (its dataset or path); the SR joins its study.
        result (dict): One element of findings.json's "results" (see
            FINDINGS_SCHEMA): UIDs of the source, findings with
            ``lesion_type`` (any class name), ``score`` and ``bbox`` (xyxy
            in the source's pixel grid), ``p_abnormal`` and ``abnormal``
            (may be None).
        out_path (str): File to write, atomically; folders are created.
        **options: The keyword arguments of :func:`build_findings_sr`.

    Returns:
        pydicom.Dataset: The SR as written.

    Raises:
        ValueError: If the source is not a DICOM file or lacks the SOP
            Class or Instance UID, the result does not match the source's
            UIDs, or a finding is malformed (the message names the file
            and the finding).

    Warns:
        HeaderRepairWarning: per source value repaired or dropped (naming
            the file, the attribute and the value), and for a source
            without Study or Series Instance UID.
        BoxClippedWarning: for boxes beyond the pixel grid by more than
            round-off (:func:`box_tolerance`); every box is clipped to it.
    """
    sr = build_findings_sr(source, result, **options)
    write_atomic(
        out_path,
        lambda tmp: pydicom.dcmwrite(tmp, sr, enforce_file_format=True))
    return sr


__all__ = [
    'write_findings_sr', 'build_findings_sr', 'read_findings_sr',
    'BoxClippedWarning', 'HeaderRepairWarning', 'LESION_CODES',
    'PRIVATE_SCHEME', 'STANDARD_CLASS_CODES', 'box_tolerance', 'class_code',
    'default_model_name'
]
