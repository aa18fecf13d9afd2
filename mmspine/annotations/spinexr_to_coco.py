"""VinDr-SpineXR annotation CSV -> COCO JSON, one file per split.

Kept free of torch and mmdet: it runs in data preparation, before and apart
from any training stack.

Conventions:

* Categories are the 7 detection classes of :data:`SPINEXR_CLASSES`, in that
  order, with COCO ids 1..7 (0 is left free, as in COCO). mmdet's
  ``CocoDataset`` maps categories by name, so only the order matters there.
* Images are the distinct ``image_id`` of the CSV, sorted, with ids 1..N.
  ``file_name`` is ``<image_id>.png`` (or another suffix, e.g. ``.dicom``
  to train from the DICOMs); ``width``/``height`` are those of the PNG (the
  DICOM's, or those ``max_size`` gives, when reading the DICOMs),
  ``original_width``/``original_height`` those of the DICOM; extra
  fields ``study_id``, ``series_id`` and ``abnormal`` (any lesion row, even
  of a dropped type, so normal vs abnormal stays true for classifiers).
* Annotations carry ``rad_id`` and the CSV ``lesion_type`` (which differs
  from the category name when rare types are folded).
* Coordinates are continuous pixel coordinates: the image covers
  ``[0, width] x [0, height]``. A resize from ``(W, H)`` to ``(w, h)``, as
  ``cv2.resize`` does it, then maps ``x`` to ``x * w / W`` exactly, per axis.
* Rows that cannot be read (see :class:`AnnotationCSVError`) make the whole
  conversion fail with one error that lists them, unless ``skip_invalid``
  is set: then they are skipped and listed in the summary.
"""
import csv
import json
import math
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..dicom.convert import FAILED as _FAILED
from ..dicom.convert import max_size_shape
from ..fileio import atomic_write, read_png_size
from ..jobs import JobSummary
from ..metainfo import (ALL_LESION_TYPES, NO_FINDING, RARE_LESION_TYPES,
                        SPINEXR_CLASSES, VINDR_CSV_COLUMNS)

#: Columns an annotation CSV must have.
ANNOTATION_COLUMNS = VINDR_CSV_COLUMNS

#: Boxes narrower or lower than this, in PNG pixels after clipping, are
#: dropped, as in the reference recipe.
MIN_BOX_SIZE = 1e-3

#: COCO category id of each detection class.
CATEGORY_IDS = {name: i + 1 for i, name in enumerate(SPINEXR_CLASSES)}

#: The columns of a dicom2png report that give a PNG's size.
REPORT_SIZE_COLUMNS = ('status', 'output', 'out_rows', 'out_columns')

_COORDS = ('xmin', 'ymin', 'xmax', 'ymax')
_FOLD_TARGET = 'Other lesions'

#: ``(width, height)`` in pixels.
Size = Tuple[int, int]


class AnnotationCSVError(ValueError):
    """Raised when rows of an annotation CSV cannot be converted.

    Attributes:
        problems (list[RowProblem]): every problem found, not only those the
            message shows.
    """

    def __init__(self, message: str, problems: Sequence['RowProblem']):
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class RowProblem:
    """A row that was rejected, or a box that was dropped."""
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f'{self.path}:{self.line}: {self.message}'


@dataclass(frozen=True)
class ImageSize:
    """Size of an image as converted (PNG) and as acquired (DICOM)."""
    width: int
    height: int
    original_width: int
    original_height: int


