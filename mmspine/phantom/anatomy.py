"""Geometry and rendering of a lateral lumbar spine radiograph phantom.

The phantom is a density map: 0 is air, about 0.2 soft tissue, 0.5 bone,
1 metal. Everything is drawn with cv2 polygons and numpy broadcasting, so a
full-size image (about 2500 x 1600) renders in a few tens of milliseconds.
Anterior is to the left (-x) while rendering; the generator may mirror the
result.
"""
import copy
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np

#: Densities of the tissues, in the phantom's units.
AIR = 0.03
SOFT_TISSUE = 0.2
DISC = 0.26
POSTERIOR_BONE = 0.42
BODY_BONE = 0.5
CORTEX = 0.66
METAL = 1.0

# Fixed-point bits for cv2 drawing, so that polygons keep sub-pixel
# positions at small image sizes.
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass
class Vertebra:
    """One vertebral body and its posterior elements.

    ``u`` runs posteriorly and ``v`` caudally in the body's own frame,
    centred on the body; lengths are in pixels.
    """
    cx: float
    cy: float
    width: float
    height: float
    tilt: float  # radians, positive turns the anterior side up
    shift: float = 0.  # anterior displacement of the body only (slip)
    ext_top: float = 0.  # endplate moved into the disc above
    ext_bottom: float = 0.  # endplate moved into the disc below
    anterior_scale: float = 1.  # height factor at the anterior wall
    posterior_scale: float = 1.  # height factor at the posterior wall
    density: float = BODY_BONE

    def to_image(self, u, v, with_shift: bool = True) -> np.ndarray:
        """Map body-frame points to image (x, y), shape (..., 2)."""
        u = np.asarray(u, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        c, s = np.cos(self.tilt), np.sin(self.tilt)
        dx = -self.shift if with_shift else 0.
        x = self.cx + dx + u * c + v * s
        y = self.cy - u * s + v * c
        return np.stack(np.broadcast_arrays(x, y), axis=-1)

    def half_heights(self, u) -> Tuple[np.ndarray, np.ndarray]:
        """Distances from the centre to the top and bottom endplates."""
        t = np.clip(np.asarray(u) / self.width + 0.5, 0, 1)
        scale = self.anterior_scale + (self.posterior_scale -
                                       self.anterior_scale) * t
        half = 0.5 * self.height * scale
        return half + self.ext_top, half + self.ext_bottom

    def outline(self, num: int = 64, power: float = 6.) -> np.ndarray:
        """Rounded-rectangle outline (a superellipse) in image coordinates."""
        t = np.linspace(0, 2 * np.pi, num, endpoint=False)
        cu, sv = np.cos(t), np.sin(t)
        u = 0.5 * self.width * np.sign(cu) * np.abs(cu)**(2 / power)
        sv = np.sign(sv) * np.abs(sv)**(2 / power)
        top, bottom = self.half_heights(u)
        v = np.where(sv < 0, sv * top, sv * bottom)
        return self.to_image(u, v)

    def corner(self, anterior: bool, top: bool) -> np.ndarray:
        """Image position of one endplate corner of the body."""
        u = -0.5 * self.width if anterior else 0.5 * self.width
        top_h, bottom_h = self.half_heights(u)
        return self.to_image(u, -top_h if top else bottom_h)


@dataclass
class SpineAnatomy:
    """A sampled lateral lumbar spine and its surroundings."""
    height: int
    width: int
    vertebrae: List[Vertebra]
    band_width: float  # posterior elements, as a fraction of body width
    skin: Tuple[np.ndarray, np.ndarray]  # per-row anterior/posterior x
    gas: List[Tuple[float, float, float, float, float]]
    sacrum: Vertebra
    texture_seed: int
    blur_sigma: float
    overlays: list = field(default_factory=list)

    @property
    def num_levels(self) -> int:
        """Number of full vertebrae on which lesions may be placed."""
        return len(self.vertebrae) - 1  # the first one is cut by the edge

    def vertebra(self, level: int) -> Vertebra:
        """The vertebra at lesion level ``level`` (0 is the top full one)."""
        return self.vertebrae[level + 1]

    def copy(self) -> 'SpineAnatomy':
        """A deep copy that lesions may modify."""
        return copy.deepcopy(self)


def sample_anatomy(rng: np.random.Generator,
                   height: int,
                   width: int,
                   num_vertebrae: int = 5) -> SpineAnatomy:
    """Sample a lateral lumbar spine filling an image of the given size.

    Args:
        rng (np.random.Generator): Source of randomness.
        height (int): Image rows.
        width (int): Image columns.
        num_vertebrae (int): Full vertebrae between the top vertebra (cut
            by the image edge) and the sacrum.

    Returns:
        SpineAnatomy: The geometry; render it with :func:`render_anatomy`.
    """
    top = height * rng.uniform(0.03, 0.08)
    bottom = height * rng.uniform(0.8, 0.86)
    pitch = (bottom - top) / (num_vertebrae + 0.5)
    body_h = pitch * rng.uniform(0.74, 0.8)
    body_w = min(body_h * rng.uniform(1.15, 1.35), width * 0.26)
    axis_x = width * rng.uniform(0.4, 0.5)
    lordosis = width * rng.uniform(0.02, 0.06)
    vertebrae = []
    for i in range(-1, num_vertebrae):
        t = (i + 0.5) / num_vertebrae
        cy = top + (i + 0.5) * pitch
        # Lumbar lordosis: the middle of the column sits anteriorly and the
        # bodies tilt with the curve.
        cx = axis_x - lordosis * np.sin(np.pi * t)
        tilt = -0.5 * np.pi * lordosis / pitch / num_vertebrae * np.cos(
            np.pi * t) + rng.normal(0, 0.02)
        vertebrae.append(
            Vertebra(
                cx=cx,
                cy=cy,
                width=body_w * rng.uniform(0.96, 1.04),
                height=body_h * rng.uniform(0.96, 1.04),
                tilt=tilt,
                density=BODY_BONE * rng.uniform(0.95, 1.05)))
    last = vertebrae[-1]
    sacral_tilt = rng.uniform(0.5, 0.7)
    sacrum = Vertebra(
        cx=last.cx + 0.35 * body_w,
        cy=last.cy + pitch + 0.9 * body_h,
        width=1.3 * body_w,
        height=2.6 * body_h,
        tilt=-sacral_tilt,
        density=BODY_BONE * 0.95)

    rows = np.arange(height) / height
    phase = rng.uniform(0, 2 * np.pi)
    anterior_skin = width * (
        rng.uniform(0.0, 0.08) + 0.03 * np.sin(2 * np.pi * rows + phase))
    posterior_skin = width * (
        rng.uniform(0.94, 1.02) + 0.02 * np.cos(np.pi * rows + phase))
    gas = []
    # bowel gas lies between the skin and the spine; on narrow images that
    # gap can close, so it never gets narrower than a pixel
    gas_lo = anterior_skin.mean() + 0.05 * width
    gas_hi = max(axis_x - 1.2 * body_w, gas_lo + 1)
    for _ in range(rng.integers(2, 6)):
        gx = rng.uniform(gas_lo, gas_hi)
        gy = rng.uniform(0.1, 0.9) * height
        gas.append((gx, gy, body_w * rng.uniform(0.2, 0.6),
                    body_w * rng.uniform(0.15, 0.4), rng.uniform(0, 180)))
    return SpineAnatomy(
        height=height,
        width=width,
        vertebrae=vertebrae,
        band_width=rng.uniform(0.4, 0.48),
        skin=(anterior_skin, posterior_skin),
        gas=gas,
        sacrum=sacrum,
        texture_seed=int(rng.integers(2**31)),
        blur_sigma=max(0.6, height * rng.uniform(0.0008, 0.0016)))


def fill_polygon(img: np.ndarray, points: np.ndarray, value: float) -> None:
    """Fill a polygon given in float image coordinates, in place."""
    pts = np.round(np.asarray(points) * _ONE).astype(np.int32)
    cv2.fillPoly(img, [pts.reshape(-1, 1, 2)], float(value), cv2.LINE_8,
                 _SHIFT)


def draw_polyline(img: np.ndarray, points: np.ndarray, value: float,
                  thickness: float, closed: bool) -> None:
    """Draw a polyline given in float image coordinates, in place."""
    pts = np.round(np.asarray(points) * _ONE).astype(np.int32)
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], closed, float(value),
                  max(1, int(round(thickness))), cv2.LINE_8, _SHIFT)


