"""The operations of AutoAugment for object detection (Zoph et al., 2020).

Every operation is a plain function on a uint8 ``(H, W, 3)`` image (BGR, as
mmcv loads it) and a float32 ``(N, 4)`` array of ``x1, y1, x2, y2`` pixel
boxes, and returns a new ``(image, boxes)`` pair; the inputs are never
modified. Operations take their physical argument (degrees, pixels, a
factor...); :func:`level_to_arg` turns a policy level 0-10 into it and
:func:`apply_op` runs one ``(name, prob, level)`` entry of a policy.

The semantics follow the public TensorFlow reference
(tensorflow/tpu, ``models/official/detection/utils/autoaugment_utils.py``),
vectorised with OpenCV and NumPy. Where they differ on purpose:

- ``Contrast`` blends towards the mean grey level, as PIL does; the
  reference divides the pixel count by 256 instead of taking the mean.
- Blends round to nearest instead of truncating.
- Boxes of a geometric op are the bounds of their moved corners in
  continuous pixel coordinates, clipped to the image; the reference rounds
  them to whole pixels first and widens boxes of zero size, whereas here
  :class:`DetAutoAugment` drops them.
- ``Posterize`` keeps at least 1 bit: at 0 bits the reference shifts a
  uint8 by 8, which TensorFlow leaves implementation-defined, and a black
  image would erase the radiograph.

The module needs only NumPy and OpenCV, so it runs in data workers without
torch.
"""
import math
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import cv2
import numpy as np

# The policy level is an integer 0..MAX_LEVEL.
MAX_LEVEL = 10.
# Grey that fills the pixels an operation uncovers.
FILL = 128
# Arguments at level MAX_LEVEL (the reference's hyper-parameters).
ROTATE_MAX_DEGREES = 30.
SHEAR_MAX = 0.3
TRANSLATE_MAX_PIXELS = 250.
TRANSLATE_BBOX_MAX_PIXELS = 120.
ENHANCE_MIN, ENHANCE_RANGE = 0.1, 1.8
SOLARIZE_MAX_THRESHOLD = 256
SOLARIZE_ADD_MAX = 110
POSTERIZE_MAX_BITS = 4
CUTOUT_MAX_PAD = 100
BBOX_CUTOUT_MAX_FRACTION = 0.75
CUTOUT_BBOX_MAX_PAD = 50
# A bbox-only op runs on each box with probability prob / 3, so that boxes
# close to each other are not all distorted at once.
BBOX_ONLY_PROB_DIVISOR = 3.

Image = np.ndarray
Boxes = np.ndarray
Result = Tuple[Image, Boxes]

