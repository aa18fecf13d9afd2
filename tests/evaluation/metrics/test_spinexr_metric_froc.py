"""SpineXRMetric's FROC sensitivities, as logged during validation."""
import json
import os.path as osp

import pytest
import torch

from mmspine.evaluation import SpineXRMetric
from mmspine.metainfo import SPINEXR_CLASSES


def _samples(coco):
    """Every lesion found at score .9, those of image 1 only at .1; one
    false alarm at .8 on every image."""
    samples = []
    for img in coco['images']:
        boxes, scores = [[0., 0., 4., 4.]], [.8]
        labels = [0]
        for ann in coco['annotations']:
            if ann['image_id'] == img['id']:
                x, y, w, h = ann['bbox']
                boxes.append([x, y, x + w, y + h])
                scores.append(.1 if img['id'] == 1 else .9)
                labels.append(ann['category_id'] - 1)
        samples.append(
            dict(
                img_id=img['id'],
                ori_shape=(img['height'], img['width']),
                pred_instances=dict(
                    bboxes=torch.tensor(boxes),
                    scores=torch.tensor(scores),
                    labels=torch.tensor(labels))))
    return samples


@pytest.mark.parametrize('froc_fps', [(0.5, 1, 2, 4), None])
def test_froc_keys(tiny_coco_root, mmdet_registry, froc_fps):
    ann_file = osp.join(tiny_coco_root, 'annotations/test.json')
    with open(ann_file) as f:
        coco = json.load(f)
    metric = SpineXRMetric(ann_file=ann_file, froc_fps=froc_fps)
    metric.dataset_meta = dict(classes=SPINEXR_CLASSES)
    samples = _samples(coco)
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    froc = {k: v for k, v in results.items() if 'froc' in k}
    if froc_fps is None:
        assert froc == {}
        return
    n_les = len(coco['annotations'])
    late = sum(a['image_id'] == 1 for a in coco['annotations'])
    assert 0 < late < n_les
    # the false alarms at .8 make exactly 1 FP/image; below that only the
    # boxes at .9 count, from 1 FP/image on the late ones at .1 too
    assert froc['spinexr/froc_sens@0.5fp'] == pytest.approx(
        (n_les - late) / n_les)
    for rate in (1, 2, 4):
        assert froc[f'spinexr/froc_sens@{rate}fp'] == pytest.approx(1.)
    assert 'spinexr/bbox_mAP_50' in results
