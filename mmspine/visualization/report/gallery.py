"""The report's gallery: the worst false positives and missed lesions,
as JPEG thumbnails."""
import base64
from dataclasses import dataclass
from typing import List

import cv2
import numpy as np

from ...evaluation.functional.froc import match_all
from ...thresholds import OPERATING_SCORE_THR


@dataclass
class GalleryItem:
    """One thumbnail: an image region, what is wrong and the boxes."""
    kind: str  # 'false positive' or 'missed lesion'
    image_id: int
    box: np.ndarray  # xyxy of the highlighted box
    caption: str
    rank: float


def gallery_items(gts,
                  dets,
                  classes,
                  score_thr: float = OPERATING_SCORE_THR,
                  num: int = 12) -> List[GalleryItem]:
    """The worst false positives and the missed lesions.

    Matching as in FROC (class-aware, IoU 0.5, all detections). False
    positives: unmatched detections, highest score first. Missed lesions:
    lesions whose matched detection scores below ``score_thr`` or that
    nothing matched, lowest matched score first, larger lesions first
    among equals.
    """
    matches = match_all(gts, dets)
    fps, misses = [], []
    for img, gt in gts.items():
        det = dets.get(img)
        hit = np.zeros(len(gt.labels))
        if det is not None and len(det.labels):
            m = matches[img]
            for d in np.flatnonzero(m < 0):
                fps.append(
                    GalleryItem(
                        'false positive', img, det.boxes[d],
                        f'{classes[det.labels[d]]} {det.scores[d]:.2f}',
                        -float(det.scores[d])))
            for d in np.flatnonzero(m >= 0):
                hit[m[d]] = det.scores[d]
        for g in np.flatnonzero(hit < score_thr):
            w, h = gt.boxes[g, 2:] - gt.boxes[g, :2]
            found = f'found at {hit[g]:.2f}' if hit[g] else 'not found'
            misses.append(
                GalleryItem('missed lesion', img, gt.boxes[g],
                            f'{classes[gt.labels[g]]}, {found}',
                            hit[g] - 1e-9 * w * h))
    fps.sort(key=lambda x: x.rank)
    misses.sort(key=lambda x: x.rank)
    return fps[:num] + misses[:num]


def thumbnail(image: np.ndarray,
              item: GalleryItem,
              gt,
              det,
              score_thr: float,
              size: int = 180,
              quality: int = 70) -> str:
    """A JPEG data URI of the region around ``item.box``.

    Ground truth in green, detections scoring ``>= min(score_thr, the
    highlighted one)`` in orange, the highlighted box thick.
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = item.box
    side = max(3 * max(x2 - x1, y2 - y1), 48)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    l, t = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    r, b = int(min(cx + side / 2, w)), int(min(cy + side / 2, h))
    crop = image[t:max(b, t + 1), l:max(r, l + 1)]
    scale = size / max(crop.shape[:2])
    crop = cv2.resize(
        crop,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)

    def draw(box, colour, thickness):
        p = ((np.asarray(box) - [l, t, l, t]) * scale).round().astype(int)
        cv2.rectangle(crop, tuple(p[:2]), tuple(p[2:]), colour, thickness)

    for box in gt.boxes:
        draw(box, (0, 200, 0), 1)
    if det is not None:
        thr = min(score_thr, -item.rank) if item.kind == 'false positive' \
            else score_thr
        for box, s in zip(det.boxes, det.scores):
            if s >= thr:
                draw(box, (0, 140, 255), 1)
    draw(item.box, (0, 0, 255) if item.kind == 'false positive' else
         (0, 255, 0), 2)
    ok, buf = cv2.imencode('.jpg', crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return 'data:image/jpeg;base64,' + base64.b64encode(
        buf.tobytes()).decode('ascii')


__all__ = ['GalleryItem', 'gallery_items', 'thumbnail']