@dataclass
class CocoStats:
    """What a conversion kept and dropped (the ``stats`` of its summary).

    Attributes:
        num_images (int): images written.
        num_normal (int): images whose only rows are 'No finding'.
        num_without_boxes (int): images written without any box, normal or
            with lesions of dropped types only.
        boxes_per_class (Counter): boxes written, by class name.
        dropped_types (Counter): boxes dropped because their lesion type is
            not one of the 7 classes, by type.
        folded_types (Counter): boxes of rare types written as
            'Other lesions', by original type.
        num_clipped (int): boxes written after clipping to the image.
        degenerate (list[RowProblem]): boxes dropped as degenerate.
        skipped (list[RowProblem]): malformed rows skipped
            (``skip_invalid=True`` only).
    """
    num_images: int = 0
    num_normal: int = 0
    num_without_boxes: int = 0
    boxes_per_class: Counter = field(default_factory=Counter)
    dropped_types: Counter = field(default_factory=Counter)
    folded_types: Counter = field(default_factory=Counter)
    num_clipped: int = 0
    degenerate: List[RowProblem] = field(default_factory=list)
    skipped: List[RowProblem] = field(default_factory=list)

    @property
    def num_boxes(self) -> int:
        return sum(self.boxes_per_class.values())

    def format(self, max_listed: int = 10) -> str:
        """A few human readable lines, the notes of the job's summary."""
        lines = [
            f'images: {self.num_images} ({self.num_normal} normal, '
            f'{self.num_without_boxes} without boxes)',
            f'boxes: {self.num_boxes}'
        ]
        width = max(len(name) for name in SPINEXR_CLASSES)
        for name in SPINEXR_CLASSES:
            lines.append(f'  {name:<{width}} {self.boxes_per_class[name]}')
        if self.folded_types:
            lines.append('folded into Other lesions: ' +
                         _format_counter(self.folded_types))
        lines.append('dropped (type not detected): ' +
                     (_format_counter(self.dropped_types) or '0'))
        lines.append(f'clipped to the image: {self.num_clipped}')
        for title, problems in (('dropped (degenerate)', self.degenerate),
                                ('skipped (invalid rows)', self.skipped)):
            lines.append(f'{title}: {len(problems)}')
            lines.extend(f'  {p}' for p in problems[:max_listed])
            if len(problems) > max_listed:
                lines.append(f'  ... and {len(problems) - max_listed} more')
        return '\n'.join(lines)


def _format_counter(counter: Counter) -> str:
    return ', '.join(f'{k} {v}' for k, v in sorted(counter.items()))


# --------------------------------------------------------------------------
# image sizes


def load_size_csv(path: str) -> Dict[str, Tuple[Size, Optional[Size]]]:
    """Read image sizes from a metadata CSV or a dicom2png report CSV.

    A metadata CSV (``parse_dicom_meta.py``) has ``image_id``, ``rows`` and
    ``columns`` (the DICOM size). A dicom2png report (``dicom2png.py``)
    has :data:`REPORT_SIZE_COLUMNS`: ``status`` and, for converted files,
    ``out_rows`` and ``out_columns`` (the PNG size). Rows without a usable
    size, and report rows whose status is ``failed`` or that lack the PNG
    size, are left out: their images are unknown. When an image id has
    several rows, the last usable one wins.

    Returns:
        dict: ``image_id`` -> ``((orig_width, orig_height), png_size)``
        where ``png_size`` is ``(width, height)`` or None when the CSV does
        not give it.
    """
    return _read_size_table(path)[0]


def unusable_images(path: str) -> Dict[str, str]:
    """Images of a conversion report (or size CSV) without a usable PNG.

    The images :func:`spinexr_to_coco` leaves out, for the classifier
    dataset to leave out the same ones.

    Returns:
        dict: ``image_id`` -> why it is unusable.
    """
    return _read_size_table(path)[1]


def _read_size_table(
    path: str
) -> Tuple[Dict[str, Tuple[Size, Optional[Size]]], Dict[str, str]]:
    """:func:`load_size_csv`, plus why each unusable image was left out."""
    sizes, unusable = {}, {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or [])
        # Reports of older versions lack some of today's columns.
        is_report = set(REPORT_SIZE_COLUMNS) <= columns
        if not is_report and not {'rows', 'columns'} <= columns:
            raise ValueError(
                f'{path}:1: need columns image_id, rows, columns (metadata) '
                f'or image_id, {", ".join(REPORT_SIZE_COLUMNS)} (dicom2png '
                f'report); got '
                f'{", ".join(reader.fieldnames or []) or "nothing"}')
        if 'image_id' not in columns:
            raise ValueError(f'{path}:1: missing column image_id')
        for row in reader:
            image_id = (row['image_id'] or '').strip()
            orig = _parse_size(row, ('columns', 'rows'))
            out, reason = None, None
            if is_report:
                if (row['status'] or '').strip() == _FAILED:
                    why = (row['reason'] or '').strip() or 'no reason given'
                    reason = f'conversion failed in {path}: {why}'
                else:
                    out = _parse_size(row, ('out_columns', 'out_rows'))
                    if out is None:
                        reason = (f'no PNG size (out_columns, out_rows) in '
                                  f'{path}')
            if reason is None and orig is None:
                reason = f'no usable size in {path}'
            if reason is None:
                sizes[image_id] = (orig, out)
                unusable.pop(image_id, None)
            elif image_id not in sizes:
                # e.g. the failed duplicate of a converted image id
                unusable[image_id] = reason
    return sizes, unusable