__all__ = [
    'auto_contrast', 'equalize', 'posterize', 'solarize', 'solarize_add',
    'color', 'contrast', 'brightness', 'sharpness', 'cutout', 'bbox_cutout',
    'translate_x_bbox', 'translate_y_bbox', 'shear_x_bbox', 'shear_y_bbox',
    'rotate_bbox', 'rotate_only_bboxes', 'shear_x_only_bboxes',
    'shear_y_only_bboxes', 'translate_x_only_bboxes',
    'translate_y_only_bboxes', 'flip_only_bboxes', 'solarize_only_bboxes',
    'equalize_only_bboxes', 'cutout_only_bboxes', 'level_to_arg', 'apply_op',
    'OP_NAMES', 'GEOMETRIC_OPS', 'BBOX_ONLY_OPS'
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _lut(img: Image, table: np.ndarray) -> Image:
    """Map ``img`` through a (256,) or per-channel (256, 3) table."""
    table = np.clip(np.asarray(table), 0, 255).astype(np.uint8)
    if table.ndim == 2:
        table = np.ascontiguousarray(table).reshape(1, 256, 3)
    return cv2.LUT(img, table)


def _blend(degenerate: Image, img: Image, factor: float) -> Image:
    """``degenerate + factor * (img - degenerate)``, saturated to uint8."""
    if factor == 0:
        return degenerate.copy()
    if factor == 1:
        return img.copy()
    return cv2.addWeighted(degenerate, 1. - factor, img, factor, 0.)


def _blend_constant(img: Image, value: float, factor: float) -> Image:
    """:func:`_blend` towards a constant image, as a lookup table."""
    levels = np.arange(256, dtype=np.float64)
    return _lut(img, np.floor(value + factor * (levels - value) + 0.5))


def _empty_boxes() -> Boxes:
    return np.zeros((0, 4), dtype=np.float32)


def _as_boxes(boxes: Optional[np.ndarray]) -> Boxes:
    if boxes is None:
        return _empty_boxes()
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


def _warp(img: Image, mat: np.ndarray, fill: int) -> Image:
    """Warp ``img`` by the 2x3 affine ``mat`` of continuous coordinates.

    Continuous coordinates put pixel ``i`` on ``[i, i + 1)``, the frame
    boxes live in; OpenCV works on pixel indices (centres), hence the half
    pixel shift. Nearest-neighbour sampling, as in the reference.
    """
    h, w = img.shape[:2]
    lin, t = mat[:, :2], mat[:, 2]
    pix = np.hstack([lin, (t + lin.sum(axis=1) * 0.5 - 0.5)[:, None]])
    return cv2.warpAffine(
        img,
        pix, (w, h),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(fill, fill, fill))


def _warp_boxes(boxes: Boxes, mat: np.ndarray, height: int,
                width: int) -> Boxes:
    """Bounds of the moved corners of ``boxes``, clipped to the image."""
    if len(boxes) == 0:
        return _empty_boxes()
    x1, y1, x2, y2 = boxes.T
    xs = np.stack([x1, x2, x1, x2], axis=1)
    ys = np.stack([y1, y1, y2, y2], axis=1)
    new_x = mat[0, 0] * xs + mat[0, 1] * ys + mat[0, 2]
    new_y = mat[1, 0] * xs + mat[1, 1] * ys + mat[1, 2]
    out = np.stack(
        [new_x.min(1), new_y.min(1),
         new_x.max(1), new_y.max(1)], axis=1)
    out[:, 0::2] = out[:, 0::2].clip(0, width)
    out[:, 1::2] = out[:, 1::2].clip(0, height)
    return out.astype(np.float32)


def _translate_mat(dx: float, dy: float) -> np.ndarray:
    return np.array([[1., 0., dx], [0., 1., dy]])


def _shear_mat(sx: float, sy: float) -> np.ndarray:
    return np.array([[1., sx, 0.], [sy, 1., 0.]])


def _rotate_mat(degrees: float, height: int, width: int) -> np.ndarray:
    # Counter-clockwise on screen about the image centre, like
    # cv2.getRotationMatrix2D and the reference.
    rad = math.radians(degrees)
    c, s = math.cos(rad), math.sin(rad)
    cx, cy = width / 2., height / 2.
    return np.array([[c, s, cx - c * cx - s * cy],
                     [-s, c, cy + s * cx - c * cy]])


def _affine_op(img: Image, boxes: Optional[Boxes], mat: np.ndarray,
               fill: int) -> Result:
    h, w = img.shape[:2]
    return _warp(img, mat, fill), _warp_boxes(_as_boxes(boxes), mat, h, w)


def _pixel_box(box: np.ndarray, height: int,
               width: int) -> Tuple[int, int, int, int]:
    """Pixel rows and columns ``y0:y1, x0:x1`` a box covers, never empty."""
    x0 = int(np.clip(np.floor(box[0]), 0, width - 1))
    y0 = int(np.clip(np.floor(box[1]), 0, height - 1))
    x1 = int(np.clip(np.ceil(box[2]), x0 + 1, width))
    y1 = int(np.clip(np.ceil(box[3]), y0 + 1, height))
    return y0, y1, x0, x1


def _fill_square(img: Image, cy: int, cx: int, pad_y: int, pad_x: int,
                 fill: int) -> Image:
    """Copy of ``img`` with ``[cy - pad_y, cy + pad_y)`` x ... set to fill."""
    out = img.copy()
    out[max(cy - pad_y, 0):max(cy + pad_y, 0),
        max(cx - pad_x, 0):max(cx + pad_x, 0)] = fill
    return out


# ---------------------------------------------------------------------------
# Colour operations: boxes pass through unchanged.
# ---------------------------------------------------------------------------


def auto_contrast(img: Image, boxes: Optional[Boxes] = None) -> Result:
    """Stretch each channel to the full 0-255 range (PIL AutoContrast)."""
    # Extremes from histograms: NumPy's strided per-channel min/max is
    # ten times slower.
    hists = _channel_hists(img)
    present = np.arange(256)[:, None]
    lo = np.where(hists > 0, present, 255).min(axis=0).astype(np.float64)
    hi = np.where(hists > 0, present, 0).max(axis=0).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)[:, None]
    # A flat channel stays as it is.
    scale = np.where(hi > lo, 255. / np.maximum(hi - lo, 1.), 1.)
    offset = np.where(hi > lo, lo, 0.)
    # The epsilon keeps hi at 255 despite rounding in 255 / (hi - lo).
    table = np.floor((levels - offset) * scale + 1e-6)
    return _lut(img, table), _as_boxes(boxes)


