"""Read a DICOM in the data pipeline, with the pixels of dicom2png."""
import hashlib
import os
import os.path as osp
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmengine.fileio import get_local_path

from mmspine.dicom.convert import dicom_to_uint8
from mmspine.dicom.voi import PIXEL_MODES
from mmspine.fileio import atomic_write
from mmspine.version import __version__

#: ``color_type`` values, as those of mmcv's ``LoadImageFromFile``.
COLOR_TYPES = ('color', 'grayscale', 'unchanged')


@TRANSFORMS.register_module()
@dataclass(eq=False)
class LoadSpineDICOM(BaseTransform):
    """Load a DICOM radiograph as ``LoadImageFromFile`` loads its PNG.

    The image is exactly the one ``tools/dataset_converters/dicom2png.py``
    writes with the same ``mode`` and ``max_size``, read back by mmcv's
    ``LoadImageFromFile``: with ``color_type='color'`` a BGR uint8 image
    whose three channels are equal, with 'grayscale' or 'unchanged' the
    single channel (rows x columns). So a model trained on the PNGs sees
    the same pixels when it reads the DICOMs, and no PNG step is needed.

    Required Keys:

    - img_path

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Args:
        mode (str): Pixel mode of :mod:`mmspine.dicom.voi`: 'reference'
            (default), 'modality' or 'percentile'.
        max_size (int, optional): Longest image side; larger images are
            downscaled as by ``dicom2png.py --max-size``. The COCO JSON's
            sizes must be the same (``spinexr2coco.py --max-size``).
        to_float32 (bool): Return a float32 image. Defaults to False.
        color_type (str): 'color' (default), 'grayscale' or 'unchanged'.
        cache_dir (str, optional): Keep each decoded image here as ``.npy``
            and read it back on the next epoch; keyed by path, size and
            modification time of the DICOM, mode and max size. Worth it for
            compressed DICOMs (JPEG 2000 decodes slowly). None: decode
            every time.
        backend_args (dict, optional): mmengine file backend arguments.

    A dataclass: the arguments are its fields, and its ``__repr__`` shows
    them.
    """
    mode: str = 'reference'
    max_size: Optional[int] = None
    to_float32: bool = False
    color_type: str = 'color'
    cache_dir: Optional[str] = None
    backend_args: Optional[dict] = None

    def __post_init__(self) -> None:
        if self.mode not in PIXEL_MODES:
            raise ValueError(f'unknown mode {self.mode!r}; choose from '
                             f'{sorted(PIXEL_MODES)}')
        if self.color_type not in COLOR_TYPES:
            raise ValueError(f'unknown color_type {self.color_type!r}; '
                             f'choose from {COLOR_TYPES}')

    def _cache_path(self, path: str) -> str:
        st = os.stat(path)
        # the version is in the key: a release that changes the pixel code
        # must not serve pixels an older one cached
        key = (f'{osp.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|'
               f'{self.mode}|{self.max_size or 0}|{__version__}')
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        name = osp.splitext(osp.basename(path))[0]
        return osp.join(self.cache_dir, f'{name}.{digest}.npy')

    def _read(self, path: str, cacheable: bool) -> np.ndarray:
        if self.cache_dir is None or not cacheable:
            return dicom_to_uint8(path, self.mode, self.max_size).image
        cached = self._cache_path(path)
        try:
            return np.load(cached)
        except (OSError, ValueError, EOFError):
            pass  # absent or cut short: decode again
        img = dicom_to_uint8(path, self.mode, self.max_size).image
        # Atomic, so that workers reading concurrently never see half.
        with atomic_write(cached, 'wb') as f:
            np.save(f, img)
        return img

    def transform(self, results: dict) -> dict:
        """Read ``results['img_path']`` into ``results['img']``.

        Raises:
            ValueError: The DICOM cannot be converted; the message names
                the file and the reason.
        """
        filename = results['img_path']
        try:
            with get_local_path(filename, self.backend_args) as path:
                # a remote file arrives as a new temporary copy each time:
                # only local files are cached, keyed on their own path
                img = self._read(path, cacheable=path == filename)
        except Exception as exc:
            raise ValueError(f'{filename}: {exc}') from exc
        if self.color_type == 'color':
            # What libpng gives for a grey PNG read as colour.
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