def _parse_size(row: dict, keys: Tuple[str, str]) -> Optional[Size]:
    try:
        size = tuple(int(float(row[k])) for k in keys)
    except (TypeError, ValueError):
        return None
    return size if min(size) > 0 else None


def resolve_image_sizes(image_ids: Sequence[str],
                        meta_csv: Optional[str] = None,
                        image_dir: Optional[str] = None,
                        max_size: Optional[int] = None
                        ) -> Tuple[Dict[str, ImageSize], Dict[str, str]]:
    """Find the PNG and original size of each image.

    The PNG size comes from the PNG header in ``image_dir`` if given, else
    from the ``out_columns``/``out_rows`` of a dicom2png report, else it is
    taken to be the original size (PNGs at full resolution). The original
    size comes from ``meta_csv`` if given, else it is taken to be the PNG
    size: without ``meta_csv``, downscaled PNGs cannot be detected. With
    ``max_size`` and neither PNGs nor a report, the image size is the
    original one downscaled as ``dicom2png --max-size`` would (for
    training straight from the DICOMs).

    Returns:
        tuple: ``(sizes, reasons)``: ``image_id`` -> :class:`ImageSize` for
        the images whose size is known, and ``image_id`` -> why not, for the
        others.
    """
    if meta_csv is None and image_dir is None:
        raise ValueError('give meta_csv, image_dir or both')
    table, unusable = (
        _read_size_table(meta_csv) if meta_csv is not None else ({}, {}))
    sizes, reasons = {}, {}
    for image_id in image_ids:
        orig = png = None
        if meta_csv is not None:
            if image_id not in table:
                reasons[image_id] = unusable.get(
                    image_id, f'no usable size in {meta_csv}')
                continue
            orig, png = table[image_id]
        if image_dir is not None:
            png_path = osp.join(image_dir, f'{image_id}.png')
            try:
                png = read_png_size(png_path)
            except FileNotFoundError:
                reasons[image_id] = f'{png_path} does not exist'
                continue
            except ValueError as e:
                reasons[image_id] = str(e)
                continue
        if png is None and orig is not None and max_size:
            rows, columns, _ = max_size_shape(orig[1], orig[0], max_size)
            png = (columns, rows)
        png = png or orig
        orig = orig or png
        sizes[image_id] = ImageSize(png[0], png[1], orig[0], orig[1])
    return sizes, reasons


# --------------------------------------------------------------------------
# box mapping


def _scale(png_size: Size, original_size: Size) -> np.ndarray:
    sx = png_size[0] / original_size[0]
    sy = png_size[1] / original_size[1]
    return np.array([sx, sy, sx, sy], dtype=np.float64)


def original_to_png_boxes(boxes: np.ndarray, png_size: Size,
                          original_size: Size) -> np.ndarray:
    """Map ``(N, 4)`` xyxy boxes from original (DICOM) to PNG pixels.

    Args:
        boxes: boxes as ``x1, y1, x2, y2``.
        png_size: ``(width, height)`` of the PNG.
        original_size: ``(width, height)`` of the DICOM.

    Returns:
        np.ndarray: float64 boxes of the same shape, not clipped.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    return boxes * _scale(png_size, original_size)


def png_to_original_boxes(boxes: np.ndarray, png_size: Size,
                          original_size: Size) -> np.ndarray:
    """Map ``(N, 4)`` xyxy boxes from PNG to original (DICOM) pixels.

    The inverse of :func:`original_to_png_boxes`; use it on predictions
    made on downscaled PNGs. Takes the same arguments.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    return boxes / _scale(png_size, original_size)


# --------------------------------------------------------------------------
# CSV reading


@dataclass
class _Row:
    line: int
    image_id: str
    study_id: str
    series_id: str
    rad_id: str
    lesion_type: str
    box: Optional[Tuple[float, float, float, float]]


