"""Class confusion matrix of a detector, with a background row and column.

Rows are the ground-truth class, columns the predicted class; index ``K``
(the last) is background. A detection scoring ``>= score_thr`` that
overlaps a lesion with IoU ``>= iou_thr`` counts in ``[lesion class,
detection class]``; a detection matching no lesion counts in ``[background,
detection class]`` (a false alarm); a lesion matched by no detection counts
in ``[lesion class, background]`` (a miss).

Matching, per image and greedy by descending score, runs twice so that a
confident detection of the wrong class cannot take a lesion from a right
one: first class-aware (the matches of AP and FROC), then the detections
still unmatched against the lesions still unmatched, across classes. Each
detection and each lesion is counted exactly once.
"""
from typing import Mapping

import numpy as np

from ...thresholds import OPERATING_SCORE_THR
from .froc import ImageBoxes, greedy_match


def detection_confusion_matrix(gts: Mapping[int, ImageBoxes],
                               dets: Mapping[int, ImageBoxes],
                               num_classes: int,
                               score_thr: float = OPERATING_SCORE_THR,
                               iou_thr: float = 0.5) -> np.ndarray:
    """Count matches across classes; see the module docstring.

    Args:
        gts (Mapping[int, ImageBoxes]): Lesions of every evaluated image.
        dets (Mapping[int, ImageBoxes]): Detections by image.
        num_classes (int): K, the number of classes.
        score_thr (float): Detections below are ignored.
        iou_thr (float): Least IoU of a match. Defaults to 0.5.

    Returns:
        np.ndarray: ``(K + 1, K + 1)`` int64 counts.
    """
    bg = num_classes
    matrix = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    empty = ImageBoxes.empty(with_scores=True)
    for img, gt in gts.items():
        det = dets.get(img, empty)
        order = np.argsort(-det.scores, kind='stable')
        order = order[det.scores[order] >= score_thr]
        taken = np.zeros(len(gt.labels), dtype=bool)
        same = greedy_match(gt, det, iou_thr, True, taken, order)
        rest = order[same[order] < 0]
        cross = greedy_match(gt, det, iou_thr, False, taken, rest)
        matched = np.where(same >= 0, same, cross)
        for d in order:
            row = gt.labels[matched[d]] if matched[d] >= 0 else bg
            matrix[row, det.labels[d]] += 1
        for g in np.flatnonzero(~taken):
            matrix[gt.labels[g], bg] += 1
    return matrix
