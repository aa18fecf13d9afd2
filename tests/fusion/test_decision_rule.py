import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmspine.evaluation import save_cls_predictions
from mmspine.fusion import (DetectionEvaluator, apply_decision_rule,
                            ensemble_logits, load_detections, max_box_scores,
                            probs_by_coco_id, reverse_scores,
                            sweep_decision_rule)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def det(image_id, score, box=(10, 10, 20, 20), cat=1):
    return dict(
        image_id=image_id, category_id=cat, bbox=list(box), score=score)


def test_rule_on_hand_made_boxes():
    dets = [
        det(1, 0.9),
        det(1, 0.2),
        det(2, 0.7),
        det(2, 0.4),
        det(3, 0.5),
        det(3, 0.49)
    ]
    probs = {1: 0.9, 2: 0.1, 3: 0.28}
    kept = apply_decision_rule(dets, probs, c=0.28, k=0.5)
    # image 1 and 3 are called abnormal (p >= c): all boxes stay; image 2
    # keeps only its box scoring >= 0.5
    assert kept == [dets[0], dets[1], dets[2], dets[4], dets[5]]
    strict = apply_decision_rule(dets, probs, c=0.95, k=0.5)
    assert strict == [dets[0], dets[2], dets[4]]
    assert apply_decision_rule(dets, probs, c=0., k=1.) == dets
    with pytest.raises(KeyError):
        apply_decision_rule([det(4, 0.3)], probs, c=0.5)


def test_box_scores_and_reverse():
    dets = [det(1, 0.3), det(1, 0.8), det(3, 0.6)]
    np.testing.assert_allclose(max_box_scores(dets, [1, 2, 3]), [0.8, 0., 0.6])
    np.testing.assert_allclose(
        reverse_scores([0.2, 0.4, 1.0], [0.8, 0., 0.6]), [0.5, 0.2, 0.8])


@pytest.fixture
def coco_file(tmp_path):
    """Image 'a' with one lesion, image 'b' normal."""
    coco = dict(
        images=[
            dict(id=1, file_name='a.png', width=50, height=50),
            dict(id=2, file_name='sub/b.png', width=50, height=50)
        ],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[10, 10, 20, 20],
                area=400,
                iscrowd=0)
        ],
        categories=[dict(id=1, name='Osteophytes')])
    path = str(tmp_path / 'gt.json')
    json.dump(coco, open(path, 'w'))
    return path


def test_rule_removes_false_positive_on_normal_image(coco_file, tmp_path):
    evaluator = DetectionEvaluator(coco_file)
    tp, fp = det(1, 0.6), det(2, 0.9)
    # a false positive ranked above the only true positive halves the
    # precision at full recall; removing it makes the ranking perfect
    before = evaluator([tp, fp])['bbox_mAP_50']
    assert before == pytest.approx(
        evaluator([tp, fp])['bbox_AP50_'
                            'Osteophytes'])
    probs = probs_by_coco_id(evaluator.coco, ['a', 'b'], [0.8, 0.1])
    assert probs == {1: 0.8, 2: 0.1}
    fused = apply_decision_rule([tp, fp], probs, c=0.5, k=0.95)
    assert fused == [tp]
    assert evaluator(fused)['bbox_mAP_50'] == pytest.approx(1.0)
    assert before < 1.0
    best, grid = sweep_decision_rule(
        evaluator, [tp, fp], probs, c_grid=(0.05, 0.5), k_grid=(0.5, 0.95))
    assert grid.shape == (2, 2)
    assert grid[0, 0] == pytest.approx(before)
    assert best[:2] == (0.5, 0.95) and best[2] == pytest.approx(1.0)
    with pytest.raises(KeyError, match='no classifier prediction'):
        probs_by_coco_id(evaluator.coco, ['a'], [0.8])


def test_load_detections_json_and_pickle(coco_file, tmp_path):
    import pickle

    import torch

    evaluator = DetectionEvaluator(coco_file)
    pkl = [
        dict(
            img_id=1,
            img_path='a.png',
            pred_instances=dict(
                bboxes=torch.tensor([[10., 10., 30., 30.]]),
                scores=torch.tensor([0.7]),
                labels=torch.tensor([0])))
    ]
    pkl_path = str(tmp_path / 'det.pkl')
    pickle.dump(pkl, open(pkl_path, 'wb'))
    dets = load_detections(pkl_path, evaluator.coco, ['Osteophytes'])
    assert len(dets) == 1
    assert dets[0]['bbox'] == [10., 10., 20., 20.]
    assert dets[0]['category_id'] == 1 and dets[0]['image_id'] == 1
    assert dets[0]['score'] == pytest.approx(0.7)
    json_path = str(tmp_path / 'det.json')
    json.dump(dets, open(json_path, 'w'))
    assert load_detections(json_path, evaluator.coco) == dets
    with pytest.raises(ValueError):
        load_detections(str(tmp_path / 'det.txt'), evaluator.coco)


def test_ensemble_logits_aligns_images(tmp_path):
    a, b = str(tmp_path / 'a.csv'), str(tmp_path / 'b.csv')
    save_cls_predictions(a, ['x', 'y', 'z'], [1., -2., 0.5], [1, 0, 1])
    save_cls_predictions(b, ['z', 'x', 'y'], [1.5, 3., 0.], [1, 1, 0])
    ids, logits, labels = ensemble_logits([a, b])
    assert ids == ['x', 'y', 'z']
    np.testing.assert_allclose(logits, [2., -1., 1.])
    np.testing.assert_array_equal(labels, [1, 0, 1])
    c = str(tmp_path / 'c.csv')
    save_cls_predictions(c, ['x', 'y', 'w'], [0., 0., 0.], [1, 0, 1])
    with pytest.raises(ValueError, match='different images'):
        ensemble_logits([a, c])
    save_cls_predictions(c, ['x', 'y', 'z'], [0., 0., 0.], [0, 0, 1])
    with pytest.raises(ValueError, match='labels'):
        ensemble_logits([a, c])


def test_fusion_tools_import_without_torch():
    """tools/ensemble_cls.py and tools/fuse.py run where torch is absent."""
    code = ('import sys, mmspine.fusion; '
            "assert 'torch' not in sys.modules and 'mmdet' not in sys.modules")
    subprocess.run([sys.executable, '-c', code],
                   check=True,
                   env=dict(os.environ, PYTHONPATH=REPO_ROOT))