def _read_rows(path: str) -> Tuple[List[_Row], List[RowProblem]]:
    """Parse and validate the rows of an annotation CSV, except sizes."""
    rows, problems = [], []
    known_types = set(ALL_LESION_TYPES) | {NO_FINDING}
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise AnnotationCSVError(f'{path}:1: empty file, no header',
                                     [RowProblem(path, 1, 'no header')])
        header = [h.strip() for h in header]
        missing = [c for c in ANNOTATION_COLUMNS if c not in header]
        if missing:
            message = f'missing column(s) {", ".join(missing)}'
            raise AnnotationCSVError(f'{path}:1: {message}',
                                     [RowProblem(path, 1, message)])
        index = {c: header.index(c) for c in ANNOTATION_COLUMNS}
        end = reader.line_num
        for fields in reader:
            # A record may span lines if quoted; report where it starts.
            line, end = end + 1, reader.line_num
            if not fields or not any(s.strip() for s in fields):
                continue
            if len(fields) != len(header):
                problems.append(
                    RowProblem(
                        path, line, f'expected {len(header)} fields, got '
                        f'{len(fields)}'))
                continue
            values = {c: fields[i].strip() for c, i in index.items()}
            row, message = _parse_row(line, values, known_types)
            if message is None:
                rows.append(row)
            else:
                problems.append(RowProblem(path, line, message))
    return rows, problems


def _parse_row(line: int, values: Dict[str, str],
               known_types: set) -> Tuple[Optional[_Row], Optional[str]]:
    if not values['image_id']:
        return None, 'empty image_id'
    lesion_type = values['lesion_type']
    if lesion_type not in known_types:
        return None, f'unknown lesion_type {lesion_type!r}'
    box = None
    if lesion_type != NO_FINDING:
        coords = []
        for key in _COORDS:
            text = values[key]
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                what = 'missing' if not text else f'invalid ({text!r})'
                return None, f'{what} {key} on a {lesion_type!r} row'
            coords.append(value)
        x1, y1, x2, y2 = coords
        if x2 < x1:
            return None, f'xmax ({x2:g}) < xmin ({x1:g})'
        if y2 < y1:
            return None, f'ymax ({y2:g}) < ymin ({y1:g})'
        box = (x1, y1, x2, y2)
    return _Row(line, values['image_id'], values['study_id'],
                values['series_id'], values['rad_id'], lesion_type, box), None


def _raise_problems(path: str, problems: List[RowProblem],
                    max_errors: int) -> None:
    lines = [
        f'{path}: {len(problems)} invalid row(s); fix them or pass '
        f'skip_invalid (--skip-invalid) to skip them:'
    ]
    lines.extend(f'  {p}' for p in problems[:max_errors])
    if len(problems) > max_errors:
        lines.append(f'  ... and {len(problems) - max_errors} more')
    raise AnnotationCSVError('\n'.join(lines), problems)


# --------------------------------------------------------------------------
# conversion


