"""mmspine as a DICOM node: radiographs in by C-STORE, findings back to
the PACS as SRs (``tools/serve.py``)."""
from .identity import model_key, sr_uids
from .routing import (DEFAULT_BODY_PARTS, DEFAULT_MAX_INSTANCE_BYTES,
                      DEFAULT_MODALITIES, Router, check_instance,
                      decodable_transfer_syntaxes)
from .sender import Destination, Sender, backoff
from .server import DicomNode, percentiles, spool_status
from .spool import Spool, SpoolLockedError

__all__ = [
    'DEFAULT_BODY_PARTS', 'DEFAULT_MAX_INSTANCE_BYTES', 'DEFAULT_MODALITIES',
    'Destination', 'DicomNode', 'Router', 'Sender', 'Spool',
    'SpoolLockedError', 'backoff', 'check_instance',
    'decodable_transfer_syntaxes', 'model_key', 'percentiles', 'sr_uids',
    'spool_status'
]
