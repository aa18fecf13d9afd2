"""Classifier + detector fusion end to end, as ``tools/fuse.py`` runs it."""
from typing import List, Optional, Sequence

import numpy as np
from mmengine.fileio import dump
from terminaltables import AsciiTable

from ..evaluation.functional import (binary_cls_metrics, load_cls_predictions,
                                     youden_threshold)
from ..thresholds import RULE_K
from .decision_rule import (DEFAULT_C_GRID, DEFAULT_K_GRID, DetectionEvaluator,
                            compare_table, fuse_and_evaluate, image_id_map,
                            load_detections, load_rule, max_box_scores,
                            probs_by_coco_id, reverse_scores, save_rule,
                            sweep_decision_rule, sweep_table)
from .ensemble import sigmoid


def fuse(det_file: str,
         cls_file: str,
         ann_file: str,
         c: Optional[float] = None,
         k: float = RULE_K,
         out_file: Optional[str] = None,
         reverse: bool = False,
         sweep: bool = False,
         c_grid: Sequence[float] = DEFAULT_C_GRID,
         k_grid: Sequence[float] = DEFAULT_K_GRID,
         classes: Optional[Sequence[str]] = None,
         num_bootstrap: int = 10000,
         rule_out: Optional[str] = None,
         rule: Optional[str] = None) -> dict:
    """Apply the decision rule and report; optionally reverse and sweep.

    Args:
        det_file (str): Detector results, COCO JSON or ``tools/test.py``
            pickle.
        cls_file (str): Classifier (or ensemble) ``predictions.csv``.
        ann_file (str): COCO ground truth of the same images.
        c (float, optional): Classifier threshold. Defaults to the rule's
            (``rule``), else to the Youden threshold of ``cls_file`` itself
            (as the paper did on its test set: biased, say so).
        k (float): Box score threshold for images called normal (the
            rule's when ``rule`` is given).
        out_file (str, optional): Write the fused COCO results JSON here.
        reverse (bool): Also score images by the mean of p(abnormal) and
            the highest box score and evaluate that as a classifier.
        sweep (bool): Also evaluate the rule over ``c_grid`` x ``k_grid``.
        classes (Sequence[str], optional): The detector's dataset classes
            (config ``metainfo``): evaluated, and a pickle's labels numbered
            by them. Defaults to every category of ``ann_file``.
        num_bootstrap (int): Resamples of the classifier CIs (reverse).
        rule_out (str, optional): With ``sweep``, write the best ``c`` and
            ``k`` as JSON here (:func:`save_rule`), for ``tools/infer.py
            --rule`` and ``rule``.
        rule (str, optional): ``c`` and ``k`` from a rule file written by
            a sweep on the validation split (``rule_out``): the unbiased way
            to evaluate the rule on test.

    Returns:
        dict: 'c', 'k', 'before', 'after', 'fused' and 'report' (the
        printed tables); with ``reverse`` 'reverse' (metrics of the
        classifier and the combined score); with ``sweep`` 'sweep' (best
        c, k, mAP and the grid).
    """
    if rule_out is not None and not sweep:
        raise ValueError('rule_out (--rule-out) needs sweep (--sweep)')
    evaluator = DetectionEvaluator(ann_file, classes=classes)
    detections = load_detections(det_file, evaluator.coco, classes)
    ids, logits, labels = load_cls_predictions(cls_file)
    probs = sigmoid(logits)
    c_source = 'given'
    if rule is not None:
        if c is not None:
            raise ValueError('give c (--c) or a rule file (--rule), not both')
        c, k = load_rule(rule)
        c_source = f'from {rule}'
    if c is None:
        c = youden_threshold(labels, probs)
        # as in the paper; tune c on a validation split (--sweep) instead
        # for an unbiased mAP of the rule
        c_source = ('Youden threshold of these same predictions: selected '
                    'on the data it is evaluated on; pass --rule from a '
                    'sweep on the val split instead')
    abnormal_probs = probs_by_coco_id(evaluator.coco, ids, probs)
    fused, before, after = fuse_and_evaluate(evaluator, detections,
                                             abnormal_probs, c, k)
    report: List[str] = [
        f'decision rule: keep all boxes if p(abnormal) >= c = {c:.4f} '
        f'({c_source}), else boxes with score >= k = {k:g}; boxes '
        f'{len(detections)} -> {len(fused)}',
        compare_table(before, after, evaluator.classes)
    ]
    out = dict(c=c, k=k, before=before, after=after, fused=fused)
    if out_file is not None:
        dump(fused, out_file)
        report.append(f'fused results written to {out_file}')
    if reverse:
        stems = image_id_map(evaluator.coco)
        # images the detector never saw (e.g. failed conversions) cannot
        # get a combined score
        known = np.array([i in stems for i in ids], dtype=bool)
        if not known.all():
            report.append(f'reverse: {int((~known).sum())} classifier '
                          f'images are not in {ann_file}; left out')
        box_scores = max_box_scores(
            detections, [stems[i] for i, ok in zip(ids, known) if ok])
        combined = reverse_scores(probs[known], box_scores)
        results = dict(
            classifier=binary_cls_metrics(
                labels[known], probs[known], num_bootstrap=num_bootstrap),
            combined=binary_cls_metrics(
                labels[known], combined, num_bootstrap=num_bootstrap))
        rows = [[
            'image score', 'AUROC', '95% CI', 'sensitivity', 'specificity',
            'F1'
        ]]
        for name, m in results.items():
            ci = (f'{100 * m["auroc_ci_lo"]:.2f}-'
                  f'{100 * m["auroc_ci_hi"]:.2f}'
                  if 'auroc_ci_lo' in m else '')
            rows.append([
                name, f'{100 * m["auroc"]:.2f}', ci,
                f'{100 * m["sensitivity"]:.2f}',
                f'{100 * m["specificity"]:.2f}', f'{100 * m["f1"]:.2f}'
            ])
        report.append('reverse direction: image score = (p(abnormal) + '
                      'highest box score) / 2\n' + AsciiTable(rows).table)
        out['reverse'] = results
    if sweep:
        best, grid = sweep_decision_rule(evaluator, detections, abnormal_probs,
                                         c_grid, k_grid)
        report.append(sweep_table(grid, c_grid, k_grid, before['bbox_mAP_50']))
        report.append(f'best pair: c = {best[0]:g}, k = {best[1]:g}, '
                      f'mAP@0.5 = {100 * best[2]:.2f}')
        out['sweep'] = dict(
            best_c=best[0],
            best_k=best[1],
            best_map50=best[2],
            grid=np.asarray(grid))
        if rule_out is not None:
            save_rule(
                rule_out,
                best[0],
                best[1],
                map50=best[2],
                source=f'tools/fuse.py --sweep on {ann_file}')
            report.append(f'rule written to {rule_out}')
    out['report'] = '\n'.join(report)
    return out
