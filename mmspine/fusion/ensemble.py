"""Ensemble of classifiers' saved predictions: mean logit, then sigmoid."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.special import expit as sigmoid
from terminaltables import AsciiTable

from ..evaluation.functional import (THRESHOLD_METRICS, binary_cls_metrics,
                                     load_cls_predictions, plot_roc,
                                     save_cls_predictions)


def ensemble_logits(prediction_files: Sequence[str]
                    ) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Average the logits of several prediction CSVs image by image.

    The files must list the same images with the same labels (in any
    order); the result follows the order of the first file.

    Returns:
        tuple: image ids, mean logits and labels.
    """
    if not prediction_files:
        raise ValueError('no prediction files given')
    ids, first_logits, labels = load_cls_predictions(prediction_files[0])
    logits = [first_logits]
    for path in prediction_files[1:]:
        other_ids, other_logits, other_labels = load_cls_predictions(path)
        where: Dict[str, int] = {k: i for i, k in enumerate(other_ids)}
        if set(where) != set(ids):
            raise ValueError(f'{path} and {prediction_files[0]} list '
                             'different images')
        order = np.array([where[k] for k in ids])
        if not np.array_equal(other_labels[order], labels):
            raise ValueError(f'{path} and {prediction_files[0]} disagree '
                             'on labels')
        logits.append(other_logits[order])
    return ids, np.mean(logits, axis=0), labels


def ensemble_classifiers(prediction_files: Sequence[str],
                         out_dir: Optional[str] = None,
                         threshold: Optional[float] = None,
                         num_bootstrap: int = 10000,
                         seed: int = 0) -> Tuple[dict, str]:
    """Evaluate each classifier and their mean-logit ensemble.

    Args:
        prediction_files (Sequence[str]): ``predictions.csv`` files of
            ``tools/test.py`` (``SpineXRClsMetric``).
        out_dir (str, optional): Where to write the ensemble's
            ``predictions.csv`` and ``roc.png``.
        threshold (float, optional): Fixed operating threshold; defaults to
            each model's Youden threshold.
        num_bootstrap (int): Resamples for the CIs. Defaults to 10,000.
        seed (int): Resampling seed. Defaults to 0.

    Returns:
        tuple: the ensemble's metrics and a table of all models.
    """
    ids, logits, labels = ensemble_logits(prediction_files)
    metrics = binary_cls_metrics(labels, sigmoid(logits), threshold,
                                 num_bootstrap, seed)
    rows = [['model', 'AUROC', '95% CI', 'threshold'] +
            [m for m in THRESHOLD_METRICS]]

    def row(name: str, m: dict) -> list:
        ci = (f'{100 * m["auroc_ci_lo"]:.2f}-{100 * m["auroc_ci_hi"]:.2f}'
              if 'auroc_ci_lo' in m else '')
        return [name, f'{100 * m["auroc"]:.2f}', ci,
                f'{m["threshold"]:.4f}'] + \
            [f'{100 * m[k]:.2f}' for k in THRESHOLD_METRICS]

    for path in prediction_files:
        _, member_logits, member_labels = load_cls_predictions(path)
        rows.append(
            row(
                path,
                binary_cls_metrics(member_labels, sigmoid(member_logits),
                                   threshold, num_bootstrap, seed)))
    rows.append(row(f'ensemble of {len(prediction_files)}', metrics))
    if out_dir is not None:
        save_cls_predictions(
            osp.join(out_dir, 'predictions.csv'), ids, logits, labels)
        plot_roc(
            osp.join(out_dir, 'roc.png'),
            labels,
            sigmoid(logits),
            metrics['threshold'],
            title='ensemble ROC')
    table = AsciiTable(rows)
    table.inner_footing_row_border = True
    return metrics, table.table