def fill_ellipse(img: np.ndarray,
                 center,
                 axes,
                 angle: float,
                 value: float,
                 thickness: float = -1) -> None:
    """Fill (or outline) an ellipse given in float coordinates, in place."""
    c = tuple(int(round(v * _ONE)) for v in center)
    a = tuple(max(1, int(round(v * _ONE))) for v in axes)
    t = -1 if thickness < 0 else max(1, int(round(thickness)))
    cv2.ellipse(img, c, a, float(angle), 0, 360, float(value), t, cv2.LINE_8,
                _SHIFT)


def _soft_tissue(anatomy: SpineAnatomy) -> np.ndarray:
    """Air outside the skin and a smooth soft-tissue thickness inside."""
    h, w = anatomy.height, anatomy.width
    front, back = anatomy.skin
    cols = np.arange(w, dtype=np.float32)[None, :]
    front = front.astype(np.float32)[:, None]
    back = back.astype(np.float32)[:, None]
    # Path length through the trunk peaks in its middle.
    t = (cols - front) / np.maximum(back - front, 1)
    thickness = np.clip(1 - (2 * t - 1)**2, 0, 1)**0.5
    rows = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    tissue = SOFT_TISSUE * (0.75 + 0.35 * thickness) * (1 + 0.15 * rows)
    return np.where((cols >= front) & (cols <= back), tissue,
                    np.float32(AIR)).astype(np.float32)


