"""Free-response ROC (FROC): lesion sensitivity against false positives.

Lesion detection in medical imaging is read as sensitivity (the share of
ground-truth lesions found) against the mean number of false positives per
image, over all score thresholds. Conventions used here:

* Boxes are ``xyxy`` in continuous pixel coordinates; IoU as in COCO.
* Matching is per image and per class, greedy by descending score: each
  detection takes the unmatched lesion of its class with the highest IoU
  ``>= iou_thr``; one detection matches at most one lesion and one lesion
  at most one detection, so duplicates are false positives.
* The curve has one point per distinct score (ties enter together), plus
  the origin. False positives are divided by *all* images evaluated,
  normal ones included.
* 'overall' pools the class-aware matches of every class: sensitivity over
  all lesions, false positives of all classes per image.
* At most ``max_dets`` detections per image and class count (100 by
  default, the highest-scoring ones), as COCOeval's ``maxDets`` does for
  the AP beside it.
* The sensitivity at a rate ``f`` is a step read-out, no interpolation: the
  sensitivity of the loosest threshold whose mean false positives per image
  do not exceed ``f`` (the curve's last point when it never reaches ``f``).

Pure numpy, no torch.
"""
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

#: False positives per image at which FROC curves are read and drawn:
#: 1/8, 1/4, ..., 8.
FROC_FP_GRID = tuple(float(2.0**e) for e in range(-3, 4))
#: Rates reported in tables and by :class:`SpineXRMetric`.
FROC_REPORT_FPS = (0.5, 1., 2., 4.)


@dataclass
class ImageBoxes:
    """Boxes of one image: ``xyxy`` (N, 4), class indices (N,), scores.

    ``scores`` is None for ground truth.
    """
    boxes: np.ndarray
    labels: np.ndarray
    scores: Optional[np.ndarray] = None

    @classmethod
    def empty(cls, with_scores: bool = False) -> 'ImageBoxes':
        return cls(
            np.zeros((0, 4)), np.zeros(0, np.int64),
            np.zeros(0) if with_scores else None)


@dataclass
class FROCCurve:
    """One FROC curve.

    Attributes:
        fps (np.ndarray): Mean false positives per image, non-decreasing,
            starting at 0.
        sensitivity (np.ndarray): Share of lesions found at each point.
        thresholds (np.ndarray): Lowest score kept at each point (inf at the
            origin).
        num_lesions (int): Ground-truth lesions.
        num_images (int): Images the false positives are divided by.
    """
    fps: np.ndarray
    sensitivity: np.ndarray
    thresholds: np.ndarray
    num_lesions: int
    num_images: int


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every ``xyxy`` box in ``a`` (N, 4) with every one in ``b``."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, inter / union, 0.)


def greedy_match(gt: ImageBoxes,
                 det: ImageBoxes,
                 iou_thr: float = 0.5,
                 class_aware: bool = True,
                 gt_taken: Optional[np.ndarray] = None,
                 det_order: Optional[np.ndarray] = None) -> np.ndarray:
    """Match detections to lesions of one image, greedy by score.

    Args:
        gt (ImageBoxes): Lesions.
        det (ImageBoxes): Detections, with scores.
        iou_thr (float): Least IoU of a match.
        class_aware (bool): Only match equal labels.
        gt_taken (np.ndarray, optional): Bool mask of lesions already taken;
            updated in place.
        det_order (np.ndarray, optional): Indices of the detections to
            consider; default all, by descending score.

    Returns:
        np.ndarray: For each detection the index of its lesion, or -1.
    """
    matched = np.full(len(det.labels), -1, dtype=np.int64)
    if gt_taken is None:
        gt_taken = np.zeros(len(gt.labels), dtype=bool)
    if det_order is None:
        det_order = np.argsort(-det.scores, kind='stable')
    if len(gt.labels) == 0 or len(det_order) == 0:
        return matched
    ious = box_iou(det.boxes, gt.boxes)
    for d in det_order:
        candidates = ious[d].copy()
        candidates[gt_taken] = -1
        if class_aware:
            candidates[gt.labels != det.labels[d]] = -1
        g = int(np.argmax(candidates))
        if candidates[g] >= iou_thr:
            matched[d] = g
            gt_taken[g] = True
    return matched