def _channel_hists(img: Image) -> np.ndarray:
    """(256, C) histogram of each channel."""
    hists = [
        cv2.calcHist([img], [c], None, [256], [0, 256]).ravel()
        for c in range(img.shape[-1])
    ]
    return np.stack(hists, axis=1).astype(np.int64)


def _equalize_table(hist: np.ndarray) -> np.ndarray:
    """PIL's equalisation table of one channel's histogram."""
    nonzero = hist[hist > 0]
    step = (nonzero.sum() - nonzero[-1]) // 255 if len(nonzero) else 0
    levels = np.arange(256)
    if step == 0:
        return levels
    table = (np.cumsum(hist) + step // 2) // step
    return np.concatenate([[0], table[:-1]])


def equalize(img: Image, boxes: Optional[Boxes] = None) -> Result:
    """Equalise the histogram of each channel (PIL Equalize)."""
    hists = _channel_hists(img)
    table = np.stack([_equalize_table(h) for h in hists.T], axis=1)
    return _lut(img, table), _as_boxes(boxes)


def posterize(img: Image,
              boxes: Optional[Boxes] = None,
              bits: int = 4) -> Result:
    """Keep the ``bits`` most significant bits of each value."""
    shift = min(8 - int(bits), 7)
    levels = np.arange(256)
    return _lut(img, (levels >> shift) << shift), _as_boxes(boxes)


def solarize(img: Image,
             boxes: Optional[Boxes] = None,
             threshold: int = 128) -> Result:
    """Invert the values at or above ``threshold``."""
    levels = np.arange(256)
    table = np.where(levels < threshold, levels, 255 - levels)
    return _lut(img, table), _as_boxes(boxes)


def solarize_add(img: Image,
                 boxes: Optional[Boxes] = None,
                 addition: int = 0,
                 threshold: int = 128) -> Result:
    """Add ``addition`` to the values below ``threshold``, saturated."""
    levels = np.arange(256)
    table = np.where(levels < threshold, levels + addition, levels)
    return _lut(img, table), _as_boxes(boxes)


def color(img: Image,
          boxes: Optional[Boxes] = None,
          factor: float = 1.) -> Result:
    """Blend with the grey version by ``factor`` (PIL Color)."""
    grey = cv2.cvtColor(
        cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return _blend(grey, img, factor), _as_boxes(boxes)


def contrast(img: Image,
             boxes: Optional[Boxes] = None,
             factor: float = 1.) -> Result:
    """Blend with the mean grey level by ``factor`` (PIL Contrast)."""
    mean = cv2.mean(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))[0]
    return _blend_constant(img, round(mean), factor), _as_boxes(boxes)


def brightness(img: Image,
               boxes: Optional[Boxes] = None,
               factor: float = 1.) -> Result:
    """Blend with black by ``factor`` (PIL Brightness)."""
    return _blend_constant(img, 0., factor), _as_boxes(boxes)


# PIL's SMOOTH filter, the degenerate image of Sharpness.
_SMOOTH_KERNEL = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]],
                          dtype=np.float32) / 13.


