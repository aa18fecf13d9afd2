"""Pixel modes: stored DICOM pixels to a displayable uint8 image.

Three named modes, chosen with ``mode=`` in :func:`to_uint8`:

- ``reference`` (default): the VinDr-SpineXR reference preprocessing, bit
  for bit: ``apply_voi_lut`` on the stored pixels, MONOCHROME1 as
  ``max(x) - x``, then ``x - min(x)``, divided by its max, times 255 and
  truncated to uint8. When that raises, the reference fallback: Bits Stored
  10 or 12 read as 16, ``convertScaleAbs(alpha=255 / max)``, MONOCHROME1
  inverted with ``bitwise_not``, then ``equalizeHist``.
- ``modality``: the DICOM display chain: modality LUT (rescale slope and
  intercept), then the VOI LUT Sequence if present, else the window
  center/width, MONOCHROME1 inverted, min-max scaled and rounded to uint8.
  When the header's window or LUT leaves the image constant, the
  ``percentile`` window is used instead and the reason says so.
- ``percentile``: modality LUT, then a linear window between two
  percentiles of the image (0.5 and 99.5 by default, nearest rank),
  MONOCHROME1 inverted; robust to a few extreme pixels such as markers.

All modes are point operations on the stored value. For integer images of
at most 2**16 distinct levels (every radiograph) each mode is evaluated on
the range of stored values only, with the image-wide minimum, maximum and
percentiles taken over the values present, then gathered through a lookup
table: the result is identical element for element to evaluating the same
numpy expressions on the whole image, while the per-pixel work is one
histogram and one gather instead of several float64 passes.
"""
from typing import Callable, Dict, NamedTuple, Optional

import cv2
import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import (apply_modality_lut, apply_voi, apply_voi_lut,
                            apply_windowing)

from ..jobs import describe_error

#: Paths a conversion can take, as recorded in the report.
PATH_VOI_LUT = 'voi_lut'
PATH_WINDOW = 'window'
PATH_NONE = 'none'
PATH_FALLBACK = 'fallback'
PATH_PERCENTILE = 'percentile'

#: Largest number of stored levels evaluated through a lookup table.
MAX_LUT_LEVELS = 2**16


class ConstantImageError(ValueError):
    """Raised when an image has a single value, so min-max scaling is 0/0."""


class PixelError(RuntimeError):
    """Raised when neither a mode nor its fallback could convert a file."""


class PixelResult(NamedTuple):
    """A converted image and how it was obtained.

    Attributes:
        image (np.ndarray): uint8 image, rows x columns.
        path (str): The VOI path taken, e.g. 'voi_lut', 'window', 'none',
            'fallback', prefixed with 'rescale+' or 'modality_lut+' when a
            modality LUT was applied first.
        reason (str): Why a fallback was taken, or '' otherwise.
    """
    image: np.ndarray
    path: str
    reason: str = ''


def _histogram(index: np.ndarray, bins: int) -> np.ndarray:
    """Pixel count of each level 0..bins-1 of a uint8/uint16 index image."""
    if index.size < 2**24:
        # About 10x faster than np.bincount; float32 counts are exact
        # below 2**24 pixels.
        hist = cv2.calcHist([np.ascontiguousarray(index)], [0], None, [bins],
                            [0, bins])
        return hist.ravel().astype(np.int64)
    return np.bincount(index.ravel(), minlength=bins)


