"""Synthetic VinDr-SpineXR-like data set: DICOM images and annotation CSVs.

:func:`make_phantom` writes ``train_images/*.dicom``, ``test_images/*.dicom``
and ``annotations/{train,test}.csv`` in the VinDr-SpineXR layout. Every
image is generated from its own seed, so the output does not depend on the
number of workers, and the same seed gives identical files.
"""
import csv
import functools
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         JPEG2000Lossless, RLELossless, generate_uid)

from mmspine.dicom.batch import parallel_map
from mmspine.dicom.writer import (available_transfer_syntaxes, build_dataset,
                                  write_dicom)
from mmspine.fileio import atomic_write, write_atomic
from mmspine.metainfo import (NO_FINDING, RARE_LESION_TYPES, SPINEXR_CLASSES,
                              VINDR_CSV_COLUMNS)
from .anatomy import (METAL, render_anatomy, render_background, render_texture,
                      sample_anatomy)
from .lesions import apply_lesions, sample_lesion

#: Columns of the CSVs written, those of VinDr-SpineXR.
CSV_COLUMNS = VINDR_CSV_COLUMNS

#: Long image side of real VinDr-SpineXR radiographs, in pixels.
DEFAULT_SIZE = 2500

#: Density that maps to the top of the stored range; metal saturates there.
_MAX_DENSITY = 1.1 * METAL

# Acquisition variants cycled over the images of a split, so that a split
# of a dozen images already contains each of them.
_PHOTOMETRICS = ('MONOCHROME2', 'MONOCHROME1')
_BITS_STORED = (12, 14, 16)
_VOI = ('window', 'voi_lut', 'window', 'none')
_RESCALES = (None, (1.0, -1024.0), (0.5, 0.0))
_SYNTAXES = (ExplicitVRLittleEndian, RLELossless, ImplicitVRLittleEndian,
             JPEG2000Lossless)
_HEIGHTS = (1.0, 0.9, 0.8)  # fractions of ``size``
_ASPECTS = (0.65, 0.62, 0.72)  # width / height
_SPACINGS = (0.15, 0.125, 0.175, 0.14)  # mm at DEFAULT_SIZE
_MODALITIES = ('DX', 'CR')
_MANUFACTURERS = ('GE Healthcare', 'Philips', 'SIEMENS', 'Carestream')
_BODY_PARTS = ('LSPINE', 'SPINE', 'L SPINE')
_SPLITS = {'train': 0, 'test': 1}


@dataclass
class PhantomLesion:
    """A drawn lesion: its type, box (xmin, ymin, xmax, ymax) in pixel-edge
    coordinates and the mask of the pixels it changed."""
    lesion_type: str
    box: Tuple[float, float, float, float]
    mask: np.ndarray


@dataclass
class PhantomImage:
    """A rendered phantom radiograph and its truth."""
    density: np.ndarray  # float32, final image with noise and marker
    normal: np.ndarray  # float32, noise-free render without lesions
    lesions: List[PhantomLesion]
    flipped: bool


@dataclass
class ImageJob:
    """Everything needed to generate one image file, decided up front."""
    split: str
    index: int
    image_id: str
    study_id: str
    series_id: str
    rad_id: str
    lesion_types: Tuple[str, ...]
    height: int
    width: int
    dicom: Dict = field(default_factory=dict)  # build_dataset kwargs
    seed: int = 0


def _box_of(mask: np.ndarray) -> Optional[Tuple[float, float, float, float]]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1),
            float(rows[-1] + 1))


def _draw_marker(img: np.ndarray, rng: np.random.Generator,
                 boxes: Sequence[Tuple[float, ...]]) -> None:
    """Burn a lead 'L' or 'R' marker into a top corner free of lesions."""
    h, w = img.shape
    scale = h / 700
    thickness = max(1, int(round(h / 300)))
    text = 'L' if rng.random() < 0.5 else 'R'
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale,
                                  thickness)
    pad = int(0.03 * h)
    for x in [pad, w - pad - tw][::1 if rng.random() < 0.5 else -1]:
        box = (x - thickness, pad - thickness, x + tw + thickness,
               pad + th + 2 * thickness)
        if all(box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1]
               or box[1] >= b[3] for b in boxes):
            # OpenCV 5 draws text on 8-bit images only: draw a mask
            mask = np.zeros(img.shape, np.uint8)
            cv2.putText(mask, text, (x, pad + th), cv2.FONT_HERSHEY_SIMPLEX,
                        scale, 255, thickness)
            img[mask > 0] = 0.95 * METAL
            return


