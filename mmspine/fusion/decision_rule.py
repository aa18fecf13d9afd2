"""The classifier-detector decision rule of VinDr-SpineXR, and its inverse.

Detections are COCO result dicts (``image_id``, ``category_id``, ``bbox``
as xywh, ``score``); images are matched to classifier predictions by the
stem of the COCO ``file_name``, which is the VinDr image_id.
"""
import json
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from terminaltables import AsciiTable

from ..evaluation.detections import (images_by_stem, label_cat_ids,
                                     read_detections)
from ..evaluation.functional.coco_ap import (SPINEXR_IOU_THRS, as_coco,
                                             coco_box_ap)
from ..fileio import atomic_write
from ..thresholds import RULE_C_GRID, RULE_K, RULE_K_GRID

#: Default grid of the classifier threshold c in a sweep.
DEFAULT_C_GRID = RULE_C_GRID
#: Default grid of the box score threshold k in a sweep.
DEFAULT_K_GRID = RULE_K_GRID


def load_detections(path: str,
                    coco_api,
                    classes: Optional[Sequence[str]] = None) -> List[dict]:
    """Read detector results as a list of COCO result dicts.

    Args:
        path (str): A COCO results JSON, a ``tools/test.py --out`` pickle
            or ``tools/infer.py`` findings (see
            :func:`~mmspine.evaluation.detections.read_detections`).
        coco_api: The ground-truth COCO object.
        classes (Sequence[str], optional): The detector's dataset classes,
            for a pickle's labels. Defaults to the annotation file's
            categories.

    Raises:
        ValueError: when a result's image is not in the annotation file
            (or, for findings, its inference failed).
    """
    return read_detections(path, coco_api, classes).check(path)


def image_id_map(coco_api) -> Dict[str, int]:
    """VinDr image_id (file name stem) -> COCO image id."""
    return {stem: img['id'] for stem, img in images_by_stem(coco_api).items()}


def probs_by_coco_id(coco_api, image_ids: Sequence[str],
                     probs: Sequence[float]) -> Dict[int, float]:
    """Key classifier probabilities by COCO image id.

    Raises:
        KeyError: when a COCO image has no classifier prediction.
    """
    stems = image_id_map(coco_api)
    given = dict(zip(image_ids, probs))
    missing = sorted(set(stems) - set(given))
    if missing:
        raise KeyError(f'{len(missing)} images of the annotation file have '
                       f'no classifier prediction, e.g. {missing[:3]}')
    return {coco_id: float(given[stem]) for stem, coco_id in stems.items()}


def apply_decision_rule(detections: Sequence[dict],
                        abnormal_probs: Dict[int, float],
                        c: float,
                        k: float = RULE_K) -> List[dict]:
    """Keep every box of images with p(abnormal) >= c, else score >= k.

    Args:
        detections (Sequence[dict]): COCO result dicts.
        abnormal_probs (dict): COCO image id -> classifier probability.
        c (float): Classifier threshold.
        k (float): Box score an image called normal still needs. Defaults
            to :data:`~mmspine.thresholds.RULE_K`, as in the paper.
    """
    return [
        d for d in detections
        if abnormal_probs[d['image_id']] >= c or d['score'] >= k
    ]