def sharpness(img: Image,
              boxes: Optional[Boxes] = None,
              factor: float = 1.) -> Result:
    """Blend with a smoothed version by ``factor`` (PIL Sharpness)."""
    smooth = cv2.filter2D(img, -1, _SMOOTH_KERNEL)
    # The filter has no valid output on the border, so PIL keeps it.
    smooth[[0, -1]] = img[[0, -1]]
    smooth[:, [0, -1]] = img[:, [0, -1]]
    return _blend(smooth, img, factor), _as_boxes(boxes)


# ---------------------------------------------------------------------------
# Cutout
# ---------------------------------------------------------------------------


def cutout(img: Image,
           boxes: Optional[Boxes] = None,
           pad_size: int = 0,
           rng: Optional[np.random.Generator] = None,
           fill: int = FILL) -> Result:
    """Fill a ``2 * pad_size`` square at a uniformly random centre."""
    rng = np.random.default_rng() if rng is None else rng
    h, w = img.shape[:2]
    cy, cx = int(rng.integers(h)), int(rng.integers(w))
    return (_fill_square(img, cy, cx, pad_size, pad_size,
                         fill), _as_boxes(boxes))


def bbox_cutout(img: Image,
                boxes: Optional[Boxes] = None,
                pad_fraction: float = 0.,
                rng: Optional[np.random.Generator] = None,
                fill: int = FILL) -> Result:
    """Cutout centred in one random box, sized as a fraction of that box.

    The filled rectangle is ``pad_fraction`` times the box's height and
    width; without boxes the image is returned unchanged.
    """
    rng = np.random.default_rng() if rng is None else rng
    boxes = _as_boxes(boxes)
    if len(boxes) == 0:
        return img.copy(), boxes
    h, w = img.shape[:2]
    y0, y1, x0, x1 = _pixel_box(boxes[rng.integers(len(boxes))], h, w)
    pad_y = int(pad_fraction * (y1 - y0) / 2)
    pad_x = int(pad_fraction * (x1 - x0) / 2)
    cy, cx = int(rng.integers(y0, y1)), int(rng.integers(x0, x1))
    return _fill_square(img, cy, cx, pad_y, pad_x, fill), boxes


# ---------------------------------------------------------------------------
# Geometric operations on the whole image: boxes move along.
# ---------------------------------------------------------------------------


def translate_x_bbox(img: Image,
                     boxes: Optional[Boxes] = None,
                     pixels: float = 0.,
                     fill: int = FILL) -> Result:
    """Move the content ``pixels`` to the right (left if negative)."""
    return _affine_op(img, boxes, _translate_mat(round(pixels), 0.), fill)


def translate_y_bbox(img: Image,
                     boxes: Optional[Boxes] = None,
                     pixels: float = 0.,
                     fill: int = FILL) -> Result:
    """Move the content ``pixels`` down (up if negative)."""
    return _affine_op(img, boxes, _translate_mat(0., round(pixels)), fill)


def shear_x_bbox(img: Image,
                 boxes: Optional[Boxes] = None,
                 level: float = 0.,
                 fill: int = FILL) -> Result:
    """Shear about the top-left corner: ``x' = x + level * y``."""
    return _affine_op(img, boxes, _shear_mat(level, 0.), fill)


