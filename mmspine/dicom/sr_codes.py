"""Coded concepts of mmspine's DICOM SRs (``../shared/sr-codes.md``): the
classes' codes (checked standard ones, else the private scheme
:data:`PRIVATE_SCHEME` with the class name as meaning) and the report's
concepts. Free of torch and mmdet.
"""
import hashlib
import re
from typing import Dict, Tuple

from pydicom.uid import ComprehensiveSRStorage

#: Designator of the private coding scheme for classes that have no
#: checked standard code ('99' prefix: local schemes, PS3.16 8.2).
PRIVATE_SCHEME = '99MMSPINE'
PRIVATE_SCHEME_NAME = 'mmspine finding classes'

#: (value, scheme, meaning) of a coded concept.
Code = Tuple[str, str, str]

#: Checked standard codes of class names (``../shared/sr-codes.md``).
STANDARD_CLASS_CODES: Dict[str, Code] = {
    'Surgical implant': ('40388003', 'SCT', 'Implant'),
    'Foreign body': ('19227008', 'SCT', 'Foreign body'),
    'Fracture': ('72704001', 'SCT', 'Fracture'),
    'Other lesions': ('52988006', 'SCT', 'Lesion'),
}

# Private code values of the VinDr-SpineXR classes without a standard
# code, as earlier SRs have them; other names get derived ones.
_PRIVATE_VALUES = {
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


def class_code(name: str) -> Code:
    """The coded concept of class ``name``: its checked standard code, or a
    code of :data:`PRIVATE_SCHEME` whose meaning is the name.

    A derived private value is the name in capitals, ``_`` for anything
    else, cut to 11 characters, and a hash of the name (so that names that
    differ only in case, punctuation or beyond the cut do not share a
    code).
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f'class name must be a non-empty string, got '
                         f'{name!r}')
    if name in STANDARD_CLASS_CODES:
        return STANDARD_CLASS_CODES[name]
    value = _PRIVATE_VALUES.get(name)
    if value is None:
        value = re.sub(r'[^A-Z0-9]+', '_', name.upper()).strip('_') or 'X'
        digest = hashlib.sha1(name.encode()).hexdigest()[:4].upper()
        value = f'{value[:11].rstrip("_")}_{digest}'
    # LO: 64 characters, no backslash (the Comment keeps the full name)
    return value, PRIVATE_SCHEME, name.replace('\\', '/')[:64].strip()


#: The coded concept of each VinDr-SpineXR class (any other name works,
#: see :func:`class_code`).
LESION_CODES: Dict[str, Code] = {
    name: class_code(name)
    for name in list(STANDARD_CLASS_CODES) + list(_PRIVATE_VALUES)
}

# Concepts of the report (``../shared/sr-codes.md``).
TITLE: Code = ('126000', 'DCM', 'Imaging Measurement Report')
IMAGING_MEASUREMENTS: Code = ('126010', 'DCM', 'Imaging Measurements')
MEASUREMENT_GROUP: Code = ('125007', 'DCM', 'Measurement Group')
FINDING: Code = ('121071', 'DCM', 'Finding')
TRACKING_ID: Code = ('112039', 'DCM', 'Tracking Identifier')
TRACKING_UID: Code = ('112040', 'DCM', 'Tracking Unique Identifier')
IMAGE_REGION: Code = ('111030', 'DCM', 'Image Region')
PROBABILITY: Code = ('122157', 'DCM', 'Probability')
COMMENT: Code = ('121106', 'DCM', 'Comment')
PRESENCE: Code = ('121052', 'DCM', 'Presence of property')
PRESENT: Code = ('121053', 'DCM', 'Present')
ABSENT: Code = ('121054', 'DCM', 'Absent')
NORMAL: Code = ('17621005', 'SCT', 'Normal')
ABNORMAL: Code = ('263654008', 'SCT', 'Abnormal')
SOURCE_OF_MEASUREMENT: Code = ('121112', 'DCM', 'Source of Measurement')
ALGORITHM_NAME: Code = ('111001', 'DCM', 'Algorithm Name')
ALGORITHM_VERSION: Code = ('111003', 'DCM', 'Algorithm Version')
ALGORITHM_PARAMETERS: Code = ('111002', 'DCM', 'Algorithm Parameters')
NO_UNITS: Code = ('1', 'UCUM', 'no units')
#: Procedure reported: plain radiography.
PROCEDURE: Code = ('168537006', 'SCT', 'Plain radiography')
#: Finding type of the image-level group: p(abnormal) is the probability
#: that the image shows a lesion.
IMAGE_FINDING: Code = ('52988006', 'SCT', 'Lesion')
#: Tracking identifiers of the two image-level groups.
IMAGE_LESION_GROUP = 'image: lesion'
IMAGE_CALL_GROUP = 'image: normal/abnormal call'

#: SOP classes :func:`read_findings_sr` accepts.
SR_SOP_CLASSES = (ComprehensiveSRStorage, '1.2.840.10008.5.1.4.1.1.88.34',
                  '1.2.840.10008.5.1.4.1.1.88.22')

__all__ = [
    'ABNORMAL', 'ABSENT', 'ALGORITHM_NAME', 'ALGORITHM_PARAMETERS',
    'ALGORITHM_VERSION', 'COMMENT', 'Code', 'FINDING', 'IMAGE_CALL_GROUP',
    'IMAGE_FINDING', 'IMAGE_LESION_GROUP', 'IMAGE_REGION',
    'IMAGING_MEASUREMENTS', 'LESION_CODES', 'MEASUREMENT_GROUP', 'NORMAL',
    'NO_UNITS', 'PRESENCE', 'PRESENT', 'PRIVATE_SCHEME', 'PRIVATE_SCHEME_NAME',
    'PROBABILITY', 'PROCEDURE', 'SOURCE_OF_MEASUREMENT', 'SR_SOP_CLASSES',
    'STANDARD_CLASS_CODES', 'TITLE', 'TRACKING_ID', 'TRACKING_UID',
    'class_code'
]
