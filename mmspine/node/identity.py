"""The UIDs of the node's SRs, derived, never random.

An SR's SOP Instance UID is a hash of the source instance's UID and of the
model (config and checkpoint contents and every setting that changes a
result): inferring and sending an image again, after a crash or a resend
by the PACS, gives the same UID, and a PACS keeps one instance per UID.
Its Series Instance UID is a hash of the study and the model: all SRs of a
study from one model form one series. Free of torch.
"""
import hashlib
import json
import os
from typing import Any, Dict, Optional, Tuple

from pydicom.uid import generate_uid

from ..fileio import sha256_file

#: Files whose content (not path) identifies the model.
_FILE_KEYS = ('detectors', 'classifiers', 'rule')


def _digest_paths(value: Any) -> Any:
    if isinstance(value, str) and os.path.isfile(value):
        return 'sha256:' + sha256_file(value)
    if isinstance(value, (list, tuple)):
        return [_digest_paths(v) for v in value]
    return value


def model_key(inferencer_kwargs: Dict[str, Any]) -> str:
    """A digest of the model: the ``SpineInferencer`` arguments with every
    config, checkpoint and rule file replaced by its content's digest.

    Arguments that do not change a result (device, batch size, speed
    levers) are left out.
    """
    ignored = ('device', 'batch_size', 'speed', 'channels_last')
    described = {}
    for key, value in sorted(inferencer_kwargs.items()):
        if key in ignored:
            continue
        described[key] = _digest_paths(value) if key in _FILE_KEYS else value
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def sr_uids(source_sop_uid: str,
            study_uid: str,
            key: str,
            prefix: Optional[str] = None) -> Tuple[str, str]:
    """``(series_instance_uid, sop_instance_uid)`` of the SR of a source
    instance under model ``key`` (:func:`model_key`)."""
    kwargs = {} if prefix is None else dict(prefix=prefix)
    series = generate_uid(
        entropy_srcs=['mmspine SR series', study_uid, key], **kwargs)
    sop = generate_uid(
        entropy_srcs=['mmspine SR', source_sop_uid, key], **kwargs)
    return series, sop


__all__ = ['model_key', 'sr_uids']
