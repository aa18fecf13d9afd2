import logging
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from scipy.special import expit
from terminaltables import AsciiTable

from ..functional import (binary_cls_metrics, format_cls_metrics, plot_roc,
                          save_cls_predictions)


def _log_dir() -> Optional[str]:
    """Directory of the current Runner's log file, if it writes one."""
    logger = MMLogger.get_current_instance()
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            return osp.dirname(handler.baseFilename)
    return None


@METRICS.register_module()
class SpineXRClsMetric(BaseMetric):
    """Abnormal-vs-normal classification metrics of VinDr-SpineXR.

    AUROC, and at the Youden-J-optimal threshold (or a fixed one) the
    sensitivity, specificity, precision and F1, each with a percentile
    bootstrap CI; all computed with scikit-learn (see
    :func:`mmspine.evaluation.functional.binary_cls_metrics`). Optionally
    saves the per-image predictions (``<prefix>predictions.csv``: image_id,
    logit, prob, label) and the ROC curve (``<prefix>roc.png``).

    Reads ``pred_logit`` and ``gt_label`` of each data sample; in
    multi-label mode only output ``index`` (the 'abnormal' output) counts.

    Args:
        index (int): Output used as the abnormality score. Defaults to 0.
        threshold (float, optional): Fixed operating threshold on the
            probability. Defaults to None (Youden's J).
        num_bootstrap (int): Bootstrap resamples for the CIs, 0 for none.
            Defaults to 10,000.
        seed (int): Seed of the resampling. Defaults to 0.
        ci_level (float): CI coverage. Defaults to 0.95.
        out_dir (str, optional): Where to save predictions and the ROC
            plot. Defaults to None: beside the Runner's log file when
            ``save_outputs`` is set.
        save_outputs (bool): Save predictions and the ROC plot. Defaults to
            True.
        file_prefix (str): Prefix of the saved file names. Defaults to ''.
        collect_device (str): See :class:`BaseMetric`.
        prefix (str, optional): Metric key prefix. Defaults to
            'spinexr_cls'.
    """

    default_prefix: Optional[str] = 'spinexr_cls'

    def __init__(self,
                 index: int = 0,
                 threshold: Optional[float] = None,
                 num_bootstrap: int = 10000,
                 seed: int = 0,
                 ci_level: float = 0.95,
                 out_dir: Optional[str] = None,
                 save_outputs: bool = True,
                 file_prefix: str = '',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.index = index
        self.threshold = threshold
        self.num_bootstrap = num_bootstrap
        self.seed = seed
        self.ci_level = ci_level
        self.out_dir = out_dir
        self.save_outputs = save_outputs
        self.file_prefix = file_prefix

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep image id, abnormality logit and label of each sample."""
        for sample in data_samples:
            logit = sample['pred_logit'].reshape(-1)[self.index]
            label = sample['gt_label'].reshape(-1)[self.index]
            self.results.append((str(sample['img_id']), float(logit),
                                 int(round(float(label)))))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the metrics; log a table; save predictions and ROC."""
        logger: MMLogger = MMLogger.get_current_instance()
        ids, logits, labels = zip(*results)
        logits = np.asarray(logits, dtype=np.float64)
        probs = expit(logits)
        metrics = binary_cls_metrics(labels, probs, self.threshold,
                                     self.num_bootstrap, self.seed,
                                     self.ci_level)
        table = AsciiTable(format_cls_metrics(metrics))
        print_log(
            f'\n{len(ids)} images, {int(np.sum(labels))} abnormal\n' +
            table.table, logger)
        out_dir = self.out_dir or (_log_dir() if self.save_outputs else None)
        if self.save_outputs and out_dir:
            csv_path = osp.join(out_dir, f'{self.file_prefix}predictions.csv')
            png_path = osp.join(out_dir, f'{self.file_prefix}roc.png')
            save_cls_predictions(csv_path, ids, logits, labels)
            plot_roc(png_path, labels, probs, metrics['threshold'])
            print_log(f'predictions saved to {csv_path}, ROC to {png_path}',
                      logger)
        return OrderedDict(metrics)