def match_all(gts: Mapping[int, ImageBoxes],
              dets: Mapping[int, ImageBoxes],
              iou_thr: float = 0.5) -> Dict[int, np.ndarray]:
    """:func:`greedy_match` (class-aware) of every image of ``gts``."""
    empty = ImageBoxes.empty(with_scores=True)
    return {
        img: greedy_match(gt, dets.get(img, empty), iou_thr)
        for img, gt in gts.items()
    }


def froc_curve(gts: Mapping[int, ImageBoxes],
               dets: Mapping[int, ImageBoxes],
               class_index: Optional[int] = None,
               iou_thr: float = 0.5,
               matches: Optional[Dict[int, np.ndarray]] = None) -> FROCCurve:
    """FROC curve of one class (``class_index``) or of all classes (None).

    Args:
        gts (Mapping[int, ImageBoxes]): Lesions of every evaluated image
            (images without lesions included, with empty boxes).
        dets (Mapping[int, ImageBoxes]): Detections by image; images
            outside ``gts`` are ignored.
        class_index (int, optional): Restrict to this label.
        iou_thr (float): Least IoU of a match.
        matches (dict, optional): Result of :func:`match_all`, to reuse.
    """
    if matches is None:
        matches = match_all(gts, dets, iou_thr)
    scores, hits = [], []
    num_lesions = 0
    for img, gt in gts.items():
        num_lesions += int(
            np.sum(gt.labels ==
                   class_index) if class_index is not None else len(gt.labels))
        det = dets.get(img)
        if det is None or len(det.labels) == 0:
            continue
        keep = (
            det.labels == class_index if class_index is not None else np.ones(
                len(det.labels), dtype=bool))
        scores.append(det.scores[keep])
        hits.append(matches[img][keep] >= 0)
    scores = np.concatenate(scores) if scores else np.zeros(0)
    hits = np.concatenate(hits) if hits else np.zeros(0, dtype=bool)
    order = np.argsort(-scores, kind='stable')
    scores, hits = scores[order], hits[order]
    tp, fp = np.cumsum(hits), np.cumsum(~hits)
    # one point per distinct score: the last detection of each tie group
    last = np.flatnonzero(np.r_[scores[1:] != scores[:-1], True]) \
        if scores.size else np.zeros(0, dtype=np.int64)
    num_images = len(gts)
    with np.errstate(divide='ignore', invalid='ignore'):
        sens = tp[last] / num_lesions if num_lesions else \
            np.full(len(last), np.nan)
    return FROCCurve(
        fps=np.r_[0., fp[last] / max(num_images, 1)],
        sensitivity=np.r_[0. if num_lesions else np.nan, sens],
        thresholds=np.r_[np.inf, scores[last]],
        num_lesions=num_lesions,
        num_images=num_images)


def sensitivity_at(curve: FROCCurve, fp_rates: Sequence[float]) -> np.ndarray:
    """Step read-out of the sensitivity at each false-positive rate."""
    idx = np.searchsorted(curve.fps, np.asarray(fp_rates), side='right') - 1
    return curve.sensitivity[idx]


def froc_analysis(gts: Mapping[int, ImageBoxes],
                  dets: Mapping[int, ImageBoxes],
                  classes: Sequence[str],
                  fp_rates: Sequence[float] = FROC_REPORT_FPS,
                  iou_thr: float = 0.5,
                  fp_grid: Sequence[float] = FROC_FP_GRID
                  ) -> 'OrderedDict[str, dict]':
    """FROC of every class and 'overall'.

    Returns:
        OrderedDict: name -> dict(curve=:class:`FROCCurve`,
        sensitivity=``{rate: value}`` at ``fp_rates``, mean_sensitivity=
        the mean over ``fp_grid`` (1/8 .. 8 by default, the CPM score)).
    """
    matches = match_all(gts, dets, iou_thr)
    out = OrderedDict()
    names: List[Tuple[str, Optional[int]]] = [
        (name, k) for k, name in enumerate(classes)
    ] + [('overall', None)]
    for name, k in names:
        curve = froc_curve(gts, dets, k, iou_thr, matches)
        out[name] = dict(
            curve=curve,
            sensitivity=OrderedDict(
                zip(map(float, fp_rates), sensitivity_at(curve, fp_rates))),
            mean_sensitivity=float(np.mean(sensitivity_at(curve, fp_grid))))
    return out