def _posterior_band(anatomy: SpineAnatomy) -> List[np.ndarray]:
    """Outline of the pedicles and facets, as one strip behind the bodies."""
    inner, outer = [], []
    for vert in anatomy.vertebrae:
        band = anatomy.band_width * vert.width
        for v in (-0.5 * vert.height, 0.5 * vert.height):
            inner.append(vert.to_image(0.45 * vert.width, v, False))
            outer.append(vert.to_image(0.5 * vert.width + band, v, False))
    return [np.array(inner + outer[::-1])]


def foramen_ellipse(anatomy: SpineAnatomy, level: int):
    """Centre, semi-axes and angle (degrees) of the foramen below a level.

    The foramen lies behind the disc between vertebra ``level`` and the next
    one (the sacrum below the last).
    """
    upper = anatomy.vertebra(level)
    lower = (
        anatomy.vertebra(level + 1) if level +
        1 < anatomy.num_levels else anatomy.sacrum)
    band = anatomy.band_width * upper.width
    a = upper.to_image(0.5 * upper.width + 0.45 * band, 0.5 * upper.height,
                       False)
    b = lower.to_image(
        0.5 * lower.width + 0.45 * band, -0.5 * lower.height,
        False) if lower is not anatomy.sacrum else a + (0, 0.3 * upper.height)
    centre = 0.5 * (a + b)
    gap = np.linalg.norm(b - a)
    axes = (0.3 * band, 0.5 * gap + 0.28 * upper.height)
    return centre, axes, -np.degrees(upper.tilt)


