import numpy as np
import pytest
from sklearn.metrics import (f1_score, precision_score, recall_score,
                             roc_auc_score)

from mmspine.evaluation.functional import (binary_cls_metrics,
                                           bootstrap_counts,
                                           load_cls_predictions,
                                           metrics_at_threshold, plot_roc,
                                           save_cls_predictions,
                                           weighted_auroc,
                                           weighted_threshold_metrics,
                                           youden_threshold)


def random_case(seed, n=200, ties=False):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = rng.normal(labels * 0.8, 1.0)
    if ties:
        scores = np.round(scores)
    return labels, 1 / (1 + np.exp(-scores))


def brute_force_youden(labels, scores):
    best = -np.inf
    for t in np.unique(scores):
        pred = scores >= t
        j = recall_score(labels, pred) + recall_score(
            labels, pred, pos_label=0) - 1
        best = max(best, j)
    return best


@pytest.mark.parametrize('seed,ties', [(0, False), (1, False), (2, True),
                                       (3, True)])
def test_metrics_equal_sklearn(seed, ties):
    labels, scores = random_case(seed, ties=ties)
    m = binary_cls_metrics(labels, scores, num_bootstrap=0)
    assert m['auroc'] == pytest.approx(roc_auc_score(labels, scores))
    assert m['youden_j'] == pytest.approx(brute_force_youden(labels, scores))
    pred = scores >= m['threshold']
    assert m['sensitivity'] == pytest.approx(recall_score(labels, pred))
    assert m['specificity'] == pytest.approx(
        recall_score(labels, pred, pos_label=0))
    assert m['precision'] == pytest.approx(precision_score(labels, pred))
    assert m['f1'] == pytest.approx(f1_score(labels, pred))
    assert 'auroc_ci_lo' not in m


def test_fixed_threshold():
    labels, scores = random_case(4)
    m = binary_cls_metrics(labels, scores, threshold=0.3, num_bootstrap=0)
    assert m['threshold'] == 0.3
    assert m['sensitivity'] == pytest.approx(
        recall_score(labels, scores >= 0.3))


@pytest.mark.parametrize('ties', [False, True])
def test_vectorised_bootstrap_equals_sklearn_per_resample(ties):
    labels, scores = random_case(5, n=60, ties=ties)
    counts = next(bootstrap_counts(labels.size, 25, seed=7))
    assert counts.shape == (25, 60)
    assert (counts.sum(1) == 60).all()
    aucs = weighted_auroc(labels, scores, counts)
    thr = youden_threshold(labels, scores)
    preds = (scores >= thr).astype(int)
    others = weighted_threshold_metrics(labels, preds, counts)
    for b, row in enumerate(counts):
        y, s = np.repeat(labels, row), np.repeat(scores, row)
        assert aucs[b] == pytest.approx(roc_auc_score(y, s))
        p = np.repeat(preds, row)
        assert others['sensitivity'][b] == pytest.approx(recall_score(y, p))
        assert others['specificity'][b] == pytest.approx(
            recall_score(y, p, pos_label=0))
        assert others['precision'][b] == pytest.approx(
            precision_score(y, p, zero_division=0))
        assert others['f1'][b] == pytest.approx(
            f1_score(y, p, zero_division=0))


def test_bootstrap_chunking_and_seed():
    a = np.concatenate(list(bootstrap_counts(30, 250, seed=1, chunk=100)))
    b = np.concatenate(list(bootstrap_counts(30, 250, seed=1, chunk=250)))
    assert a.shape == (250, 30)
    assert (a.sum(1) == 30).all()
    # the chunk size bounds memory only; the resamples stay the same
    np.testing.assert_array_equal(a, b)
    c = np.concatenate(list(bootstrap_counts(30, 250, seed=2, chunk=100)))
    assert not np.array_equal(a, c)


def test_bootstrap_ci_brackets_estimate_and_is_seeded():
    labels, scores = random_case(6, n=300)
    m1 = binary_cls_metrics(labels, scores, num_bootstrap=2000, seed=3)
    m2 = binary_cls_metrics(labels, scores, num_bootstrap=2000, seed=3)
    m3 = binary_cls_metrics(labels, scores, num_bootstrap=2000, seed=4)
    assert m1 == m2
    assert m1['auroc_ci_lo'] != m3['auroc_ci_lo']
    for k in ('auroc', 'sensitivity', 'specificity', 'precision', 'f1'):
        assert m1[f'{k}_ci_lo'] <= m1[k] <= m1[f'{k}_ci_hi']
        assert m1[f'{k}_ci_lo'] < m1[f'{k}_ci_hi']


def test_degenerate_inputs():
    with pytest.raises(ValueError, match='both normal and abnormal'):
        binary_cls_metrics([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match='both normal and abnormal'):
        binary_cls_metrics([0, 0], [0.2, 0.5])
    with pytest.raises(ValueError, match='0 \\(normal\\) or 1'):
        binary_cls_metrics([0, 2], [0.2, 0.5])
    labels = np.array([0, 0, 1, 1, 0, 1])
    # perfectly separated
    perfect = binary_cls_metrics(
        labels, labels * 0.5 + 0.25, num_bootstrap=100)
    assert perfect['auroc'] == roc_auc_score(labels, labels * 0.5 + 0.25)
    assert perfect['sensitivity'] == recall_score(labels, labels)
    # constant scores: every image called abnormal
    const = binary_cls_metrics(labels, np.full(6, 0.5), num_bootstrap=100)
    assert const['auroc'] == roc_auc_score(labels, np.full(6, 0.5))
    assert const['specificity'] == recall_score(
        labels, np.ones(6, int), pos_label=0)


def test_metrics_at_threshold_zero_division():
    m = metrics_at_threshold([0, 1], [0.1, 0.2], threshold=0.9)
    assert m['precision'] == precision_score([0, 1], [0, 0], zero_division=0)
    assert m['f1'] == f1_score([0, 1], [0, 0], zero_division=0)


def test_prediction_file_roundtrip_and_roc(tmp_path):
    labels, scores = random_case(8, n=40)
    logits = np.log(scores / (1 - scores))
    ids = [f'img{i}' for i in range(40)]
    path = str(tmp_path / 'p' / 'predictions.csv')
    save_cls_predictions(path, ids, logits, labels)
    header = open(path).readline().strip()
    assert header == 'image_id,logit,prob,label'
    ids2, logits2, labels2 = load_cls_predictions(path)
    assert ids2 == ids
    np.testing.assert_allclose(logits2, logits, rtol=1e-7)
    np.testing.assert_array_equal(labels2, labels)
    png = str(tmp_path / 'roc.png')
    plot_roc(png, labels, scores, youden_threshold(labels, scores))
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