def spinexr_to_coco(ann_csv: str,
                    meta_csv: Optional[str] = None,
                    image_dir: Optional[str] = None,
                    fold_rare: bool = False,
                    skip_invalid: bool = False,
                    min_box_size: float = MIN_BOX_SIZE,
                    max_errors: int = 20,
                    img_suffix: str = '.png',
                    max_size: Optional[int] = None
                    ) -> Tuple[dict, 'CocoStats']:
    """Build the COCO dict of one split from its annotation CSV.

    Args:
        ann_csv: VinDr-SpineXR annotation CSV of the split.
        meta_csv: metadata CSV (``image_id``, ``rows``, ``columns`` of the
            DICOM) or dicom2png report CSV (which also gives the PNG sizes,
            and whose failed files are unknown images). Needed to scale
            boxes when the PNGs were downscaled.
        image_dir: folder of ``<image_id>.png``; their headers give the
            image sizes.
        fold_rare: write the six rare lesion types as 'Other lesions'
            instead of dropping them.
        skip_invalid: skip malformed rows and unknown images, and list them
            in the summary, instead of raising.
        min_box_size: boxes narrower or lower than this, in PNG pixels
            after clipping, are dropped and listed in the summary.
        max_errors: how many problems the error message shows.
        img_suffix: ``file_name`` is ``<image_id><img_suffix>``; '.dicom'
            (with ``meta_csv`` from ``parse_dicom_meta.py``) points the
            data set at the DICOMs, for ``LoadSpineDICOM``.
        max_size: the ``max_size`` of ``LoadSpineDICOM`` (or of
            ``dicom2png`` when only the metadata CSV is given): image sizes
            and boxes are those of the downscaled image.

    Returns:
        tuple: ``(coco, stats)``: the COCO dict and a :class:`CocoStats`.

    Raises:
        AnnotationCSVError: on malformed rows or unknown images, unless
            ``skip_invalid``; on a missing column always.
    """
    rows, problems = _read_rows(ann_csv)
    image_ids = sorted({row.image_id for row in rows})
    sizes, reasons = resolve_image_sizes(image_ids, meta_csv, image_dir,
                                         max_size)

    first_row = {}
    valid = []
    for row in rows:
        if row.image_id not in sizes:
            problems.append(
                RowProblem(
                    ann_csv, row.line, f'unknown image {row.image_id!r}: '
                    f'{reasons[row.image_id]}'))
            continue
        first = first_row.setdefault(row.image_id, row)
        if (row.study_id, row.series_id) != (first.study_id, first.series_id):
            problems.append(
                RowProblem(
                    ann_csv, row.line, f'image {row.image_id!r} has '
                    f'study_id/series_id {row.study_id}/{row.series_id} '
                    f'here but {first.study_id}/{first.series_id} on line '
                    f'{first.line}'))
            continue
        valid.append(row)
    problems.sort(key=lambda p: p.line)
    if problems and not skip_invalid:
        _raise_problems(ann_csv, problems, max_errors)

    summary = CocoStats(skipped=problems)
    images, image_index = [], {}
    for image_id in sorted(first_row):
        size, first = sizes[image_id], first_row[image_id]
        image_index[image_id] = len(images) + 1
        images.append(
            dict(
                id=len(images) + 1,
                file_name=image_id + img_suffix,
                width=size.width,
                height=size.height,
                original_width=size.original_width,
                original_height=size.original_height,
                study_id=first.study_id,
                series_id=first.series_id))

    annotations = []
    has_lesion, has_box = set(), set()
    for row in sorted(valid, key=lambda r: (image_index[r.image_id], r.line)):
        if row.lesion_type == NO_FINDING:
            continue
        has_lesion.add(row.image_id)
        name = row.lesion_type
        if name in RARE_LESION_TYPES:
            if not fold_rare:
                summary.dropped_types[name] += 1
                continue
            summary.folded_types[name] += 1
            name = _FOLD_TARGET
        size = sizes[row.image_id]
        png_wh = (size.width, size.height)
        box = original_to_png_boxes(
            np.array(row.box), png_wh,
            (size.original_width, size.original_height))
        clipped = np.clip(box, 0, png_wh * 2)
        x1, y1, x2, y2 = (float(v) for v in clipped)
        w, h = x2 - x1, y2 - y1
        if w < min_box_size or h < min_box_size:
            summary.degenerate.append(
                RowProblem(
                    ann_csv, row.line,
                    f'degenerate {row.lesion_type!r} box on image '
                    f'{row.image_id!r}: {w:g} x {h:g} px after clipping'))
            continue
        summary.num_clipped += int(not np.array_equal(box, clipped))
        summary.boxes_per_class[name] += 1
        has_box.add(row.image_id)
        annotations.append(
            dict(
                id=len(annotations) + 1,
                image_id=image_index[row.image_id],
                category_id=CATEGORY_IDS[name],
                bbox=[x1, y1, w, h],
                area=w * h,
                iscrowd=0,
                rad_id=row.rad_id,
                lesion_type=row.lesion_type))

    for image, image_id in zip(images, sorted(first_row)):
        image['abnormal'] = image_id in has_lesion
    summary.num_images = len(images)
    summary.num_normal = len(images) - len(has_lesion)
    summary.num_without_boxes = len(images) - len(has_box)
    coco = dict(
        info=dict(
            description='VinDr-SpineXR lesion detection',
            source=osp.basename(ann_csv),
            fold_rare=fold_rare),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=[
            dict(id=i, name=name, supercategory='lesion')
            for name, i in CATEGORY_IDS.items()
        ])
    return coco, summary


def convert_spinexr_to_coco(ann_csv: str, out_json: str,
                            **options) -> JobSummary:
    """Convert one split and write its COCO JSON to ``out_json``.

    ``options`` are those of :func:`spinexr_to_coco`. The file is written
    atomically: it is complete or absent, never half written.

    Returns:
        JobSummary: what was kept and dropped (``stats``, a
        :class:`CocoStats`) and the JSON written (``summary.json``).
    """
    coco, stats = spinexr_to_coco(ann_csv, **options)
    with atomic_write(out_json, 'w') as f:
        json.dump(coco, f)
    return JobSummary(
        'spinexr2coco',
        notes=stats.format().splitlines(),
        outputs=dict(json=out_json),
        stats=stats)
