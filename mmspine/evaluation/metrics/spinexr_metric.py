import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.datasets.api_wrappers import COCO
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import load
from mmengine.logging import MMLogger, print_log

from ..functional.coco_ap import SPINEXR_IOU_THRS, coco_box_ap
from ..functional.froc import FROC_REPORT_FPS, froc_metrics


@METRICS.register_module()
class SpineXRMetric(CocoMetric):
    """COCO box AP the way VinDr-SpineXR reports it.

    Reports ``bbox_mAP_50`` (the paper's headline), ``bbox_mAP`` (mean over
    ``iou_thrs``, by default 0.20:0.05:0.50, the reference code's "AP") and,
    per class, ``bbox_AP50_<class>`` and ``bbox_AP_<class>``; the per-class
    values are also logged as a table (computed by
    :func:`~mmspine.evaluation.functional.coco_box_ap`). With ``froc_fps``
    it also reports the FROC sensitivity over all classes at those mean
    false positives per image, ``froc_sens@1fp`` and so on (IoU 0.5, see
    :mod:`~mmspine.evaluation.functional.froc`). Everything else (result
    conversion, ``outfile_prefix``, ``format_only``) behaves as in mmdet's
    :class:`CocoMetric`.

    Args:
        iou_thrs (Sequence[float]): IoU thresholds averaged into ``bbox_mAP``.
            Must contain ``headline_iou``.
        headline_iou (float): IoU of the headline metric. Defaults to 0.5.
        max_dets (int): Detections kept per image. Defaults to 100.
        froc_fps (Sequence[float], optional): False positives per image at
            which to report the FROC sensitivity. Defaults to (0.5, 1, 2,
            4); None or () for none.
        **kwargs: Passed to :class:`CocoMetric`; ``metric`` must be 'bbox'.
    """

    default_prefix: Optional[str] = 'spinexr'

    def __init__(self,
                 iou_thrs: Sequence[float] = SPINEXR_IOU_THRS,
                 headline_iou: float = 0.5,
                 max_dets: int = 100,
                 froc_fps: Optional[Sequence[float]] = FROC_REPORT_FPS,
                 **kwargs) -> None:
        metric = kwargs.pop('metric', 'bbox')
        if metric not in ('bbox', ['bbox']):
            raise ValueError(f'SpineXRMetric evaluates boxes only, '
                             f'got metric={metric!r}')
        super().__init__(
            metric='bbox',
            iou_thrs=list(iou_thrs),
            proposal_nums=(1, 10, max_dets),
            **kwargs)
        self.iou_thrs = np.asarray(iou_thrs, dtype=np.float64)
        matches = np.flatnonzero(np.isclose(self.iou_thrs, headline_iou))
        if matches.size != 1:
            raise ValueError(f'headline_iou={headline_iou} must be one of '
                             f'iou_thrs={list(iou_thrs)}')
        self.headline_iou = headline_iou
        self.froc_fps = tuple(froc_fps or ())

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Run COCOeval at ``iou_thrs`` and collect overall and class APs."""
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
        try:
            if self._coco_api is None:
                self._coco_api = COCO(
                    self.gt_to_coco_json(gts, outfile_prefix))
            if self.cat_ids is None:
                self.cat_ids = self._coco_api.get_cat_ids(
                    cat_names=self.dataset_meta['classes'])
            if self.img_ids is None:
                self.img_ids = self._coco_api.get_img_ids()
            result_files = self.results2json(preds, outfile_prefix)
            if self.format_only:
                logger.info(f'results are saved in {outfile_prefix}.*')
                return OrderedDict()
            predictions = load(result_files['bbox'])
            eval_results = self._evaluate(predictions, logger)
            if self.froc_fps:
                eval_results.update(
                    froc_metrics(
                        self._coco_api.dataset,
                        predictions,
                        self.froc_fps,
                        self.cat_ids,
                        self.img_ids,
                        max_dets=self.proposal_nums[-1]))
            return eval_results
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()

    def _evaluate(self, predictions: list,
                  logger: MMLogger) -> Dict[str, float]:
        if not predictions:
            print_log('No detections at all: every AP is 0.', logger)
        results, table = coco_box_ap(self._coco_api, predictions, self.cat_ids,
                                     self.img_ids, self.iou_thrs,
                                     self.headline_iou, self.proposal_nums[-1])
        print_log('\n' + table, logger)
        return results