def render_phantom(rng: np.random.Generator,
                   height: int,
                   width: int,
                   lesion_types: Sequence[str] = (),
                   noise: Tuple[float, float] = (0.006, 0.016),
                   mask_threshold: float = 0.02,
                   flip_prob: float = 0.5) -> PhantomImage:
    """Render one lateral lumbar spine radiograph with the given lesions.

    Each lesion's box is the bounding box of the pixels where rendering with
    that lesion differs from rendering without it by more than
    ``mask_threshold``, so boxes are true by construction. Lesions that find
    no free level are left out.

    Args:
        rng (np.random.Generator): Source of randomness.
        height (int): Image rows.
        width (int): Image columns.
        lesion_types (Sequence[str]): Lesion types to draw, at most one
            lesion each; any of the 13 VinDr-SpineXR types.
        noise (tuple[float, float]): Range of the noise level, in density
            units (bone is about 0.5).
        mask_threshold (float): Density change that counts as the lesion.
        flip_prob (float): Probability of facing right instead of left.

    Returns:
        PhantomImage: Density map, normal render and the drawn lesions.
    """
    anatomy = sample_anatomy(rng, height, width)
    placed, taken = [], frozenset()
    for lesion_type in lesion_types:
        lesion = sample_lesion(rng, anatomy, lesion_type, taken)
        if lesion is not None:
            placed.append(lesion)
            taken = taken | lesion.claims
    background = render_background(anatomy)
    texture = render_texture(anatomy)
    normal = render_anatomy(anatomy, background, texture)
    lesions, drawn, renders = [], [], []
    for lesion in placed:
        single = render_anatomy(
            apply_lesions(anatomy, [lesion]), background, texture)
        mask = np.abs(single - normal) > mask_threshold
        if mask.any():
            drawn.append(lesion)
            renders.append(single)
            lesions.append(PhantomLesion(lesion.lesion_type, None, mask))
    if len(drawn) == 1:
        # the drawn lesion's own render, not the last placed one's
        density = renders[0]
    elif drawn:
        density = render_anatomy(
            apply_lesions(anatomy, drawn), background, texture)
    else:
        density = normal.copy()

    flipped = bool(rng.random() < flip_prob)
    if flipped:
        density = np.ascontiguousarray(density[:, ::-1])
        normal = np.ascontiguousarray(normal[:, ::-1])
        for lesion in lesions:
            lesion.mask = np.ascontiguousarray(lesion.mask[:, ::-1])
    for lesion in lesions:
        lesion.box = _box_of(lesion.mask)

    sigma = rng.uniform(*noise)
    # Quantum noise grows with the signal; the floor is detector noise.
    grain = rng.standard_normal((height, width), dtype=np.float32)
    density += grain * np.float32(sigma) * (0.5 + density)
    _draw_marker(density, rng, [lesion.box for lesion in lesions])
    return PhantomImage(density, normal, lesions, flipped)


def to_stored(density: np.ndarray, rng: np.random.Generator, photometric: str,
              bits_stored: int) -> np.ndarray:
    """Quantise a density map to stored values of the given bit depth."""
    max_value = 2**bits_stored - 1
    lo = max_value * rng.uniform(0.02, 0.1)
    hi = max_value * rng.uniform(0.85, 0.98)
    norm = np.clip(density, 0, _MAX_DENSITY) * np.float32(
        (hi - lo) / _MAX_DENSITY)
    stored = np.rint(norm + np.float32(lo)).astype(np.uint16)
    if photometric == 'MONOCHROME1':
        stored = max_value - stored
    return stored


def _voi_kwargs(stored: np.ndarray, rng: np.random.Generator, voi: str,
                rescale: Optional[Tuple[float,
                                        float]], bits_stored: int) -> Dict:
    kwargs = dict(rescale=rescale)
    if voi == 'window':
        lo, hi = float(stored.min()), float(stored.max())
        slope, intercept = rescale or (1.0, 0.0)
        # The window is in rescaled units (DICOM), but pipelines that apply
        # it to stored values exist too; covering both ranges keeps the
        # whole image visible either way.
        lo, hi = min(lo, lo * slope + intercept), max(hi,
                                                      hi * slope + intercept)
        kwargs['window'] = (round((lo + hi) / 2,
                                  1), round((hi - lo) * 1.05 + 1, 1))
    elif voi == 'voi_lut':
        x = np.linspace(0, 1, 2**bits_stored)
        kwargs['voi_lut'] = np.rint(4095 * x**rng.uniform(0.75, 1.3)).astype(
            np.uint16)
    return kwargs


