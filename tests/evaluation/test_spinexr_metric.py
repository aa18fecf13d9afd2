import json
import os.path as osp

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmspine.evaluation import SPINEXR_IOU_THRS, SpineXRMetric
from mmspine.metainfo import SPINEXR_CLASSES


def _predictions(coco, shift, seed=0):
    """One prediction per ground-truth box, moved by ``shift`` px, plus a
    low-scored false positive on every image."""
    rng = np.random.default_rng(seed)
    samples = []
    for img in coco['images']:
        boxes, scores, labels = [], [], []
        for ann in coco['annotations']:
            if ann['image_id'] != img['id']:
                continue
            x, y, w, h = ann['bbox']
            boxes.append([x + shift, y + shift, x + w + shift, y + h + shift])
            scores.append(0.9)
            labels.append(ann['category_id'] - 1)
        boxes.append([0, 0, 5, 5])
        scores.append(float(rng.uniform(0.05, 0.2)))
        labels.append(int(rng.integers(0, 7)))
        samples.append(
            dict(
                img_id=img['id'],
                ori_shape=(img['height'], img['width']),
                pred_instances=dict(
                    bboxes=torch.tensor(boxes, dtype=torch.float32),
                    scores=torch.tensor(scores),
                    labels=torch.tensor(labels))))
    return samples


def _evaluate(root, samples, **kwargs):
    metric = SpineXRMetric(
        ann_file=osp.join(root, 'annotations/test.json'), **kwargs)
    metric.dataset_meta = dict(classes=SPINEXR_CLASSES)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _coco(root):
    with open(osp.join(root, 'annotations/test.json')) as f:
        return json.load(f)


def test_perfect_predictions(tiny_coco_root, mmdet_registry):
    coco = _coco(tiny_coco_root)
    results = _evaluate(tiny_coco_root, _predictions(coco, shift=0))
    assert results['spinexr/bbox_mAP_50'] == pytest.approx(1.0)
    assert results['spinexr/bbox_mAP'] == pytest.approx(1.0)
    for name in SPINEXR_CLASSES:
        assert results[f'spinexr/bbox_AP50_{name}'] == pytest.approx(1.0)


def test_matches_pycocotools(tiny_coco_root, tmp_path, mmdet_registry):
    """Boxes shifted so that IoU lands between the thresholds: the metric
    must agree with a plain COCOeval at the same IoU thresholds."""
    coco = _coco(tiny_coco_root)
    samples = _predictions(coco, shift=6, seed=3)
    results = _evaluate(
        tiny_coco_root, samples, outfile_prefix=str(tmp_path / 'res'))
    gt = COCO(osp.join(tiny_coco_root, 'annotations/test.json'))
    dt = gt.loadRes(str(tmp_path / 'res.bbox.json'))
    ev = COCOeval(gt, dt, 'bbox')
    ev.params.iouThrs = np.array(SPINEXR_IOU_THRS)
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert results['spinexr/bbox_mAP'] == pytest.approx(ev.stats[0])
    assert results['spinexr/bbox_mAP_50'] == pytest.approx(ev.stats[1])
    # a 6 px shift of 24-48 px boxes fails IoU 0.5 for the smaller boxes
    assert results['spinexr/bbox_mAP_50'] < 1


def test_no_predictions_give_zero(tiny_coco_root, mmdet_registry):
    coco = _coco(tiny_coco_root)
    samples = [
        dict(
            img_id=img['id'],
            ori_shape=(img['height'], img['width']),
            pred_instances=dict(
                bboxes=torch.zeros((0, 4)),
                scores=torch.zeros(0),
                labels=torch.zeros(0, dtype=torch.long)))
        for img in coco['images']
    ]
    results = _evaluate(tiny_coco_root, samples)
    assert results['spinexr/bbox_mAP_50'] == 0


def test_headline_iou_must_be_a_threshold():
    with pytest.raises(ValueError, match='headline_iou'):
        SpineXRMetric(iou_thrs=(0.3, 0.4), headline_iou=0.5)
    with pytest.raises(ValueError, match='boxes only'):
        SpineXRMetric(metric='segm')
