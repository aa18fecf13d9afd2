"""Ground truth beside predictions, per image, from a results file.

The counterpart of the reference's ``visualize_json_results.py``. The
predictions are read by :mod:`mmspine.evaluation.detections`, as the
evaluation reads them: a ``tools/test.py`` pickle or COCO results JSON, or
``tools/infer.py``'s findings (matched to the COCO images by file stem and
scaled to their size). mmdet's :class:`DetLocalVisualizer` draws them with
a colour per category: ground truth on the left, predictions above the
score threshold on the right.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..evaluation.detections import read_detections
from ..fileio import atomic_write
from ..metainfo import palette_for
from ..thresholds import DRAW_SCORE_THR

#: Instances of one image: xyxy boxes (N, 4), labels (N,), scores (N,).
Instances = Dict[str, np.ndarray]


def _empty() -> Instances:
    return dict(
        bboxes=np.zeros((0, 4), np.float32),
        labels=np.zeros((0, ), np.int64),
        scores=np.zeros((0, ), np.float32))


def _stack(boxes: List, labels: List, scores: List) -> Instances:
    if not boxes:
        return _empty()
    return dict(
        bboxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        labels=np.asarray(labels, np.int64),
        scores=np.asarray(scores, np.float32))


def _xywh_to_xyxy(box: Sequence[float]) -> List[float]:
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y + h]


def _category_labels(coco: dict) -> Dict[int, int]:
    """COCO category id -> its index among the file's categories."""
    return {cat['id']: k for k, cat in enumerate(coco['categories'])}


def load_ground_truth(coco: dict) -> Dict[int, Instances]:
    """Ground-truth boxes of every COCO image, keyed by image id; labels
    index the file's categories, all of which are kept."""
    labels = _category_labels(coco)
    per_image: Dict[int, Tuple[List, List, List]] = {
        img['id']: ([], [], [])
        for img in coco['images']
    }
    for ann in coco.get('annotations', []):
        if ann['image_id'] in per_image:
            boxes, labs, scores = per_image[ann['image_id']]
            boxes.append(_xywh_to_xyxy(ann['bbox']))
            labs.append(labels[ann['category_id']])
            scores.append(1.0)
    return {image_id: _stack(*parts) for image_id, parts in per_image.items()}


def load_predictions(
    results: str,
    coco: dict,
    classes: Optional[Sequence[str]] = None
) -> Tuple[Dict[int, Instances], List[str]]:
    """Read predictions from any results file, as the evaluation does.

    Args:
        results (str): Path of the results file (see
            :func:`~mmspine.evaluation.detections.read_detections`).
        coco (dict): The COCO annotation file (its images and categories).
        classes (Sequence[str], optional): The detector's dataset classes,
            numbering a pickle's labels; default the file's categories.

    Returns:
        tuple: ``{COCO image id: instances}`` (xyxy boxes in the COCO
        image's pixel grid, labels indexing the file's categories) for
        every COCO image, and a list of problems, one line each (unknown
        image ids or stems, failed inferences).
    """
    read = read_detections(results, coco, classes)
    labels = _category_labels(coco)
    per_image: Dict[int, Tuple[List, List, List]] = {}
    for det in read.detections:
        boxes, labs, scores = per_image.setdefault(det['image_id'],
                                                   ([], [], []))
        boxes.append(_xywh_to_xyxy(det['bbox']))
        labs.append(labels[det['category_id']])
        scores.append(det['score'])
    preds = {
        img['id']:
        _stack(*per_image[img['id']]) if img['id'] in per_image else _empty()
        for img in coco['images']
    }
    return preds, read.problems


def build_visualizer(classes: Sequence[str],
                     palette: Optional[Sequence[tuple]] = None,
                     line_width: float = 3):
    """mmdet's DetLocalVisualizer with the dataset's classes and palette
    (default :func:`~mmspine.metainfo.palette_for` the classes)."""
    from mmdet.visualization import DetLocalVisualizer
    vis = DetLocalVisualizer(name='mmspine_results', line_width=line_width)
    vis.dataset_meta = dict(
        classes=tuple(classes), palette=list(palette or palette_for(classes)))
    return vis