def _spinous(vert: Vertebra, band_width: float) -> np.ndarray:
    band = band_width * vert.width
    u0 = 0.5 * vert.width + 0.8 * band
    u1 = 0.5 * vert.width + band + 0.55 * vert.width
    return vert.to_image(
        np.array([u0, u1, u1, u0]),
        np.array([-0.28, 0.0, 0.22, 0.25]) * vert.height, False)


def spinous_tip(anatomy: SpineAnatomy, level: int) -> np.ndarray:
    """Image position of the posterior tip of a spinous process."""
    vert = anatomy.vertebra(level)
    return _spinous(vert, anatomy.band_width)[1:3].mean(axis=0)


def render_texture(anatomy: SpineAnatomy) -> np.ndarray:
    """Multiplicative structure (trabeculae, overlapping tissue)."""
    rng = np.random.default_rng(anatomy.texture_seed)
    h, w = anatomy.height, anatomy.width
    coarse = rng.standard_normal((max(2, h // 24), max(2, w // 24)),
                                 dtype=np.float32)
    fine = rng.standard_normal((max(2, h // 6), max(2, w // 6)),
                               dtype=np.float32)
    tex = (0.05 * cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC) +
           0.03 * cv2.resize(fine, (w, h), interpolation=cv2.INTER_LINEAR))
    return 1 + tex


def render_background(anatomy: SpineAnatomy) -> np.ndarray:
    """Render what no lesion changes: soft tissue, bowel gas, iliac wings.

    Computed once per image and shared by the renders with and without
    each lesion.
    """
    img = _soft_tissue(anatomy)
    for gx, gy, ax, ay, ang in anatomy.gas:
        fill_ellipse(img, (gx, gy), (ax, ay), ang, AIR + 0.08)
    ilium = np.zeros_like(img)
    last = anatomy.vertebrae[-1]
    fill_ellipse(ilium, (last.cx + 0.6 * last.width, last.cy + last.height),
                 (1.6 * last.width, 1.1 * last.height), 20, 0.07)
    img += ilium
    return img


def render_anatomy(anatomy: SpineAnatomy,
                   background: Optional[np.ndarray] = None,
                   texture: Optional[np.ndarray] = None) -> np.ndarray:
    """Render the noise-free, blurred density map of ``anatomy``.

    Overlays (lesion drawings stored in ``anatomy.overlays``) are drawn
    after the anatomy and before the blur.

    Args:
        anatomy (SpineAnatomy): Geometry, possibly modified by lesions.
        background (np.ndarray, optional): Precomputed
            :func:`render_background`, shared between renders of one image.
        texture (np.ndarray, optional): Precomputed :func:`render_texture`.

    Returns:
        np.ndarray: float32 density map, shape (height, width).
    """
    img = (
        render_background(anatomy)
        if background is None else background.copy())
    for poly in _posterior_band(anatomy):
        fill_polygon(img, poly, POSTERIOR_BONE)
    for vert in anatomy.vertebrae:
        fill_polygon(img, _spinous(vert, anatomy.band_width),
                     POSTERIOR_BONE * 0.95)
    for level in range(anatomy.num_levels):
        centre, axes, angle = foramen_ellipse(anatomy, level)
        fill_ellipse(img, centre, axes, angle, SOFT_TISSUE * 1.05)

    bodies = anatomy.vertebrae + [anatomy.sacrum]
    for upper, lower in zip(bodies[:-2], bodies[1:-1]):
        disc = np.array([
            upper.corner(True, False),
            upper.corner(False, False),
            lower.corner(False, True),
            lower.corner(True, True)
        ])
        fill_polygon(img, disc, DISC)
    for vert in bodies:
        outline = vert.outline()
        fill_polygon(img, outline, vert.density)
        draw_polyline(img, outline, vert.density + (CORTEX - BODY_BONE),
                      0.06 * vert.height, True)

    for overlay in anatomy.overlays:
        overlay(img)

    img *= render_texture(anatomy) if texture is None else texture
    return cv2.GaussianBlur(img, (0, 0), anatomy.blur_sigma)