class _Levels:
    """Stored values of an image as a domain of levels plus a gather index.

    Expressions are evaluated on :attr:`values` (one entry per level in
    ``[min, max]``, or ``[0, max]`` for unsigned 8/16-bit images, or the
    whole image when a lookup table does not fit);
    reductions only look at the levels present in the image.
    """

    def __init__(self, arr: np.ndarray) -> None:
        self.shape = arr.shape
        self.index = None
        self._counts = None
        if (np.issubdtype(arr.dtype, np.integer) and arr.size
                and arr.dtype.itemsize <= 4):
            lo, hi = int(arr.min()), int(arr.max())
            if arr.dtype.kind == 'u' and arr.dtype.itemsize <= 2:
                # Unsigned stored values index a table from 0 directly,
                # one pass less than an offset image; levels below the
                # minimum are simply absent.
                self.values = np.arange(hi + 1).astype(arr.dtype)
                self.index = arr
                self._ends = (lo, hi)
                return
            if hi - lo < MAX_LUT_LEVELS:
                self.values = np.arange(lo, hi + 1).astype(arr.dtype)
                # A difference that overflows the signed dtype wraps; read
                # as unsigned of the same size it is the true offset.
                offset = arr - arr.dtype.type(lo)
                if arr.dtype.itemsize <= 2:
                    self.index = offset.view(f'u{arr.dtype.itemsize}')
                else:
                    self.index = offset.astype(np.uint16)
                self._ends = (0, hi - lo)
                return
        self.values = arr

    @property
    def counts(self) -> np.ndarray:
        """Pixels per level of :attr:`values` (computed when first asked)."""
        if self._counts is None:
            self._counts = _histogram(self.index, self.values.size)
        return self._counts

    @property
    def present(self) -> np.ndarray:
        """Which levels of :attr:`values` occur in the image."""
        return self.counts > 0

    def select(self, data: np.ndarray) -> np.ndarray:
        """Return the entries of ``data`` that occur in the image."""
        return data if self.index is None else data[self.present]

    def _monotonic_ends(self, data: np.ndarray) -> Optional[np.ndarray]:
        # The image's minimum and maximum level always occur; where data is
        # monotonic between them, its extremes over the levels present are
        # its values there, and no histogram is needed.
        if self.index is None:
            return None
        first, last = self._ends
        span = data[first:last + 1]
        # Compared, not subtracted: unsigned differences would wrap.
        rising = span[1:] >= span[:-1]
        if rising.all() or (span[1:] <= span[:-1]).all():
            return span[[0, -1]]
        return None

    def min(self, data: np.ndarray):
        """Minimum of ``data`` over the levels in the image."""
        ends = self._monotonic_ends(data)
        return np.min(self.select(data) if ends is None else ends)

    def max(self, data: np.ndarray):
        """Maximum of ``data`` over the levels in the image."""
        ends = self._monotonic_ends(data)
        return np.max(self.select(data) if ends is None else ends)

    def percentile(self, data: np.ndarray, q) -> np.ndarray:
        """Nearest-rank (inverted CDF) percentiles of ``data`` per pixel."""
        q = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if self.index is None:
            return np.percentile(data, q, method='inverted_cdf')
        vals = data[self.present]
        counts = self.counts[self.present]
        order = np.argsort(vals, kind='stable')
        cdf = np.cumsum(counts[order])
        # Smallest value whose CDF reaches q percent of the pixels.
        ranks = np.maximum(np.ceil(q / 100 * cdf[-1]), 1)
        return vals[order][np.searchsorted(cdf, ranks, side='left')]

    def gather(self, lut: np.ndarray) -> np.ndarray:
        """Map the image through ``lut`` (computed on :attr:`values`)."""
        if self.index is None:
            return np.ascontiguousarray(lut.reshape(self.shape))
        return np.take(lut, self.index)


def voi_path(ds: Dataset) -> str:
    """Return which VOI step ``apply_voi_lut`` applies to ``ds``.

    Mirrors pydicom's choice: a complete VOI LUT Sequence item wins over
    window center/width; 'none' when neither is present.
    """
    seq = ds.get('VOILUTSequence')
    if seq and None not in (seq[0].get('LUTDescriptor'),
                            seq[0].get('LUTData')):
        return PATH_VOI_LUT
    if None not in (ds.get('WindowCenter'), ds.get('WindowWidth')):
        return PATH_WINDOW
    return PATH_NONE


