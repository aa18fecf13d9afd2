"""What the node accepts, what it refuses and what it processes.

Three answers for a received instance, decided from its header before it
is acknowledged:

* refused (a C-STORE failure status with the reason): over the size limit,
  unparsable, an invalid UID, a colour or multi-frame image, pixel data
  shorter than its header says;
* skipped (acknowledged, counted, not spooled): not a modality or body part
  the node is configured for, any SR (the node's own included, so that a
  PACS forwarding everything cannot make a loop);
* processed: spooled, then inferred.

Free of torch.
"""
import re
from typing import List, NamedTuple, Optional, Sequence, Tuple

from pydicom.dataset import Dataset
from pydicom.uid import UID

#: CR Image Storage.
CR_STORAGE = UID('1.2.840.10008.5.1.4.1.1.1')
#: Digital X-Ray Image Storage, for presentation and for processing.
DX_PRESENTATION_STORAGE = UID('1.2.840.10008.5.1.4.1.1.1.1')
DX_PROCESSING_STORAGE = UID('1.2.840.10008.5.1.4.1.1.1.1.1')
#: Secondary Capture Image Storage.
SC_STORAGE = UID('1.2.840.10008.5.1.4.1.1.7')
#: Image SOP classes the node infers on.
IMAGE_SOP_CLASSES = (CR_STORAGE, DX_PRESENTATION_STORAGE,
                     DX_PROCESSING_STORAGE, SC_STORAGE)
#: SR SOP classes: accepted only to be skipped (no loops).
SR_SOP_CLASSES = (
    UID('1.2.840.10008.5.1.4.1.1.88.11'),  # Basic Text SR
    UID('1.2.840.10008.5.1.4.1.1.88.22'),  # Enhanced SR
    UID('1.2.840.10008.5.1.4.1.1.88.33'),  # Comprehensive SR
    UID('1.2.840.10008.5.1.4.1.1.88.34'),  # Comprehensive 3D SR
)

#: Modalities processed by default.
DEFAULT_MODALITIES = ('DX', 'CR')
#: Body Part Examined values processed by default (PS3.16 CID 4031 terms
#: of the spine, compared without spaces, hyphens or underscores, so that
#: 'L SPINE' is LSPINE).
DEFAULT_BODY_PARTS = ('SPINE', 'CSPINE', 'TSPINE', 'LSPINE', 'SSPINE',
                      'CTSPINE', 'TLSPINE', 'LSSPINE', 'WHOLESPINE')

#: Default size limit of one instance (encoded bytes): a 16-bit radiograph
#: of 4,000 x 4,000 pixels is 32 MB.
DEFAULT_MAX_INSTANCE_BYTES = 64 * 1024 * 1024

# C-STORE failure statuses (PS3.4 Annex B.2.3)
OUT_OF_RESOURCES = 0xA700
DATA_SET_MISMATCH = 0xA900
CANNOT_UNDERSTAND = 0xC000


def decodable_transfer_syntaxes() -> List[UID]:
    """Transfer syntaxes whose pixel data the converters can decode here:
    those with an available pydicom pixel decoder (the pylibjpeg plugins
    give JPEG, JPEG-LS, JPEG 2000, HTJ2K and RLE)."""
    from pydicom.pixels import get_decoder
    from pydicom.uid import AllTransferSyntaxes
    found = []
    for uid in AllTransferSyntaxes:
        try:
            if get_decoder(uid).is_available:
                found.append(UID(uid))
        except NotImplementedError:
            continue
    return found


def body_part_key(value: str) -> str:
    """``value`` upper-cased without spaces, hyphens and underscores."""
    return re.sub(r'[\s_\-]', '', str(value)).upper()


class Refusal(NamedTuple):
    """A refused instance: the C-STORE status and why."""
    status: int
    reason: str


def _uid_problem(ds: Dataset, keyword: str) -> Optional[str]:
    value = ds.get(keyword)
    if value is None or str(value) == '':
        return f'no {keyword}'
    if not UID(str(value)).is_valid:
        # repr: a header value must not break the log line
        return f'invalid {keyword} {str(value)[:80]!r}'
    return None