def generate_image(job: ImageJob) -> Tuple[PhantomImage, object]:
    """Render the image of ``job`` and build its DICOM dataset.

    Returns:
        tuple: The :class:`PhantomImage` and the ``pydicom.FileDataset``.
    """
    rng = np.random.default_rng(job.seed)
    image = render_phantom(rng, job.height, job.width, job.lesion_types)
    opts = dict(job.dicom)
    photometric = opts.pop('photometric')
    bits_stored = opts.pop('bits_stored')
    stored = to_stored(image.density, rng, photometric, bits_stored)
    kwargs = _voi_kwargs(stored, rng, opts.pop('voi'), opts.pop('rescale'),
                         bits_stored)
    ds = build_dataset(
        stored,
        photometric=photometric,
        bits_stored=bits_stored,
        **kwargs,
        **opts)
    return image, ds


def _write_job(job: ImageJob, out_dir: str) -> List[Dict[str, str]]:
    image, ds = generate_image(job)
    path = osp.join(out_dir, f'{job.split}_images', f'{job.image_id}.dicom')
    # Atomic, so that an interrupted run leaves no half file.
    write_atomic(path, functools.partial(write_dicom, ds=ds))
    base = dict(
        image_id=job.image_id,
        study_id=job.study_id,
        series_id=job.series_id,
        rad_id=job.rad_id)
    if not image.lesions:
        return [
            dict(
                base,
                lesion_type=NO_FINDING,
                xmin='',
                ymin='',
                xmax='',
                ymax='')
        ]
    return [
        dict(
            base,
            lesion_type=lesion.lesion_type,
            **{
                k: f'{v:.1f}'
                for k, v in zip(CSV_COLUMNS[5:], lesion.box)
            }) for lesion in image.lesions
    ]


def _cycle(rng: np.random.Generator, values: Sequence, num: int) -> list:
    """``num`` values covering ``values`` evenly, in shuffled rounds."""
    out = []
    while len(out) < num:
        out.extend(values[i] for i in rng.permutation(len(values)))
    return out[:num]


def plan_lesions(rng: np.random.Generator,
                 num_images: int,
                 normal_fraction: float = 0.5,
                 max_lesions: int = 3,
                 rare_fraction: float = 0.1) -> List[Tuple[str, ...]]:
    """Choose the lesion types of each image of a split.

    The 7 detection classes are dealt out in shuffled rounds so that each is
    about equally frequent (a phantom for learning, unlike the real data's
    long tail); a few abnormal images also get one rare type.

    Args:
        rng (np.random.Generator): Source of randomness.
        num_images (int): Images in the split.
        normal_fraction (float): Fraction of 'No finding' images.
        max_lesions (int): Most lesions of distinct types per image.
        rare_fraction (float): Fraction of abnormal images with a rare
            type; at least one when there are abnormal images.

    Returns:
        list[tuple[str, ...]]: Lesion types per image; empty for normal ones.
    """
    num_normal = int(round(num_images * normal_fraction))
    num_abnormal = num_images - num_normal
    counts = rng.integers(1, max_lesions + 1, num_abnormal)
    deck = _cycle(rng, SPINEXR_CLASSES, int(counts.sum()) + max_lesions)
    plans = []
    for count in counts:
        types = []
        while len(types) < count:
            # take the first card of a type this image lacks; drawing and
            # discarding duplicates instead could empty the deck
            fresh = [t for t in deck if t not in types]
            if not fresh:
                deck += _cycle(rng, SPINEXR_CLASSES, len(SPINEXR_CLASSES))
                continue
            deck.remove(fresh[0])
            types.append(fresh[0])
        plans.append(types)
    num_rare = min(num_abnormal, math.ceil(rare_fraction * num_abnormal))
    for types, rare in zip(plans, _cycle(rng, RARE_LESION_TYPES, num_rare)):
        types.append(rare)
    plans = [tuple(t) for t in plans] + [()] * num_normal
    return [plans[i] for i in rng.permutation(num_images)]