def shear_y_bbox(img: Image,
                 boxes: Optional[Boxes] = None,
                 level: float = 0.,
                 fill: int = FILL) -> Result:
    """Shear about the top-left corner: ``y' = y + level * x``."""
    return _affine_op(img, boxes, _shear_mat(0., level), fill)


def rotate_bbox(img: Image,
                boxes: Optional[Boxes] = None,
                degrees: float = 0.,
                fill: int = FILL) -> Result:
    """Rotate counter-clockwise by ``degrees`` about the image centre."""
    h, w = img.shape[:2]
    return _affine_op(img, boxes, _rotate_mat(degrees, h, w), fill)


# ---------------------------------------------------------------------------
# Bbox-only operations: the op runs on the crop of each chosen box; the
# boxes themselves stay where they are.
# ---------------------------------------------------------------------------


def _each_box(img: Image, boxes: Optional[Boxes], prob: float,
              crop_op: Callable[[Image], Image],
              rng: Optional[np.random.Generator]) -> Result:
    """Apply ``crop_op`` to each box's crop with probability ``prob / 3``.

    Boxes are visited in random order, so where they overlap no box always
    wins, as in the reference.
    """
    rng = np.random.default_rng() if rng is None else rng
    boxes = _as_boxes(boxes)
    out = img.copy()
    if len(boxes) == 0:
        return out, boxes
    h, w = img.shape[:2]
    order = rng.permutation(len(boxes))
    chosen = rng.random(len(boxes)) < prob / BBOX_ONLY_PROB_DIVISOR
    for i in order[chosen[order]]:
        y0, y1, x0, x1 = _pixel_box(boxes[i], h, w)
        out[y0:y1, x0:x1] = crop_op(out[y0:y1, x0:x1].copy())
    return out, boxes


def _only_bboxes(op: Callable[..., Result],
                 name: str,
                 takes_fill: bool = True,
                 takes_rng: bool = False) -> Callable[..., Result]:
    """The bbox-only version of whole-image ``op``: ``name(img, boxes,
    prob, *args, rng=None, fill=FILL)`` runs ``op(crop, None, *args)``
    inside each box chosen with probability ``prob / 3``."""

    def only_bboxes(img: Image,
                    boxes: Optional[Boxes] = None,
                    prob: float = 0.,
                    *args,
                    rng: Optional[np.random.Generator] = None,
                    fill: int = FILL) -> Result:
        rng = np.random.default_rng() if rng is None else rng
        kwargs = dict(fill=fill) if takes_fill else {}
        if takes_rng:  # one generator for the boxes and inside them
            kwargs['rng'] = rng
        return _each_box(img, boxes, prob,
                         lambda c: op(c, None, *args, **kwargs)[0], rng)

    only_bboxes.__name__ = only_bboxes.__qualname__ = name
    only_bboxes.__doc__ = (f':func:`{op.__name__}` inside boxes chosen '
                           'with probability prob/3.')
    return only_bboxes


def _flip(img: Image, boxes: Optional[Boxes] = None) -> Result:
    """Mirror left-right."""
    return img[:, ::-1], _as_boxes(boxes)


rotate_only_bboxes = _only_bboxes(rotate_bbox, 'rotate_only_bboxes')
shear_x_only_bboxes = _only_bboxes(shear_x_bbox, 'shear_x_only_bboxes')
shear_y_only_bboxes = _only_bboxes(shear_y_bbox, 'shear_y_only_bboxes')
translate_x_only_bboxes = _only_bboxes(translate_x_bbox,
                                       'translate_x_only_bboxes')
translate_y_only_bboxes = _only_bboxes(translate_y_bbox,
                                       'translate_y_only_bboxes')
flip_only_bboxes = _only_bboxes(_flip, 'flip_only_bboxes', False)
solarize_only_bboxes = _only_bboxes(solarize, 'solarize_only_bboxes', False)
equalize_only_bboxes = _only_bboxes(equalize, 'equalize_only_bboxes', False)
cutout_only_bboxes = _only_bboxes(cutout, 'cutout_only_bboxes', takes_rng=True)