def _instance_data(inst: Instances, with_scores: bool):
    import torch
    from mmengine.structures import InstanceData
    data = InstanceData()
    data.bboxes = torch.from_numpy(inst['bboxes'])
    data.labels = torch.from_numpy(inst['labels'])
    if with_scores:
        data.scores = torch.from_numpy(inst['scores'])
    return data


def draw_gt_and_predictions(image: np.ndarray,
                            gt: Instances,
                            pred: Instances,
                            visualizer,
                            score_thr: float = DRAW_SCORE_THR) -> np.ndarray:
    """Draw ground truth (left) beside predictions (right).

    Args:
        image (np.ndarray): RGB image, H x W x 3 (or H x W grey).
        gt (dict): Ground truth: ``bboxes`` (N, 4) xyxy, ``labels`` (N,).
        pred (dict): Predictions: ``bboxes``, ``labels``, ``scores``.
        visualizer (DetLocalVisualizer): Made by :func:`build_visualizer`
            with the classes the labels index.
        score_thr (float): Predictions scoring above it are drawn.

    Returns:
        np.ndarray: RGB image, H x 2W x 3.
    """
    from mmdet.structures import DetDataSample
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    sample = DetDataSample()
    sample.gt_instances = _instance_data(gt, with_scores=False)
    sample.pred_instances = _instance_data(pred, with_scores=True)
    visualizer.add_datasample(
        'gt_and_pred',
        image,
        sample,
        draw_gt=True,
        draw_pred=True,
        pred_score_thr=score_thr)
    return visualizer.get_image()


@dataclass
class VisualizationSummary:
    """What :func:`visualize_results` did: pictures and problems."""
    written: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    #: COCO images that could not be drawn (missing or unreadable file).
    failed: List[str] = field(default_factory=list)


def visualize_results(results: str,
                      ann_file: str,
                      img_dir: str,
                      out_dir: str,
                      score_thr: float = DRAW_SCORE_THR,
                      classes: Optional[Sequence[str]] = None,
                      palette: Optional[Sequence[tuple]] = None,
                      ext: str = '.jpg') -> VisualizationSummary:
    """Draw ground truth beside predictions for every COCO image.

    Writes ``OUT_DIR/<file stem><ext>`` per image of ``ann_file`` whose
    file is found in ``img_dir``; a missing or unreadable image, an image
    id or stem of the results that the annotation file lacks, and the like
    are recorded in the summary and the others still drawn. Every
    category of ``ann_file`` is drawn, ground truth and predictions;
    ``classes`` (the detector's dataset classes) only number a pickle's
    labels; ``palette`` has a colour per category.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    preds, problems = load_predictions(results, coco, classes)
    gts = load_ground_truth(coco)
    summary = VisualizationSummary(problems=problems)
    visualizer = build_visualizer([c['name'] for c in coco['categories']],
                                  palette)
    os.makedirs(out_dir, exist_ok=True)
    for img in coco['images']:
        path = osp.join(img_dir, img['file_name'])
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            why = 'missing' if not osp.exists(path) else 'unreadable'
            summary.failed.append(path)
            summary.problems.append(f'{path}: image {why}')
            continue
        drawn = draw_gt_and_predictions(bgr[..., ::-1], gts[img['id']],
                                        preds[img['id']], visualizer,
                                        score_thr)
        out = osp.join(out_dir,
                       osp.splitext(osp.basename(img['file_name']))[0] + ext)
        ok, buf = cv2.imencode(ext, drawn[..., ::-1])
        if not ok:
            raise ValueError(f'{out}: cannot encode as {ext}')
        with atomic_write(out, 'wb') as f:
            f.write(buf.tobytes())
        summary.written.append(out)
    return summary


__all__ = [
    'load_ground_truth', 'load_predictions', 'build_visualizer',
    'draw_gt_and_predictions', 'visualize_results', 'VisualizationSummary'
]