def _top_per_class(labels: np.ndarray, scores: np.ndarray,
                   k: int) -> np.ndarray:
    """Indices (ascending) of the ``k`` best-scoring rows of each label."""
    order = np.argsort(-scores, kind='stable')
    keep = np.zeros(len(scores), dtype=bool)
    for label in np.unique(labels):
        keep[order[labels[order] == label][:k]] = True
    return np.flatnonzero(keep)


def coco_to_image_boxes(
    coco_dataset: dict,
    detections: Sequence[dict],
    cat_ids: Optional[Sequence[int]] = None,
    img_ids: Optional[Sequence[int]] = None,
    max_dets: Optional[int] = 100
) -> Tuple[Dict[int, ImageBoxes], Dict[int, ImageBoxes]]:
    """Ground truth and COCO result dicts as :class:`ImageBoxes` by image.

    Labels become indices into ``cat_ids`` (default: the categories in file
    order); boxes of other categories, and ``iscrowd`` ones, are left out.

    Args:
        coco_dataset (dict): A COCO annotation file's content.
        detections (Sequence[dict]): ``image_id``, ``category_id``, ``bbox``
            (xywh) and ``score``.
        cat_ids (Sequence[int], optional): Categories, in label order.
        img_ids (Sequence[int], optional): Images evaluated; default all.
        max_dets (int, optional): Detections kept per image and class, the
            highest-scoring (ties in file order); None keeps all.
    """
    if cat_ids is None:
        cat_ids = [c['id'] for c in coco_dataset['categories']]
    if img_ids is None:
        img_ids = [img['id'] for img in coco_dataset['images']]
    label_of = {int(c): k for k, c in enumerate(cat_ids)}

    def collect(items, with_scores):
        by_img: Dict[int, list] = {int(i): [] for i in img_ids}
        for n, item in enumerate(items):
            img, cat = item.get('image_id'), item.get('category_id')
            if img not in by_img or cat not in label_of or \
                    item.get('iscrowd', 0):
                continue
            bbox = item.get('bbox')
            if bbox is None or len(bbox) != 4:
                raise ValueError(f'item {n} (image {img}): bbox must be '
                                 f'[x, y, w, h], got {bbox!r}')
            x, y, w, h = map(float, bbox)
            by_img[img].append((x, y, x + w, y + h, label_of[cat],
                                float(item['score']) if with_scores else 0.))
        out = {}
        for img, rows in by_img.items():
            a = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
            if with_scores and max_dets is not None and len(a) > max_dets:
                a = a[_top_per_class(a[:, 4], a[:, 5], max_dets)]
            out[img] = ImageBoxes(a[:, :4], a[:, 4].astype(np.int64),
                                  a[:, 5] if with_scores else None)
        return out

    return (collect(coco_dataset['annotations'],
                    False), collect(detections, True))


def froc_metrics(coco_dataset: dict,
                 detections: Sequence[dict],
                 fp_rates: Sequence[float] = FROC_REPORT_FPS,
                 cat_ids: Optional[Sequence[int]] = None,
                 img_ids: Optional[Sequence[int]] = None,
                 iou_thr: float = 0.5,
                 max_dets: Optional[int] = 100) -> 'OrderedDict[str, float]':
    """Overall sensitivity at ``fp_rates``, as ``froc_sens@<rate>fp`` keys;
    at most ``max_dets`` detections per image and class."""
    gts, dets = coco_to_image_boxes(coco_dataset, detections, cat_ids, img_ids,
                                    max_dets)
    curve = froc_curve(gts, dets, None, iou_thr)
    return OrderedDict(
        (f'froc_sens@{rate:g}fp', float(sens))
        for rate, sens in zip(fp_rates, sensitivity_at(curve, fp_rates)))