def check_instance(ds: Dataset, sop_class: str) -> Optional[Refusal]:
    """Why an image instance is refused, or None if the node can take it.

    ``ds`` has been parsed (so its header is readable); the pixels are not
    decoded here, only their length checked for uncompressed syntaxes.
    """
    for keyword in ('SOPInstanceUID', 'StudyInstanceUID', 'SeriesInstanceUID'):
        problem = _uid_problem(ds, keyword)
        if problem:
            return Refusal(CANNOT_UNDERSTAND, problem)
    if str(ds.get('SOPClassUID', '')) != str(sop_class):
        return Refusal(
            DATA_SET_MISMATCH,
            f'SOP Class UID {str(ds.get("SOPClassUID"))[:80]!r} differs from '
            f'the request\'s {sop_class}')
    if 'PixelData' not in ds:
        return Refusal(DATA_SET_MISMATCH, 'no pixel data')
    spp = ds.get('SamplesPerPixel', 1)
    photometric = str(ds.get('PhotometricInterpretation', ''))
    if spp != 1 or photometric not in ('MONOCHROME1', 'MONOCHROME2'):
        return Refusal(
            DATA_SET_MISMATCH,
            f'colour image ({photometric[:16] or "no"} photometric '
            f'interpretation, {spp} samples per pixel); only MONOCHROME1 '
            'and MONOCHROME2 are processed')
    frames = ds.get('NumberOfFrames') or 1
    try:
        frames = int(frames)
    except (TypeError, ValueError):
        return Refusal(CANNOT_UNDERSTAND,
                       f'invalid Number of Frames {str(frames)[:16]!r}')
    if frames != 1:
        return Refusal(DATA_SET_MISMATCH,
                       f'multi-frame image ({frames} frames)')
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        bits = int(ds.BitsAllocated)
    except (AttributeError, TypeError, ValueError):
        return Refusal(CANNOT_UNDERSTAND,
                       'no valid Rows, Columns or Bits Allocated')
    if rows < 1 or columns < 1 or bits not in (8, 16, 32):
        return Refusal(
            CANNOT_UNDERSTAND,
            f'image of {rows} x {columns} pixels, {bits} bits allocated')
    syntax = ds.file_meta.get('TransferSyntaxUID') if hasattr(
        ds, 'file_meta') else None
    if syntax is not None and not UID(syntax).is_compressed:
        expected = rows * columns * bits // 8
        got = len(ds.PixelData)
        if got < expected:
            return Refusal(
                CANNOT_UNDERSTAND,
                f'pixel data of {got} bytes, {rows} x {columns} pixels of '
                f'{bits} bits need {expected}')
    return None


class Router:
    """Which instances the node processes.

    Args:
        modalities (Sequence[str]): Modality values processed.
        body_parts (Sequence[str]): Body Part Examined values processed,
            compared by :func:`body_part_key`; empty processes any.
        own_manufacturer (str): Manufacturer of the node's SRs.
    """

    def __init__(self,
                 modalities: Sequence[str] = DEFAULT_MODALITIES,
                 body_parts: Sequence[str] = DEFAULT_BODY_PARTS,
                 own_manufacturer: str = 'mmspine') -> None:
        self.modalities = tuple(m.upper() for m in modalities)
        self.body_parts = tuple(body_part_key(b) for b in body_parts)
        self.own_manufacturer = own_manufacturer

    def skip_reason(self, ds: Dataset, sop_class: str) -> Optional[str]:
        """Why ``ds`` is skipped, or None if it is processed."""
        if sop_class in SR_SOP_CLASSES:
            if str(ds.get('Manufacturer', '')) == self.own_manufacturer:
                return 'own SR (not processed, so no loop)'
            return 'SR (not an image)'
        if sop_class not in IMAGE_SOP_CLASSES:
            return f'SOP class {sop_class} not processed'
        modality = str(ds.get('Modality', '')).upper()
        if modality not in self.modalities:
            return (f'modality {modality[:16] or "(none)"!s} not in '
                    f'{"/".join(self.modalities)}')
        if self.body_parts:
            part = body_part_key(ds.get('BodyPartExamined', '') or '')
            if part not in self.body_parts:
                return (f'body part {part[:16] or "(none)"} not in '
                        f'{"/".join(self.body_parts)}')
        return None


def sop_classes() -> Tuple[UID, ...]:
    """Every storage SOP class the node accepts."""
    return IMAGE_SOP_CLASSES + SR_SOP_CLASSES


__all__ = [
    'CANNOT_UNDERSTAND', 'CR_STORAGE', 'DATA_SET_MISMATCH',
    'DEFAULT_BODY_PARTS', 'DEFAULT_MAX_INSTANCE_BYTES', 'DEFAULT_MODALITIES',
    'DX_PRESENTATION_STORAGE', 'DX_PROCESSING_STORAGE', 'IMAGE_SOP_CLASSES',
    'OUT_OF_RESOURCES', 'Refusal', 'Router', 'SC_STORAGE', 'SR_SOP_CLASSES',
    'body_part_key', 'check_instance', 'decodable_transfer_syntaxes',
    'sop_classes'
]
