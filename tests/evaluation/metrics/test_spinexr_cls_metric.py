import os.path as osp

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from mmspine.evaluation import SpineXRClsMetric, load_cls_predictions


def samples(labels, logits, extra_outputs=0):
    out = []
    for i, (y, z) in enumerate(zip(labels, logits)):
        out.append(
            dict(
                img_id=f'im{i}',
                pred_logit=torch.tensor([z] + [0.] * extra_outputs),
                gt_label=torch.tensor([float(y)] + [1.] * extra_outputs)))
    return out


def run(metric, data):
    metric.process({}, data)
    return metric.evaluate(len(data))


def test_metric_equals_sklearn_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 80)
    logits = rng.normal(labels, 1.)
    metric = SpineXRClsMetric(num_bootstrap=500, out_dir=str(tmp_path))
    res = run(metric, samples(labels, logits))
    probs = 1 / (1 + np.exp(-logits))
    assert res['spinexr_cls/auroc'] == pytest.approx(
        roc_auc_score(labels, probs))
    assert res['spinexr_cls/auroc_ci_lo'] <= res['spinexr_cls/auroc']
    ids, saved_logits, saved_labels = load_cls_predictions(
        osp.join(tmp_path, 'predictions.csv'))
    assert ids == [f'im{i}' for i in range(80)]
    np.testing.assert_allclose(saved_logits, logits, rtol=1e-6)
    np.testing.assert_array_equal(saved_labels, labels)
    assert osp.getsize(osp.join(tmp_path, 'roc.png')) > 0


def test_metric_multilabel_index_and_fixed_threshold():
    labels = np.array([0, 1, 0, 1, 1, 0])
    logits = np.array([-1., 2., 0.5, 0.1, 3., -2.])
    metric = SpineXRClsMetric(
        threshold=0.5, num_bootstrap=0, save_outputs=False)
    res = run(metric, samples(labels, logits, extra_outputs=13))
    assert res['spinexr_cls/threshold'] == 0.5
    assert res['spinexr_cls/auroc'] == pytest.approx(
        roc_auc_score(labels, logits))


def test_metric_one_class_error():
    metric = SpineXRClsMetric(num_bootstrap=0, save_outputs=False)
    with pytest.raises(ValueError, match='both normal and abnormal'):
        run(metric, samples([1, 1, 1], [0.1, 0.2, 0.3]))
