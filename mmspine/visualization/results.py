"""Ground truth beside predictions, per image, from a results file.

The counterpart of the reference's ``visualize_json_results.py``: the
predictions come from a COCO results JSON (``tools/test.py``'s
``--out``/``outfile_prefix`` output: a list of ``{image_id, category_id,
bbox (xywh), score}``) or from ``findings.json`` (``tools/infer.py``; boxes
xyxy in the original DICOM grid, matched to the COCO images by file stem
and scaled to the COCO image size). mmdet's :class:`DetLocalVisualizer`
draws them with the dataset palette: ground truth on the left, predictions
above the score threshold on the right.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from ..fileio import atomic_write
from ..metainfo import SPINEXR_CLASSES, SPINEXR_PALETTE

#: Default score threshold of the drawn predictions.
DEFAULT_SCORE_THR = 0.25

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


def _category_labels(coco: dict, classes: Sequence[str]) -> Dict[int, int]:
    """COCO category id -> index in ``classes``, by category name."""
    return {
        cat['id']: classes.index(cat['name'])
        for cat in coco.get('categories', []) if cat['name'] in classes
    }


def load_ground_truth(coco: dict,
                      classes: Sequence[str] = SPINEXR_CLASSES
                      ) -> Dict[int, Instances]:
    """Ground-truth boxes of every COCO image, keyed by image id."""
    labels = _category_labels(coco, classes)
    per_image: Dict[int, Tuple[List, List, List]] = {
        img['id']: ([], [], [])
        for img in coco['images']
    }
    for ann in coco.get('annotations', []):
        if ann['image_id'] in per_image and ann['category_id'] in labels:
            boxes, labs, scores = per_image[ann['image_id']]
            boxes.append(_xywh_to_xyxy(ann['bbox']))
            labs.append(labels[ann['category_id']])
            scores.append(1.0)
    return {image_id: _stack(*parts) for image_id, parts in per_image.items()}


def _is_findings(data) -> bool:
    if isinstance(data, dict):
        return 'results' in data
    return bool(data) and isinstance(data[0], dict) and 'findings' in data[0]


def _coco_predictions(dets: list, coco: dict, classes: Sequence[str],
                      problems: List[str]) -> Dict[int, Tuple]:
    labels = _category_labels(coco, classes)
    images = {img['id'] for img in coco['images']}
    per_image: Dict[int, Tuple[List, List, List]] = {}
    unknown_ids, unknown_cats = set(), set()
    for i, det in enumerate(dets):
        try:
            image_id, cat = det['image_id'], det['category_id']
            box, score = _xywh_to_xyxy(det['bbox']), float(det['score'])
        except (KeyError, TypeError, ValueError) as e:
            problems.append(f'result {i}: malformed detection ({e!r})')
            continue
        if image_id not in images:
            unknown_ids.add(image_id)
            continue
        if cat not in labels:
            unknown_cats.add(cat)
            continue
        boxes, labs, scores = per_image.setdefault(image_id, ([], [], []))
        boxes.append(box)
        labs.append(labels[cat])
        scores.append(score)
    for image_id in sorted(unknown_ids, key=str):
        problems.append(f'image id {image_id}: in the results but not in '
                        'the annotation file')
    for cat in sorted(unknown_cats, key=str):
        problems.append(f'category id {cat}: not one of the classes')
    return per_image


def _findings_predictions(data, coco: dict, classes: Sequence[str],
                          problems: List[str]) -> Dict[int, Tuple]:
    results = data['results'] if isinstance(data, dict) else data
    by_stem = {
        osp.splitext(osp.basename(img['file_name']))[0]: img
        for img in coco['images']
    }
    per_image: Dict[int, Tuple[List, List, List]] = {}
    for result in results:
        stem = result.get('image_id') or osp.splitext(
            osp.basename(result.get('source', '')))[0]
        img = by_stem.get(stem)
        if img is None:
            problems.append(f'{stem or "?"}: in the results but no image '
                            'of the annotation file has this file stem')
            continue
        if result.get('status', 'ok') != 'ok':
            problems.append(f'{stem}: inference failed '
                            f'({result.get("reason", "")})')
            continue
        # Findings are in the original DICOM grid; the COCO image may be
        # the --max-size conversion of it.
        sx = sy = 1.0
        if result.get('columns') and result.get('rows'):
            sx = img['width'] / float(result['columns'])
            sy = img['height'] / float(result['rows'])
        boxes, labs, scores = per_image.setdefault(img['id'], ([], [], []))
        for finding in result.get('findings', []):
            name = finding.get('lesion_type')
            if name not in classes:
                problems.append(f'{stem}: lesion type {name!r} is not one '
                                'of the classes')
                continue
            x1, y1, x2, y2 = (float(v) for v in finding['bbox'])
            boxes.append([x1 * sx, y1 * sy, x2 * sx, y2 * sy])
            labs.append(classes.index(name))
            scores.append(float(finding['score']))
    return per_image


def load_predictions(
    results: str,
    coco: dict,
    classes: Sequence[str] = SPINEXR_CLASSES
) -> Tuple[Dict[int, Instances], List[str]]:
    """Read predictions from a COCO results JSON or a findings.json.

    Args:
        results (str): Path of the results file.
        coco (dict): The COCO annotation file (its images and categories).
        classes (Sequence[str]): Class names; labels index into them.

    Returns:
        tuple: ``{COCO image id: instances}`` (xyxy boxes in the COCO
        image's pixel grid) for every COCO image, and a list of problems,
        one line each (unknown image ids or stems, failed inferences,
        unknown classes).
    """
    with open(results) as f:
        data = json.load(f)
    problems: List[str] = []
    if _is_findings(data):
        per_image = _findings_predictions(data, coco, classes, problems)
    elif isinstance(data, list):
        per_image = _coco_predictions(data, coco, classes, problems)
    else:
        raise ValueError(f'{results}: neither a COCO results list nor a '
                         'findings.json with "results"')
    preds = {
        img['id']:
        _stack(*per_image[img['id']]) if img['id'] in per_image else _empty()
        for img in coco['images']
    }
    return preds, problems


def build_visualizer(classes: Sequence[str] = SPINEXR_CLASSES,
                     palette: Sequence[tuple] = SPINEXR_PALETTE,
                     line_width: float = 3):
    """mmdet's DetLocalVisualizer with the dataset's classes and palette."""
    from mmdet.visualization import DetLocalVisualizer
    vis = DetLocalVisualizer(name='mmspine_results', line_width=line_width)
    vis.dataset_meta = dict(classes=tuple(classes), palette=list(palette))
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
                            visualizer=None,
                            score_thr: float = DEFAULT_SCORE_THR
                            ) -> np.ndarray:
    """Draw ground truth (left) beside predictions (right).

    Args:
        image (np.ndarray): RGB image, H x W x 3 (or H x W grey).
        gt (dict): Ground truth: ``bboxes`` (N, 4) xyxy, ``labels`` (N,).
        pred (dict): Predictions: ``bboxes``, ``labels``, ``scores``.
        visualizer (DetLocalVisualizer, optional): Made by
            :func:`build_visualizer` when None.
        score_thr (float): Predictions scoring above it are drawn.

    Returns:
        np.ndarray: RGB image, H x 2W x 3.
    """
    from mmdet.structures import DetDataSample
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    visualizer = visualizer or build_visualizer()
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
                      score_thr: float = DEFAULT_SCORE_THR,
                      classes: Sequence[str] = SPINEXR_CLASSES,
                      palette: Sequence[tuple] = SPINEXR_PALETTE,
                      ext: str = '.jpg') -> VisualizationSummary:
    """Draw ground truth beside predictions for every COCO image.

    Writes ``OUT_DIR/<file stem><ext>`` per image of ``ann_file`` whose
    file is found in ``img_dir``; a missing or unreadable image, an image
    id or stem of the results that the annotation file lacks, and the like
    are recorded in the summary and the others still drawn.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    preds, problems = load_predictions(results, coco, classes)
    gts = load_ground_truth(coco, classes)
    summary = VisualizationSummary(problems=problems)
    visualizer = build_visualizer(classes, palette)
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
    'DEFAULT_SCORE_THR', 'load_ground_truth', 'load_predictions',
    'build_visualizer', 'draw_gt_and_predictions', 'visualize_results',
    'VisualizationSummary'
]