def _is_monochrome1(ds: Dataset) -> bool:
    return ds.get('PhotometricInterpretation') == 'MONOCHROME1'


def reference_recipe(arr: np.ndarray, ds: Dataset) -> PixelResult:
    """The VinDr-SpineXR reference preprocessing, bit for bit.

    Args:
        arr (np.ndarray): Stored pixel array (``ds.pixel_array``).
        ds (Dataset): Its dataset (VOI module, photometric interpretation).

    Returns:
        PixelResult: The uint8 image and the VOI path taken.

    Raises:
        ConstantImageError: If the image is constant after the VOI step
            (the reference would divide 0 by 0).
    """
    path = voi_path(ds)
    levels = _Levels(arr)
    data = apply_voi_lut(levels.values, ds)
    # Same numpy expressions, dtypes and reductions as the reference; only
    # evaluated per level instead of per pixel.
    if _is_monochrome1(ds):
        data = levels.max(data) - data
    data = data - levels.min(data)
    peak = levels.max(data)
    if peak == 0:
        raise ConstantImageError('constant image after VOI step')
    data = data / peak
    data = (data * 255).astype(np.uint8)
    return PixelResult(levels.gather(data), path)


def reference_fallback(ds: Dataset) -> np.ndarray:
    """The reference fallback for files whose VOI handling raised.

    Re-decodes with Bits Stored 10 or 12 read as 16 (pixels beyond the
    declared depth are kept), scales by the maximum, inverts MONOCHROME1
    and equalises the histogram. ``ds`` is modified.
    """
    if ds.get('BitsStored') in (10, 12):
        ds.BitsStored = 16
    img = ds.pixel_array
    peak = float(img.max())
    if peak == 0:
        raise ConstantImageError('constant image (all zero)')
    img = cv2.convertScaleAbs(img, alpha=255.0 / peak)
    if _is_monochrome1(ds):
        img = cv2.bitwise_not(img)
    return cv2.equalizeHist(img)


def reference_pixels(ds: Dataset,
                     arr: Optional[np.ndarray] = None) -> PixelResult:
    """Reference mode: :func:`reference_recipe`, else the fallback.

    Args:
        ds (Dataset): Dataset with pixel data.
        arr (np.ndarray, optional): Its decoded pixels, if already decoded.

    Returns:
        PixelResult: path is 'fallback' with the recipe's error as reason
        when the fallback was used.
    """
    try:
        if arr is None:
            arr = ds.pixel_array
        return reference_recipe(arr, ds)
    except ConstantImageError:
        raise
    except Exception as exc:  # the reference falls back on any error
        reason = describe_error(exc)
    try:
        img = reference_fallback(ds)
    except ConstantImageError:
        raise
    except Exception as exc:
        again = describe_error(exc)
        extra = '' if again == reason else f': {again}'
        raise PixelError(f'{reason} (fallback failed too{extra})') from exc
    return PixelResult(img, PATH_FALLBACK, reason)


def _modality_prefix(ds: Dataset) -> str:
    if ds.get('ModalityLUTSequence'):
        return 'modality_lut+'
    if 'RescaleSlope' in ds and 'RescaleIntercept' in ds:
        return 'rescale+'
    return ''


