"""Spinal lesions drawn into a :class:`SpineAnatomy`.

Each lesion either changes the geometry (a slipped or collapsed vertebra, a
narrowed disc) or adds an overlay drawing (spurs, metal, a lytic focus); it
claims anatomical regions so that lesions of one image do not overlap and
each box stays true. The box itself is measured by the generator from the
pixels the lesion changed.
"""
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, List, Optional

import numpy as np

from mmspine.metainfo import RARE_LESION_TYPES, SPINEXR_CLASSES
from .anatomy import (CORTEX, METAL, SOFT_TISSUE, SpineAnatomy, draw_polyline,
                      fill_ellipse, fill_polygon, foramen_ellipse, spinous_tip)


@dataclass
class Lesion:
    """A lesion of one type at one vertebral or disc level."""
    lesion_type: str
    level: int
    params: Dict[str, float]
    claims: FrozenSet[tuple]


#: Sampler signature: (rng, anatomy, level) -> (params, claims).
_Sampler = Callable[[np.random.Generator, SpineAnatomy, int], tuple]


def _body(level):
    return {('top', level), ('mid', level), ('bot', level),
            ('disc', level - 1), ('disc', level)}


# Samplers return the lesion parameters and the regions they claim. Levels
# are vertebra indices (0 the top full one); disc level i is below vertebra i.
def _osteophyte(rng, anatomy, level):
    top = bool(rng.integers(2))
    return dict(
        top=top,
        length=rng.uniform(0.42,
                           0.55)), {('top' if top else 'bot', level),
                                    ('disc', level - 1 if top else level)}


def _implant(rng, anatomy, level):
    return dict(thickness=rng.uniform(0.1, 0.13)), {('mid', level),
                                                    ('mid', level + 1),
                                                    ('post', level)}


def _slip(rng, anatomy, level):
    return dict(shift=rng.uniform(0.22, 0.32)), _body(level)


def _foraminal(rng, anatomy, level):
    return dict(slit=rng.uniform(0.15, 0.3)), {('post', level)}


def _disc_narrowing(rng, anatomy, level):
    return dict(remaining=rng.uniform(0.15, 0.3)), {('bot', level),
                                                    ('top', level + 1),
                                                    ('disc', level)}


def _collapse(rng, anatomy, level):
    return dict(
        anterior=rng.uniform(0.45, 0.6),
        posterior=rng.uniform(0.8, 0.9),
        density=rng.uniform(1.25, 1.4)), _body(level)


def _other(rng, anatomy, level):
    return dict(
        radius=rng.uniform(0.22, 0.28),
        offset=rng.uniform(-0.1, 0.1)), {('mid', level)}


def _ankylosis(rng, anatomy, level):
    return {}, {('bot', level), ('top', level + 1), ('disc', level)}


def _enthesophyte(rng, anatomy, level):
    return {}, {('spine', level)}


def _fracture(rng, anatomy, level):
    return dict(v=rng.uniform(-0.15, 0.15)), {('mid', level)}


def _sclerotic(rng, anatomy, level):
    return dict(radius=rng.uniform(0.1, 0.14)), {('mid', level)}


def _subchondral(rng, anatomy, level):
    return {}, {('top', level)}


def _foreign_body(rng, anatomy, level):
    return dict(v=rng.uniform(-0.4, 0.4)), {('soft', level)}


