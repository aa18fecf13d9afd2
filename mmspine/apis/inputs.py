"""Inference inputs: finding them, and turning each into 8-bit pixels.

Torch-free. A DICOM goes through exactly the steps of ``dicom2png``
(:mod:`mmspine.dicom.convert`): the same pixel mode, the same fallback in
'reference' mode, then the same ``max_size`` downscale, so a model sees at
inference the pixels it was trained on.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np

# the DICOM package's public reading API
from ..dicom import (DICOM_EXTENSIONS, InputError, PixelError,
                     dataset_to_uint8, read_dataset)

#: File endings taken as 8-bit images.
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg')
#: Preprocessing when a config has no ``preprocess`` dict.
DEFAULT_PREPROCESS = dict(mode='reference', max_size=None)


@dataclass
class InferenceInput:
    """One input: a file path, or an array with a made-up id.

    Attributes:
        source (str): The path ('' for arrays).
        image_id (str): File stem, or ``array_<index>``.
        array (np.ndarray, optional): The pixels of an array input.
    """
    source: str
    image_id: str
    array: Optional[np.ndarray] = field(default=None, repr=False)


@dataclass
class LoadedImage:
    """An input read and converted to 8-bit greyscale at full size.

    Attributes:
        header (dict): ``is_dicom``, the UIDs, ``rows``, ``columns`` and
            ``pixel_spacing``, as in a result dict.
        pixels (np.ndarray): ``(rows, columns)`` uint8, by pixel mode.
        dataset: The pydicom Dataset of a DICOM input (pixels dropped).
    """
    header: dict
    pixels: Dict[str, np.ndarray]
    dataset: object = None


def collect_inputs(inputs: Sequence[Union[str, np.ndarray]]
                   ) -> List[InferenceInput]:
    """Expand paths and folders (recursively) into a list of inputs.

    Folders contribute their DICOM (``.dicom``, ``.dcm``) and image
    (``.png``, ``.jpg``) files, sorted; files given by name are taken
    whatever their ending; paths become absolute. Arrays are taken as 8-bit
    images.

    Raises:
        FileNotFoundError: naming an input path that does not exist.
    """
    found: List[InferenceInput] = []
    exts = tuple(DICOM_EXTENSIONS) + IMAGE_EXTENSIONS
    for i, item in enumerate(inputs):
        if isinstance(item, np.ndarray):
            found.append(InferenceInput('', f'array_{i}', item))
            continue
        # absolute, as results and resuming name them
        path = osp.abspath(str(item))
        if osp.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if (name.lower().endswith(exts)
                            and not name.startswith('.')):
                        src = osp.join(root, name)
                        found.append(InferenceInput(src, _stem(src)))
        elif osp.isfile(path):
            found.append(InferenceInput(path, _stem(path)))
        else:
            raise FileNotFoundError(f'input not found: {item}')
    return found


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def is_image_file(path: str) -> bool:
    """Whether ``path`` is read as an 8-bit image rather than a DICOM."""
    return path.lower().endswith(IMAGE_EXTENSIONS)


#: The UIDs of a result's source: result key -> DICOM keyword (None for
#: an image file).
SOURCE_UIDS = dict(
    study_instance_uid='StudyInstanceUID',
    series_instance_uid='SeriesInstanceUID',
    sop_instance_uid='SOPInstanceUID',
    sop_class_uid='SOPClassUID')


def dicom_header(ds) -> dict:
    """The result-dict fields taken from a DICOM header.

    Pixel spacing is Pixel Spacing, else Imager Pixel Spacing (projection
    radiographs often have only the latter), as (row, column) mm.
    """
    spacing = None
    for key in ('PixelSpacing', 'ImagerPixelSpacing'):
        value = ds.get(key)
        if value is not None and len(value) == 2:
            try:
                spacing = [float(value[0]), float(value[1])]
            except (TypeError, ValueError):
                continue
            break

    return dict(
        is_dicom=True,
        **{
            key: str(ds.get(keyword)) if ds.get(keyword) else None
            for key, keyword in SOURCE_UIDS.items()
        },
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        pixel_spacing=spacing)


def full_size_uint8(ds, mode: str = 'reference') -> np.ndarray:
    """8-bit pixels of a dataset of ``read_dataset``, as dicom2png makes
    them (:func:`~mmspine.dicom.convert.dataset_to_uint8`, the one pixel
    path), before the ``max_size`` downscale that each model applies.

    Raises:
        InputError: with the reason, when no pixels can be made.
    """
    try:
        return dataset_to_uint8(ds, mode).image
    except PixelError as exc:
        raise InputError(str(exc)) from None


def load_input(item: InferenceInput,
               modes: Sequence[str] = ('reference', )) -> LoadedImage:
    """Read one input and make its full-size 8-bit pixels in each mode.

    Raises:
        InputError: naming what is wrong (not DICOM, colour, multi-frame,
            no pixels, undecodable, unreadable image).
    """
    if item.array is not None or is_image_file(item.source):
        img = item.array
        if img is None:
            img = cv2.imread(item.source, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise InputError('unreadable image file')
        img = _to_grey_uint8(img)
        header = dict(
            is_dicom=False,
            **dict.fromkeys(SOURCE_UIDS),
            rows=img.shape[0],
            columns=img.shape[1],
            pixel_spacing=None)
        return LoadedImage(header, {mode: img for mode in modes})
    ds = read_dataset(item.source)
    header = dicom_header(ds)
    pixels = {mode: full_size_uint8(ds, mode) for mode in modes}
    # keep the header for the SR writer, not megabytes of pixels
    del ds.PixelData
    return LoadedImage(header, pixels, ds)


def _to_grey_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        raise InputError(f'expected 8-bit pixels, got {img.dtype}')
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        channels = img[..., :3]
        if not (np.array_equal(channels[..., 0], channels[..., 1])
                and np.array_equal(channels[..., 0], channels[..., 2])):
            raise InputError('colour image; only greyscale is supported')
        img = channels[..., 0]
    if img.ndim != 2:
        raise InputError(f'unexpected image shape {img.shape}')
    return np.ascontiguousarray(img)


__all__ = [
    'DEFAULT_PREPROCESS', 'IMAGE_EXTENSIONS', 'InferenceInput', 'InputError',
    'LoadedImage', 'collect_inputs', 'dicom_header', 'SOURCE_UIDS',
    'full_size_uint8', 'is_image_file', 'load_input'
]