def gate_mask(scores: np.ndarray,
              p_abnormal: float,
              c: float,
              k: float = RULE_K) -> np.ndarray:
    """The rule on one image: which of its boxes to keep.

    Args:
        scores (np.ndarray): The image's box scores.
        p_abnormal (float): Classifier probability that it is abnormal.
        c (float): Classifier threshold.
        k (float): Box score an image called normal still needs.

    Returns:
        np.ndarray: Boolean mask, all True when ``p_abnormal >= c``.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if p_abnormal >= c:
        return np.ones(len(scores), dtype=bool)
    return scores >= k


def save_rule(path: str, c: float, k: float, **info) -> dict:
    """Write ``{"c": c, "k": k, ...}`` as JSON, for ``tools/infer.py``.

    Args:
        path (str): JSON file, written atomically.
        c (float): Classifier threshold.
        k (float): Box score threshold.
        **info: Where the values came from (e.g. ``map50``, ``source``).

    Returns:
        dict: What was written.
    """
    rule = dict(c=float(c), k=float(k), **info)
    with atomic_write(path, 'w') as f:
        json.dump(rule, f, indent=2)
    return rule


def load_rule(path: str) -> Tuple[float, float]:
    """Read ``(c, k)`` from a JSON of :func:`save_rule`.

    Raises:
        ValueError: naming the file when ``c`` or ``k`` is missing or not
            a number in [0, 1].
    """
    with open(path) as f:
        try:
            rule = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f'{path}: not JSON ({exc})') from None
    values = []
    for key in ('c', 'k'):
        value = rule.get(key) if isinstance(rule, dict) else None
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f'{path}: "{key}" must be a number in [0, 1], '
                             f'got {value!r}')
        values.append(float(value))
    return values[0], values[1]


def max_box_scores(detections: Sequence[dict],
                   image_ids: Sequence[int]) -> np.ndarray:
    """Highest box score of each image (0 for images without boxes)."""
    best: Dict[int, float] = {}
    for d in detections:
        best[d['image_id']] = max(best.get(d['image_id'], 0.), d['score'])
    return np.array([best.get(i, 0.) for i in image_ids])


def reverse_scores(cls_probs: Sequence[float],
                   box_scores: Sequence[float]) -> np.ndarray:
    """Image score = mean of p(abnormal) and the highest box score."""
    return (np.asarray(cls_probs) + np.asarray(box_scores)) / 2


class DetectionEvaluator:
    """AP of COCO result lists against one annotation file.

    The same computation as :class:`~mmspine.evaluation.SpineXRMetric`
    (:func:`~mmspine.evaluation.functional.coco_box_ap`), so the numbers
    match ``tools/test.py``. The annotations are loaded once, for sweeps.

    Args:
        ann_file (str): COCO ground truth.
        iou_thrs (Sequence[float]): IoU thresholds; must contain 0.5.
        classes (Sequence[str], optional): The detector's dataset classes;
            they are evaluated, in the dataset's label order. Defaults to
            every category of ``ann_file``.
    """

    def __init__(self,
                 ann_file: str,
                 iou_thrs: Sequence[float] = SPINEXR_IOU_THRS,
                 classes: Optional[Sequence[str]] = None) -> None:
        self.coco = as_coco(ann_file)
        self.cat_ids = label_cat_ids(self.coco, classes, ann_file)
        self.classes = [c['name'] for c in self.coco.loadCats(self.cat_ids)]
        self.iou_thrs = iou_thrs

    def __call__(self, detections: Sequence[dict]) -> Dict[str, float]:
        """``bbox_mAP_50``, ``bbox_mAP`` and per-class APs."""
        results, _ = coco_box_ap(
            self.coco, detections, self.cat_ids, iou_thrs=self.iou_thrs)
        return results


def compare_table(before: Dict[str, float], after: Dict[str, float],
                  classes: Sequence[str]) -> str:
    """Per-class AP@0.5 before and after fusion, side by side."""
    rows = [['class', 'detector', 'with rule', 'change']]
    for name in list(classes) + [None]:
        key = f'bbox_AP50_{name}' if name else 'bbox_mAP_50'
        rows.append([
            name or 'mAP@0.5', f'{100 * before[key]:.2f}',
            f'{100 * after[key]:.2f}',
            f'{100 * (after[key] - before[key]):+.2f}'
        ])
    table = AsciiTable(rows)
    table.inner_footing_row_border = True
    return table.table


def fuse_and_evaluate(evaluator: DetectionEvaluator,
                      detections: Sequence[dict],
                      abnormal_probs: Dict[int, float],
                      c: float,
                      k: float = RULE_K) -> Tuple[List[dict], dict, dict]:
    """Apply the rule; evaluate before and after.

    Returns:
        tuple: fused detections, metrics before, metrics after.
    """
    fused = apply_decision_rule(detections, abnormal_probs, c, k)
    return fused, evaluator(detections), evaluator(fused)


def sweep_decision_rule(
    evaluator: DetectionEvaluator,
    detections: Sequence[dict],
    abnormal_probs: Dict[int, float],
    c_grid: Sequence[float] = DEFAULT_C_GRID,
    k_grid: Sequence[float] = DEFAULT_K_GRID
) -> Tuple[Tuple[float, float, float], np.ndarray]:
    """mAP@0.5 of the rule for every (c, k) of the grids.

    Run it on a validation split, then apply the best pair to the test set.

    Returns:
        tuple: ``(best_c, best_k, best_map50)`` (first in grid order among
        ties) and the ``(len(c_grid), len(k_grid))`` mAP@0.5 array.
    """
    grid = np.zeros((len(c_grid), len(k_grid)))
    for i, c in enumerate(c_grid):
        for j, k in enumerate(k_grid):
            fused = apply_decision_rule(detections, abnormal_probs, c, k)
            grid[i, j] = evaluator(fused)['bbox_mAP_50']
    i, j = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return (float(c_grid[i]), float(k_grid[j]), float(grid[i, j])), grid


def sweep_table(grid: np.ndarray,
                c_grid: Sequence[float],
                k_grid: Sequence[float],
                baseline: Optional[float] = None) -> str:
    """The sweep as a table of mAP@0.5 (%): rows c, columns k."""
    rows = [['c \\ k'] + [f'{k:g}' for k in k_grid]]
    for c, values in zip(c_grid, grid):
        rows.append([f'{c:g}'] + [f'{100 * v:.2f}' for v in values])
    text = 'mAP@0.5 (%) of the rule, rows c, columns k'
    if baseline is not None:
        text += f'; detector alone {100 * baseline:.2f}'
    return text + '\n' + AsciiTable(rows).table


__all__ = [
    'DEFAULT_C_GRID', 'DEFAULT_K_GRID', 'DetectionEvaluator',
    'apply_decision_rule', 'compare_table', 'fuse_and_evaluate', 'gate_mask',
    'image_id_map', 'load_detections', 'load_rule', 'max_box_scores',
    'probs_by_coco_id', 'reverse_scores', 'save_rule', 'sweep_decision_rule',
    'sweep_table'
]