# Appliers change ``anatomy`` in place: geometry, or overlays drawn later.
def _apply_osteophyte(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    p = lesion.params
    sign = -1 if p['top'] else 1
    length = p['length'] * vert.width
    w, h = vert.width, vert.height
    top_h, bottom_h = vert.half_heights(-0.5 * w)
    edge = sign * (bottom_h if sign > 0 else top_h)
    # A beak growing from the anterior corner, forwards and towards the
    # disc, like a traction spur.
    u = np.array([
        -0.5 * w + 0.2 * w, -0.5 * w, -0.5 * w - 0.55 * length,
        -0.5 * w - 0.35 * length, -0.5 * w
    ])
    v = np.array([
        edge, edge, edge + sign * 0.5 * length, edge + sign * 0.25 * length,
        edge - sign * 0.3 * h
    ])
    pts = vert.to_image(u, v)
    density = vert.density + 0.08
    anatomy.overlays.append(lambda img: (fill_polygon(
        img, pts, density), draw_polyline(img, pts, CORTEX, 0.03 * h, True)))


def _screw(vert, band_width, thickness):
    u0 = 0.5 * vert.width + 0.9 * band_width * vert.width
    u1 = -0.3 * vert.width
    return vert.to_image(np.array([u0, u1]), np.array([0., 0.])), (
        thickness * vert.height)


def _apply_implant(anatomy, lesion):
    upper = anatomy.vertebra(lesion.level)
    lower = anatomy.vertebra(lesion.level + 1)
    t = lesion.params['thickness']
    screws = [_screw(v, anatomy.band_width, t) for v in (upper, lower)]
    heads = np.array([s[0][0] for s in screws])
    rod = heads + np.array([[0, -0.15 * upper.height],
                            [0, 0.15 * lower.height]])

    def draw(img):
        for (ends, thick) in screws:
            draw_polyline(img, ends, METAL, thick, False)
            fill_ellipse(img, ends[0], (1.1 * thick, 1.1 * thick), 0, METAL)
        draw_polyline(img, rod, METAL, 0.8 * screws[0][1], False)

    anatomy.overlays.append(draw)


def _apply_slip(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    vert.shift = lesion.params['shift'] * vert.width


def _apply_foraminal(anatomy, lesion):
    centre, axes, angle = foramen_ellipse(anatomy, lesion.level)
    slit = lesion.params['slit']

    # Hypertrophic facets fill the foramen with dense bone, leaving a slit.
    def draw(img):
        fill_ellipse(img, centre, (1.15 * axes[0], 1.05 * axes[1]), angle,
                     CORTEX)
        fill_ellipse(img, centre, (slit * axes[0], 0.6 * axes[1]), angle,
                     SOFT_TISSUE)

    anatomy.overlays.append(draw)


def _apply_disc_narrowing(anatomy, lesion):
    upper = anatomy.vertebra(lesion.level)
    lower = anatomy.vertebra(lesion.level + 1)
    gap = (lower.cy - 0.5 * lower.height) - (upper.cy + 0.5 * upper.height)
    grow = 0.5 * (1 - lesion.params['remaining']) * gap
    upper.ext_bottom += grow
    lower.ext_top += grow

    # Subchondral sclerosis along both endplates marks the narrowed disc.
    def draw(img):
        for vert, top in ((upper, False), (lower, True)):
            a, b = vert.corner(True, top), vert.corner(False, top)
            draw_polyline(img, np.array([a, b]), CORTEX + 0.1,
                          0.14 * vert.height, False)

    anatomy.overlays.append(draw)


def _apply_collapse(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    p = lesion.params
    vert.anterior_scale = p['anterior']
    vert.posterior_scale = p['posterior']
    vert.density *= p['density']


def _apply_other(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    p = lesion.params
    centre = vert.to_image(p['offset'] * vert.width, 0.)
    r = p['radius'] * vert.width

    # A lytic focus with a sclerotic rim: a target unlike any other class.
    def draw(img):
        fill_ellipse(img, centre, (r, r), 0, CORTEX + 0.15)
        fill_ellipse(img, centre, (0.65 * r, 0.65 * r), 0, SOFT_TISSUE * 0.8)

    anatomy.overlays.append(draw)


def _apply_ankylosis(anatomy, lesion):
    upper = anatomy.vertebra(lesion.level)
    lower = anatomy.vertebra(lesion.level + 1)
    pts = np.array([
        upper.corner(True, False) + (0.1 * upper.width, -0.15 * upper.height),
        upper.corner(True, False) + (-0.12 * upper.width, 0.),
        lower.corner(True, True) + (-0.12 * lower.width, 0.),
        lower.corner(True, True) + (0.1 * lower.width, 0.15 * lower.height)
    ])
    anatomy.overlays.append(
        lambda img: fill_polygon(img, pts, upper.density + 0.1))


def _apply_enthesophyte(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    tip = spinous_tip(anatomy, lesion.level)
    s = 0.2 * vert.width
    pts = np.array(
        [tip + (0, -0.3 * s), tip + (s, 0.4 * s), tip + (0, 0.4 * s)])
    anatomy.overlays.append(lambda img: fill_polygon(img, pts, CORTEX))


def _apply_fracture(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    u = np.linspace(-0.45, 0.45, 7) * vert.width
    v = (lesion.params['v'] + 0.06 * (-1)**np.arange(7)) * vert.height
    pts = vert.to_image(u, v)
    anatomy.overlays.append(lambda img: draw_polyline(
        img, pts, SOFT_TISSUE, 0.035 * vert.height, False))


def _apply_sclerotic(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    r = lesion.params['radius'] * vert.width
    centre = vert.to_image(0.15 * vert.width, 0.)
    anatomy.overlays.append(
        lambda img: fill_ellipse(img, centre, (r, 0.8 * r), 0, CORTEX + 0.1))


def _apply_subchondral(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    a, b = vert.corner(True, True), vert.corner(False, True)
    shift = np.array([0, 0.08 * vert.height])
    anatomy.overlays.append(lambda img: draw_polyline(
        img,
        np.array([a, b]) + shift, CORTEX + 0.05, 0.12 * vert.height, False))


def _apply_foreign_body(anatomy, lesion):
    vert = anatomy.vertebra(lesion.level)
    centre = vert.to_image(-1.5 * vert.width, lesion.params['v'] * vert.height)
    # A solid metal clip in the soft tissue: no ring, unlike other lesions.
    pts = centre + np.array([[-1, -0.3], [1, -0.3], [1, 0.3], [-1, 0.3]
                             ]) * 0.12 * vert.width
    anatomy.overlays.append(lambda img: fill_polygon(img, pts, METAL))


@dataclass
class LesionSpec:
    """How to sample and draw one lesion type."""
    sample: _Sampler
    apply: Callable[[SpineAnatomy, Lesion], None]
    spans_disc: bool = False  # needs the vertebra below inside the spine


LESION_SPECS: Dict[str, LesionSpec] = {
    'Osteophytes':
    LesionSpec(_osteophyte, _apply_osteophyte),
    'Surgical implant':
    LesionSpec(_implant, _apply_implant, True),
    'Spondylolysthesis':
    LesionSpec(_slip, _apply_slip),
    'Foraminal stenosis':
    LesionSpec(_foraminal, _apply_foraminal, True),
    'Disc space narrowing':
    LesionSpec(_disc_narrowing, _apply_disc_narrowing, True),
    'Vertebral collapse':
    LesionSpec(_collapse, _apply_collapse),
    'Other lesions':
    LesionSpec(_other, _apply_other),
    'Ankylosis':
    LesionSpec(_ankylosis, _apply_ankylosis, True),
    'Enthesophytes':
    LesionSpec(_enthesophyte, _apply_enthesophyte),
    'Fracture':
    LesionSpec(_fracture, _apply_fracture),
    'Sclerotic lesion':
    LesionSpec(_sclerotic, _apply_sclerotic),
    'Subchondral sclerosis':
    LesionSpec(_subchondral, _apply_subchondral),
    'Foreign body':
    LesionSpec(_foreign_body, _apply_foreign_body),
}
assert set(LESION_SPECS) == set(SPINEXR_CLASSES + RARE_LESION_TYPES)


def sample_lesion(rng: np.random.Generator, anatomy: SpineAnatomy,
                  lesion_type: str,
                  taken: FrozenSet[tuple]) -> Optional[Lesion]:
    """Place a lesion of ``lesion_type`` at a level free of other lesions.

    Returns:
        Lesion | None: None when every level clashes with ``taken``.
    """
    spec = LESION_SPECS[lesion_type]
    levels = anatomy.num_levels - (1 if spec.spans_disc else 0)
    for level in rng.permutation(levels):
        params, claims = spec.sample(rng, anatomy, int(level))
        if not claims & taken:
            return Lesion(lesion_type, int(level), params, frozenset(claims))
    return None


def apply_lesions(anatomy: SpineAnatomy,
                  lesions: List[Lesion]) -> SpineAnatomy:
    """Return a copy of ``anatomy`` with ``lesions`` applied."""
    anatomy = anatomy.copy()
    for lesion in lesions:
        LESION_SPECS[lesion.lesion_type].apply(anatomy, lesion)
    return anatomy
