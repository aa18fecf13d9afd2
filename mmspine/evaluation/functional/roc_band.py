"""A ROC curve with a pointwise bootstrap band, for the report's figure."""
from typing import Dict, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from .binary_classification import (check_binary_labels, metrics_at_threshold,
                                    youden_threshold)


def roc_with_band(labels: Sequence,
                  scores: Sequence,
                  num_bootstrap: int = 1000,
                  seed: int = 0,
                  ci_level: float = 0.95,
                  num_points: int = 101) -> Dict[str, np.ndarray]:
    """ROC, its percentile bootstrap band and the Youden operating point.

    Images are resampled with replacement; each resample's ROC is read at
    ``num_points`` false-positive rates (step interpolation, the curve's
    upper envelope at that rate) and the band is the pointwise percentile
    interval. Resamples that lack a class are drawn again.

    Returns:
        dict: ``fpr``/``tpr`` (the curve), ``grid`` (the rates), ``lo``/
        ``hi`` (the band on ``grid``), ``auroc``, ``threshold`` (Youden),
        ``op_fpr``/``op_tpr`` (the operating point).
    """
    labels = check_binary_labels(labels)
    scores = np.asarray(scores, dtype=np.float64)
    fpr, tpr, _ = roc_curve(labels, scores)
    grid = np.linspace(0., 1., num_points)
    rng = np.random.default_rng(seed)
    curves = []
    while len(curves) < num_bootstrap:
        idx = rng.integers(0, len(labels), len(labels))
        y = labels[idx]
        if y.min() == y.max():
            continue
        f, t, _ = roc_curve(y, scores[idx])
        # largest TPR reached at FPR <= each grid rate
        curves.append(t[np.searchsorted(f, grid, side='right') - 1])
    alpha = (1 - ci_level) / 2
    if curves:
        lo, hi = np.quantile(np.asarray(curves), [alpha, 1 - alpha], axis=0)
    else:
        lo = hi = np.full(num_points, np.nan)
    threshold = youden_threshold(labels, scores)
    op = metrics_at_threshold(labels, scores, threshold)
    return dict(
        fpr=fpr,
        tpr=tpr,
        grid=grid,
        lo=lo,
        hi=hi,
        auroc=float(roc_auc_score(labels, scores)),
        threshold=threshold,
        op_fpr=1 - op['specificity'],
        op_tpr=op['sensitivity'])
