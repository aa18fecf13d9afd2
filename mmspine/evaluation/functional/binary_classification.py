"""Abnormal-vs-normal metrics: AUROC, Youden operating point, bootstrap CIs.

Pure numpy / scikit-learn / matplotlib (no torch), so that the metric, the
ensemble tool and the fusion tool all report the same numbers.
"""
import csv
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.special import expit
from sklearn.metrics import (f1_score, precision_score, recall_score,
                             roc_auc_score, roc_curve)

#: Columns of a saved per-image prediction file.
PREDICTION_COLUMNS = ('image_id', 'logit', 'prob', 'label')
#: Metrics reported at the operating threshold, in table order.
THRESHOLD_METRICS = ('sensitivity', 'specificity', 'precision', 'f1')


def check_binary_labels(labels: Sequence) -> np.ndarray:
    """Return ``labels`` as an int array of 0/1, both classes present.

    Raises:
        ValueError: on other values, or when only one class occurs (AUROC
            and the ROC curve are undefined then).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError('labels must be a non-empty 1-D array')
    if not np.isin(labels, (0, 1)).all():
        raise ValueError('labels must be 0 (normal) or 1 (abnormal), got '
                         f'{sorted(set(labels.tolist()))}')
    labels = labels.astype(np.int64)
    if labels.min() == labels.max():
        name = 'abnormal (1)' if labels[0] else 'normal (0)'
        raise ValueError(
            f'all {labels.size} labels are {name}: AUROC, the ROC curve and '
            'the Youden threshold need both normal and abnormal images')
    return labels


def youden_threshold(labels: Sequence, scores: Sequence) -> float:
    """The score threshold that maximises Youden's J = TPR - FPR.

    An image is called abnormal when ``score >= threshold``. Ties in J go to
    the highest threshold (the first point of scikit-learn's ROC curve).
    """
    labels = check_binary_labels(labels)
    fpr, tpr, thrs = roc_curve(labels, np.asarray(scores, dtype=np.float64))
    # Point 0 of the curve is the (0, 0) corner with threshold +inf; it is
    # never a useful operating point.
    best = 1 + int(np.argmax(tpr[1:] - fpr[1:]))
    return float(thrs[best])


def metrics_at_threshold(labels: Sequence, scores: Sequence,
                         threshold: float) -> Dict[str, float]:
    """Sensitivity, specificity, precision and F1 at ``score >= threshold``.

    Computed with scikit-learn; precision and F1 are 0 when nothing is
    called abnormal.
    """
    labels = check_binary_labels(labels)
    preds = (np.asarray(scores) >= threshold).astype(np.int64)
    return OrderedDict(
        sensitivity=float(recall_score(labels, preds)),
        specificity=float(recall_score(labels, preds, pos_label=0)),
        precision=float(precision_score(labels, preds, zero_division=0)),
        f1=float(f1_score(labels, preds, zero_division=0)))


def bootstrap_counts(num_samples: int,
                     num_resamples: int,
                     seed: int = 0,
                     chunk: int = 1000):
    """Yield resampling counts, ``(<=chunk, num_samples)`` int arrays.

    Row ``b`` says how often each sample occurs in bootstrap resample ``b``
    (drawn with replacement, ``num_samples`` draws). Chunks bound memory;
    the draws depend only on ``seed``, not on ``chunk``.
    """
    rng = np.random.default_rng(seed)
    done = 0
    while done < num_resamples:
        rows = min(chunk, num_resamples - done)
        idx = rng.integers(0, num_samples, size=(rows, num_samples))
        flat = idx + num_samples * np.arange(rows)[:, None]
        counts = np.bincount(flat.ravel(), minlength=rows * num_samples)
        yield counts.reshape(rows, num_samples)
        done += rows


def weighted_auroc(labels: np.ndarray, scores: np.ndarray,
                   counts: np.ndarray) -> np.ndarray:
    """AUROC of each row of sample multiplicities ``counts`` at once.

    The Mann-Whitney form with ties counted one half, which is what
    ``roc_auc_score`` computes; rows with a missing class give NaN.
    """
    order = np.argsort(scores, kind='mergesort')
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True,
                                  sorted_scores[1:] != sorted_scores[:-1]])
    c = counts[:, order].astype(np.float64)
    pos = np.add.reduceat(c * labels[order], starts, axis=1)
    neg = np.add.reduceat(c * (1 - labels[order]), starts, axis=1)
    neg_below = np.cumsum(neg, axis=1) - neg
    num_pos, num_neg = pos.sum(1), neg.sum(1)
    wins = (pos * (neg_below + 0.5 * neg)).sum(1)
    with np.errstate(invalid='ignore', divide='ignore'):
        auc = wins / (num_pos * num_neg)
    auc[(num_pos == 0) | (num_neg == 0)] = np.nan
    return auc


def weighted_threshold_metrics(labels: np.ndarray, preds: np.ndarray,
                               counts: np.ndarray) -> Dict[str, np.ndarray]:
    """:data:`THRESHOLD_METRICS` for each row of multiplicities ``counts``."""
    c = counts.astype(np.float64)
    tp = c @ ((preds == 1) & (labels == 1))
    fp = c @ ((preds == 1) & (labels == 0))
    fn = c @ ((preds == 0) & (labels == 1))
    tn = c @ ((preds == 0) & (labels == 0))
    with np.errstate(invalid='ignore', divide='ignore'):
        sens = tp / (tp + fn)
        spec = tn / (tn + fp)
        # zero_division=0, as in metrics_at_threshold
        prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.)
        f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.)
    invalid = (tp + fn == 0) | (tn + fp == 0)
    out = OrderedDict(
        sensitivity=sens, specificity=spec, precision=prec, f1=f1)
    for value in out.values():
        value[invalid] = np.nan
    return out


def binary_cls_metrics(labels: Sequence,
                       scores: Sequence,
                       threshold: Optional[float] = None,
                       num_bootstrap: int = 10000,
                       seed: int = 0,
                       ci_level: float = 0.95) -> 'OrderedDict[str, float]':
    """AUROC and the operating-point metrics, with bootstrap CIs.

    Args:
        labels (Sequence): 1 abnormal, 0 normal.
        scores (Sequence): Abnormality probabilities (any monotone score
            works for AUROC; the threshold is on the same scale).
        threshold (float, optional): Fixed operating threshold. Defaults to
            None: the Youden-J-optimal threshold of these scores.
        num_bootstrap (int): Bootstrap resamples of the images; 0 skips the
            CIs. Defaults to 10,000.
        seed (int): Seed of the resampling. Defaults to 0.
        ci_level (float): Two-sided CI coverage. Defaults to 0.95.

    Returns:
        OrderedDict: ``auroc``, ``threshold``, ``sensitivity``,
        ``specificity``, ``precision``, ``f1``, ``youden_j``, and for each of
        ``auroc`` and the :data:`THRESHOLD_METRICS` ``<name>_ci_lo`` /
        ``<name>_ci_hi`` (percentile bootstrap at the fixed operating
        threshold; resamples lacking a class are skipped).
    """
    labels = check_binary_labels(labels)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != labels.shape:
        raise ValueError(f'{scores.shape[0]} scores for {labels.shape[0]} '
                         'labels')
    if threshold is None:
        threshold = youden_threshold(labels, scores)
    results = OrderedDict(auroc=float(roc_auc_score(labels, scores)))
    results['threshold'] = float(threshold)
    results.update(metrics_at_threshold(labels, scores, threshold))
    results['youden_j'] = results['sensitivity'] + \
        results['specificity'] - 1
    if num_bootstrap > 0:
        preds = (scores >= threshold).astype(np.int64)
        samples = {k: [] for k in ('auroc', ) + THRESHOLD_METRICS}
        for counts in bootstrap_counts(labels.size, num_bootstrap, seed):
            samples['auroc'].append(weighted_auroc(labels, scores, counts))
            for k, v in weighted_threshold_metrics(labels, preds,
                                                   counts).items():
                samples[k].append(v)
        tail = 50 * (1 - ci_level)
        for k, v in samples.items():
            lo, hi = np.nanpercentile(np.concatenate(v), (tail, 100 - tail))
            results[f'{k}_ci_lo'] = float(lo)
            results[f'{k}_ci_hi'] = float(hi)
    return results


def save_cls_predictions(path: str, image_ids: Sequence[str],
                         logits: Sequence[float],
                         labels: Sequence[int]) -> None:
    """Write per-image predictions as CSV: image_id, logit, prob, label."""
    logits = np.asarray(logits, dtype=np.float64)
    probs = expit(logits)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(PREDICTION_COLUMNS)
        for row in zip(image_ids, logits, probs, labels):
            writer.writerow(
                [row[0], f'{row[1]:.8g}', f'{row[2]:.8g}',
                 int(row[3])])


def load_cls_predictions(path: str
                         ) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Read a file of :func:`save_cls_predictions`.

    Returns:
        tuple: image ids, logits (float64) and labels (int64).
    """
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows or set(PREDICTION_COLUMNS) - set(rows[0]):
        raise ValueError(f'{path} needs the columns {PREDICTION_COLUMNS}')
    ids = [r['image_id'] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f'{path} lists an image more than once')
    logits = np.array([float(r['logit']) for r in rows])
    labels = np.array([int(float(r['label'])) for r in rows])
    return ids, logits, labels


def plot_roc(path: str,
             labels: Sequence,
             scores: Sequence,
             threshold: float,
             title: str = 'ROC') -> None:
    """Save the ROC curve as PNG with the operating point marked."""
    # The object API with an Agg canvas draws off-screen without switching
    # the process-wide matplotlib backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = check_binary_labels(labels)
    scores = np.asarray(scores, dtype=np.float64)
    fpr, tpr, _ = roc_curve(labels, scores)
    auc = roc_auc_score(labels, scores)
    op = metrics_at_threshold(labels, scores, threshold)
    fig = Figure(figsize=(5, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, lw=2, label=f'AUROC = {auc:.4f}')
    ax.plot([0, 1], [0, 1], ls='--', c='grey', lw=1)
    ax.plot(
        1 - op['specificity'],
        op['sensitivity'],
        'o',
        c='red',
        label=f'threshold {threshold:.4f}: sens '
        f'{op["sensitivity"]:.3f}, spec {op["specificity"]:.3f}')
    ax.set(
        xlabel='1 - specificity',
        ylabel='sensitivity',
        title=title,
        xlim=(0, 1),
        ylim=(0, 1.01))
    ax.legend(loc='lower right', fontsize=8)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path)


def format_cls_metrics(results: Dict[str, float],
                       name: str = 'classifier') -> List[List[str]]:
    """Rows of a metric table: metric, value, 95% CI (when computed)."""
    rows = [['metric', name, 'CI']]
    for k in ('auroc', ) + THRESHOLD_METRICS + ('threshold', ):
        ci = ''
        if f'{k}_ci_lo' in results:
            ci = f'[{results[k + "_ci_lo"]:.4f}, {results[k + "_ci_hi"]:.4f}]'
        rows.append([k, f'{results[k]:.4f}', ci])
    return rows
