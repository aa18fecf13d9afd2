from .det_autoaugment import (POLICIES, POLICY_V0, POLICY_V1, POLICY_V2,
                              POLICY_V3, DetAutoAugment)
from .load_spine_dicom import LoadSpineDICOM

__all__ = [
    'DetAutoAugment', 'POLICIES', 'POLICY_V0', 'POLICY_V1', 'POLICY_V2',
    'POLICY_V3', 'LoadSpineDICOM'
]