def plan_split(split: str,
               num_images: int,
               seed: int,
               size: Optional[int] = None,
               **plan_kwargs) -> List[ImageJob]:
    """Decide ids, lesions and DICOM variant of every image of a split.

    Args:
        split (str): 'train' or 'test'.
        num_images (int): Images in the split.
        seed (int): Data set seed.
        size (int, optional): Long image side in pixels; sizes vary down to
            80% of it. Defaults to :data:`DEFAULT_SIZE`.
        **plan_kwargs: Passed to :func:`plan_lesions`.

    Returns:
        list[ImageJob]: One job per image.
    """
    size = size or DEFAULT_SIZE
    split_key = _SPLITS[split]
    rng = np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(split_key, )))
    lesions = plan_lesions(rng, num_images, **plan_kwargs)
    syntaxes = [s for s in _SYNTAXES if s in available_transfer_syntaxes()]
    cycles = {
        name: _cycle(rng, values, num_images)
        for name, values in dict(
            photometric=_PHOTOMETRICS,
            bits_stored=_BITS_STORED,
            voi=_VOI,
            rescale=_RESCALES,
            transfer_syntax=syntaxes,
            height=_HEIGHTS,
            aspect=_ASPECTS,
            spacing=_SPACINGS,
            modality=_MODALITIES).items()
    }
    jobs, study = [], None
    for i in range(num_images):
        # Studies hold one or two views of one patient, as in VinDr.
        if study is None or study['left'] == 0:
            study = dict(
                left=int(rng.integers(1, 3)),
                study_id=rng.bytes(16).hex(),
                patient=rng.bytes(8).hex(),
                sex=str(rng.choice(['M', 'F'])),
                age=f'{int(rng.integers(20, 90)):03d}Y',
                manufacturer=str(rng.choice(_MANUFACTURERS)),
                rad_id=f'rad{int(rng.integers(1, 10))}')
        study['left'] -= 1
        height = int(round(size * cycles['height'][i]))
        width = int(round(height * cycles['aspect'][i]))
        spacing = round(cycles['spacing'][i] * DEFAULT_SIZE / size, 4)
        image_id = rng.bytes(16).hex()
        series_id = rng.bytes(16).hex()
        # UIDs derive from the ids, so the same seed gives identical files.
        dicom = dict(
            photometric=cycles['photometric'][i],
            bits_stored=cycles['bits_stored'][i],
            voi=cycles['voi'][i],
            rescale=cycles['rescale'][i],
            transfer_syntax=cycles['transfer_syntax'][i],
            pixel_spacing=(spacing, spacing),
            Modality=cycles['modality'][i],
            PatientID=study['patient'],
            PatientSex=study['sex'],
            PatientAge=study['age'],
            Manufacturer=study['manufacturer'],
            BodyPartExamined=str(rng.choice(_BODY_PARTS)),
            ViewPosition='LL',
            StudyInstanceUID=generate_uid(entropy_srcs=[study['study_id']]),
            SeriesInstanceUID=generate_uid(entropy_srcs=[series_id]),
            SOPInstanceUID=generate_uid(entropy_srcs=[image_id]),
            InstanceNumber=i + 1)
        jobs.append(
            ImageJob(
                split=split,
                index=i,
                image_id=image_id,
                study_id=study['study_id'],
                series_id=series_id,
                rad_id=study['rad_id'],
                lesion_types=lesions[i],
                height=height,
                width=width,
                dicom=dicom,
                seed=int(rng.integers(2**63))))
    return jobs


def _run_job(args) -> Tuple[int, List[Dict[str, str]]]:
    index, *job_args = args
    return index, _write_job(*job_args)


def make_phantom(out_dir: str,
                 num_train: int,
                 num_test: int,
                 seed: int = 0,
                 size: Optional[int] = None,
                 workers: int = 1,
                 **plan_kwargs) -> Dict[str, List[Dict[str, str]]]:
    """Write a synthetic VinDr-SpineXR-like data set under ``out_dir``.

    Args:
        out_dir (str): Output root; gets ``train_images/``, ``test_images/``
            and ``annotations/{train,test}.csv``.
        num_train (int): Training images.
        num_test (int): Test images.
        seed (int): Seed; the same seed gives identical files.
        size (int, optional): Long image side in pixels (sizes vary down to
            80% of it). Defaults to :data:`DEFAULT_SIZE`, as real images.
        workers (int): Worker processes; the output does not depend on it.
        **plan_kwargs: Passed to :func:`plan_lesions`.

    Returns:
        dict[str, list[dict]]: The CSV rows written, per split.
    """
    rows = {}
    for split, num in (('train', num_train), ('test', num_test)):
        os.makedirs(osp.join(out_dir, f'{split}_images'), exist_ok=True)
        jobs = plan_split(split, num, seed, size, **plan_kwargs)
        args = [(i, job, out_dir) for i, job in enumerate(jobs)]
        # completion order from the pool; the CSV keeps the plan's order
        results = sorted(
            parallel_map(
                _run_job,
                args,
                min(workers, len(jobs)),
                total=len(jobs),
                desc=split,
                progress=False,
                chunksize=2))
        rows[split] = [row for _, result in results for row in result]
        ann_dir = osp.join(out_dir, 'annotations')
        os.makedirs(ann_dir, exist_ok=True)
        with atomic_write(osp.join(ann_dir, f'{split}.csv'), newline='') as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows[split])
    return rows
