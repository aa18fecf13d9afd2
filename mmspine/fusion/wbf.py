"""Weighted Boxes Fusion of several detectors (or TTA views) per image.

A thin wrapper over the ``ensemble-boxes`` package, which works on boxes
normalised to [0, 1]: boxes go in and come out in pixels.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

#: Default IoU above which boxes of one class are fused into one.
WBF_IOU_THR = 0.55
#: Default score below which boxes are ignored before fusion.
WBF_SKIP_BOX_THR = 0.0


def fuse_boxes_wbf(boxes_list: Sequence[np.ndarray],
                   scores_list: Sequence[np.ndarray],
                   labels_list: Sequence[np.ndarray],
                   image_size: Tuple[int, int],
                   weights: Optional[Sequence[float]] = None,
                   iou_thr: float = WBF_IOU_THR,
                   skip_box_thr: float = WBF_SKIP_BOX_THR,
                   conf_type: str = 'avg'
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fuse the predictions of several models on one image, class by class.

    Args:
        boxes_list (Sequence[np.ndarray]): Per model, ``(N_i, 4)`` xyxy boxes
            in pixels.
        scores_list (Sequence[np.ndarray]): Per model, ``(N_i,)`` scores.
        labels_list (Sequence[np.ndarray]): Per model, ``(N_i,)`` labels.
        image_size (tuple[int, int]): ``(width, height)`` of the pixel grid
            of the boxes; boxes are normalised by it (and clipped to it).
        weights (Sequence[float], optional): One weight per model.
        iou_thr (float): IoU for two boxes to be fused.
        skip_box_thr (float): Boxes scoring lower are dropped first.
        conf_type (str): How fused scores are computed; see
            ``ensemble_boxes.weighted_boxes_fusion``.

    Returns:
        tuple: fused boxes ``(M, 4)`` float64 in pixels, scores ``(M,)``
        and int64 labels ``(M,)``, by decreasing score.
    """
    width, height = image_size
    norm = np.array([width, height, width, height], dtype=np.float64)
    boxes, scores, labels = [], [], []
    for b, s, lab in zip(boxes_list, scores_list, labels_list):
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        boxes.append(np.clip(b / norm, 0., 1.))
        scores.append(np.asarray(s, dtype=np.float64).reshape(-1))
        labels.append(np.asarray(lab).reshape(-1))
    if sum(len(s) for s in scores) == 0:
        return np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64)
    # imported here: ensemble_boxes loads numba (half a second), which
    # the fusion tools that never fuse boxes should not pay for
    from ensemble_boxes import weighted_boxes_fusion
    fused, fused_scores, fused_labels = weighted_boxes_fusion(
        boxes,
        scores,
        labels,
        weights=None if weights is None else list(weights),
        iou_thr=iou_thr,
        skip_box_thr=skip_box_thr,
        conf_type=conf_type)
    return (np.asarray(fused, dtype=np.float64).reshape(-1, 4) * norm,
            np.asarray(fused_scores, dtype=np.float64),
            np.asarray(fused_labels).astype(np.int64))


__all__ = ['WBF_IOU_THR', 'WBF_SKIP_BOX_THR', 'fuse_boxes_wbf']