def _minmax_uint8(data: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Linearly map [lo, hi] to [0, 255], clipped and rounded, in float32."""
    data = data.astype(np.float32)
    scale = np.float32(255.0 / (hi - lo))
    data = (data - np.float32(lo)) * scale
    np.clip(data, 0, 255, out=data)
    return (data + np.float32(0.5)).astype(np.uint8)


def _invert_if_monochrome1(img: np.ndarray, ds: Dataset) -> np.ndarray:
    return 255 - img if _is_monochrome1(ds) else img


def modality_pixels(ds: Dataset,
                    arr: Optional[np.ndarray] = None) -> PixelResult:
    """Modality mode: modality LUT, VOI LUT or window, min-max to uint8.

    The VOI LUT indexes integer modality values, so a rescale giving
    fractional values is rounded to the nearest integer first.
    """
    if arr is None:
        arr = ds.pixel_array
    levels = _Levels(arr)
    data = apply_modality_lut(levels.values, ds)
    path = voi_path(ds)
    if path == PATH_VOI_LUT:
        if not np.issubdtype(data.dtype, np.integer):
            data = np.rint(data).astype(np.int64)
        data = apply_voi(data, ds)
    elif path == PATH_WINDOW:
        data = apply_windowing(data, ds)
    lo, hi = float(levels.min(data)), float(levels.max(data))
    if hi == lo:
        if path == PATH_NONE:
            raise ConstantImageError('constant image after VOI step')
        # Headers that lie: a window (or LUT) that maps every stored value
        # to one output, e.g. a 16-bit DX whose window covers 0-5400 while
        # its pixels are 32744-65535. The image's own range is the better
        # guess; a truly constant image still raises here.
        result = percentile_pixels(ds, arr)
        return result._replace(
            path=f'{_modality_prefix(ds)}{path}>{PATH_PERCENTILE}',
            reason=f'{_describe_voi(ds, path)} leaves the image constant; '
            'used the percentile window of the image instead')
    img = _invert_if_monochrome1(_minmax_uint8(data, lo, hi), ds)
    return PixelResult(levels.gather(img), _modality_prefix(ds) + path)


def _describe_voi(ds: Dataset, path: str) -> str:
    if path == PATH_VOI_LUT:
        return 'the VOI LUT Sequence'
    center, width = ds.get('WindowCenter'), ds.get('WindowWidth')
    return f'the window (center {center}, width {width})'


def percentile_pixels(ds: Dataset,
                      arr: Optional[np.ndarray] = None,
                      low: float = 0.5,
                      high: float = 99.5) -> PixelResult:
    """Percentile mode: modality LUT, then window on [P_low, P_high].

    Args:
        ds (Dataset): Dataset with pixel data.
        arr (np.ndarray, optional): Its decoded pixels.
        low (float): Lower percentile, mapped to 0.
        high (float): Upper percentile, mapped to 255.
    """
    if not 0 <= low < high <= 100:
        raise ValueError(f'need 0 <= low < high <= 100, got {low}, {high}')
    if arr is None:
        arr = ds.pixel_array
    levels = _Levels(arr)
    data = apply_modality_lut(levels.values, ds)
    lo, hi = (float(v) for v in levels.percentile(data, [low, high]))
    if hi == lo:
        # Most pixels share one value: widen to the full range instead.
        present = levels.select(data)
        lo, hi = float(np.min(present)), float(np.max(present))
        if hi == lo:
            raise ConstantImageError('constant image')
    img = _invert_if_monochrome1(_minmax_uint8(data, lo, hi), ds)
    return PixelResult(
        levels.gather(img),
        _modality_prefix(ds) + PATH_PERCENTILE)


#: Pixel modes by name: ``fn(ds, arr=None) -> PixelResult``.
PIXEL_MODES: Dict[str, Callable[..., PixelResult]] = {
    'reference': reference_pixels,
    'modality': modality_pixels,
    'percentile': percentile_pixels,
}


def to_uint8(ds: Dataset,
             mode: str = 'reference',
             arr: Optional[np.ndarray] = None) -> PixelResult:
    """Convert a dataset's pixels to uint8 with the named mode.

    Args:
        ds (Dataset): Single-frame greyscale dataset.
        mode (str): One of :data:`PIXEL_MODES`.
        arr (np.ndarray, optional): Decoded pixels, decoded here if None.

    Returns:
        PixelResult: Image, path taken and fallback reason.
    """
    if mode not in PIXEL_MODES:
        raise ValueError(f'unknown mode {mode!r}; choose from '
                         f'{sorted(PIXEL_MODES)}')
    return PIXEL_MODES[mode](ds, arr)