# ---------------------------------------------------------------------------
# Policy levels
# ---------------------------------------------------------------------------


def _enhance(level: float) -> float:
    return level / MAX_LEVEL * ENHANCE_RANGE + ENHANCE_MIN


class _Op(NamedTuple):
    """How a policy entry calls an op.

    ``to_arg`` maps (level, sign) to the op's positional arguments after
    the boxes; ``bbox_only`` ops take the policy probability themselves.
    """
    func: Callable[..., Result]
    to_arg: Callable[[float, int], tuple]
    signed: bool = False
    bbox_only: bool = False
    takes_rng: bool = False
    takes_fill: bool = False


def _no_arg(level: float, sign: int) -> tuple:
    return ()


def _rotate_arg(level: float, sign: int) -> tuple:
    return (sign * level / MAX_LEVEL * ROTATE_MAX_DEGREES, )


def _shear_arg(level: float, sign: int) -> tuple:
    return (sign * level / MAX_LEVEL * SHEAR_MAX, )


def _translate_arg(level: float, sign: int) -> tuple:
    return (sign * level / MAX_LEVEL * TRANSLATE_MAX_PIXELS, )


def _translate_bbox_arg(level: float, sign: int) -> tuple:
    return (sign * level / MAX_LEVEL * TRANSLATE_BBOX_MAX_PIXELS, )


def _solarize_arg(level: float, sign: int) -> tuple:
    return (int(level / MAX_LEVEL * SOLARIZE_MAX_THRESHOLD), )


def _enhance_arg(level: float, sign: int) -> tuple:
    return (_enhance(level), )


_OPS: Dict[str, _Op] = {
    'AutoContrast':
    _Op(auto_contrast, _no_arg),
    'Equalize':
    _Op(equalize, _no_arg),
    'Posterize':
    _Op(posterize, lambda lv, s: (int(lv / MAX_LEVEL * POSTERIZE_MAX_BITS), )),
    'Solarize':
    _Op(solarize, _solarize_arg),
    'SolarizeAdd':
    _Op(solarize_add, lambda lv, s:
        (int(lv / MAX_LEVEL * SOLARIZE_ADD_MAX), )),
    'Color':
    _Op(color, _enhance_arg),
    'Contrast':
    _Op(contrast, _enhance_arg),
    'Brightness':
    _Op(brightness, _enhance_arg),
    'Sharpness':
    _Op(sharpness, _enhance_arg),
    'Cutout':
    _Op(cutout,
        lambda lv, s: (int(lv / MAX_LEVEL * CUTOUT_MAX_PAD), ),
        takes_rng=True,
        takes_fill=True),
    'BBox_Cutout':
    _Op(bbox_cutout,
        lambda lv, s: (lv / MAX_LEVEL * BBOX_CUTOUT_MAX_FRACTION, ),
        takes_rng=True,
        takes_fill=True),
    'TranslateX_BBox':
    _Op(translate_x_bbox, _translate_arg, signed=True, takes_fill=True),
    'TranslateY_BBox':
    _Op(translate_y_bbox, _translate_arg, signed=True, takes_fill=True),
    'ShearX_BBox':
    _Op(shear_x_bbox, _shear_arg, signed=True, takes_fill=True),
    'ShearY_BBox':
    _Op(shear_y_bbox, _shear_arg, signed=True, takes_fill=True),
    'Rotate_BBox':
    _Op(rotate_bbox, _rotate_arg, signed=True, takes_fill=True),
    'Rotate_Only_BBoxes':
    _Op(rotate_only_bboxes, _rotate_arg, True, True, True, True),
    'ShearX_Only_BBoxes':
    _Op(shear_x_only_bboxes, _shear_arg, True, True, True, True),
    'ShearY_Only_BBoxes':
    _Op(shear_y_only_bboxes, _shear_arg, True, True, True, True),
    'TranslateX_Only_BBoxes':
    _Op(translate_x_only_bboxes, _translate_bbox_arg, True, True, True, True),
    'TranslateY_Only_BBoxes':
    _Op(translate_y_only_bboxes, _translate_bbox_arg, True, True, True, True),
    'Flip_Only_BBoxes':
    _Op(flip_only_bboxes, _no_arg, bbox_only=True, takes_rng=True),
    'Solarize_Only_BBoxes':
    _Op(solarize_only_bboxes, _solarize_arg, bbox_only=True, takes_rng=True),
    'Equalize_Only_BBoxes':
    _Op(equalize_only_bboxes, _no_arg, bbox_only=True, takes_rng=True),
    'Cutout_Only_BBoxes':
    _Op(cutout_only_bboxes,
        lambda lv, s: (int(lv / MAX_LEVEL * CUTOUT_BBOX_MAX_PAD), ),
        bbox_only=True,
        takes_rng=True,
        takes_fill=True),
}

#: Every op name a policy may use, in the order of the paper's table.
OP_NAMES = tuple(_OPS)
#: Ops that move the image content and the boxes with it.
GEOMETRIC_OPS = ('TranslateX_BBox', 'TranslateY_BBox', 'ShearX_BBox',
                 'ShearY_BBox', 'Rotate_BBox')
#: Ops applied inside each box with probability prob / 3.
BBOX_ONLY_OPS = tuple(name for name, op in _OPS.items() if op.bbox_only)


def _get_op(name: str) -> _Op:
    if name not in _OPS:
        raise KeyError(f'unknown AutoAugment op {name!r}; '
                       f'choose from {", ".join(OP_NAMES)}')
    return _OPS[name]


def level_to_arg(name: str, level: float, sign: int = 1) -> tuple:
    """The arguments of op ``name`` at policy ``level`` (0-10).

    Args:
        name (str): An op name of :data:`OP_NAMES`.
        level (float): Policy magnitude, 0 to 10.
        sign (int): +1 or -1; flips rotations, shears and translations and
            is ignored by the other ops. Defaults to 1.

    Returns:
        tuple: The positional arguments of the op after the boxes (and
        after ``prob`` for a bbox-only op).
    """
    return _get_op(name).to_arg(level, sign)


def apply_op(name: str,
             img: Image,
             boxes: Optional[Boxes],
             prob: float,
             level: float,
             rng: np.random.Generator,
             fill: int = FILL) -> Result:
    """Run one ``(name, prob, level)`` entry of a policy.

    A whole-image op runs with probability ``prob``; a bbox-only op always
    runs and visits each box with probability ``prob / 3``. Signed ops
    draw their sign with equal odds.

    Args:
        name (str): An op name of :data:`OP_NAMES`.
        img (np.ndarray): uint8 image of shape (H, W, 3).
        boxes (np.ndarray, optional): (N, 4) x1, y1, x2, y2 boxes.
        prob (float): Probability of the entry.
        level (float): Magnitude 0-10.
        rng (np.random.Generator): Source of every random draw.
        fill (int): Grey of uncovered and cut-out pixels. Defaults to 128.

    Returns:
        tuple[np.ndarray, np.ndarray]: The image and the boxes.
    """
    op = _get_op(name)
    boxes = _as_boxes(boxes)
    if not op.bbox_only and not rng.random() < prob:
        return img, boxes
    sign = 1
    if op.signed:
        sign = 1 if rng.random() < 0.5 else -1
    args = op.to_arg(level, sign)
    if op.bbox_only:
        args = (prob, ) + args
    kwargs = {}
    if op.takes_rng:
        kwargs['rng'] = rng
    if op.takes_fill:
        kwargs['fill'] = fill
    return op.func(img, boxes, *args, **kwargs)
