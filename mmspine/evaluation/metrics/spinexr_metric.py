import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import get_local_path, load
from mmengine.logging import MMLogger, print_log

from ..detections import label_cat_ids
from ..functional.coco_ap import SPINEXR_IOU_THRS, as_coco, coco_box_ap
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
        ann_file (str, optional): COCO ground truth; else it is converted
            from the data samples, as CocoMetric does.
        **kwargs: Passed to :class:`CocoMetric`; ``metric`` must be 'bbox'.
    """

    default_prefix: Optional[str] = 'spinexr'

    def __init__(self,
                 iou_thrs: Sequence[float] = SPINEXR_IOU_THRS,
                 headline_iou: float = 0.5,
                 max_dets: int = 100,
                 froc_fps: Optional[Sequence[float]] = FROC_REPORT_FPS,
                 ann_file: Optional[str] = None,
                 **kwargs) -> None:
        metric = kwargs.pop('metric', 'bbox')
        if metric not in ('bbox', ['bbox']):
            raise ValueError(f'SpineXRMetric evaluates boxes only, '
                             f'got metric={metric!r}')
        if kwargs.get('sort_categories'):
            raise ValueError('SpineXRMetric numbers labels as the dataset '
                             'does (the file\'s category order); '
                             'sort_categories is not supported')
        # CocoMetric keeps its ground truth in a private member (its
        # process() needs it); we read the same file into our own
        super().__init__(
            metric='bbox',
            iou_thrs=list(iou_thrs),
            proposal_nums=(1, 10, max_dets),
            ann_file=ann_file,
            **kwargs)
        #: The ground truth (pycocotools COCO); from ``ann_file``, else
        #: converted from the data samples at the first evaluation.
        self.coco_gt = None
        if ann_file is not None:
            with get_local_path(
                    ann_file, backend_args=self.backend_args) as local_path:
                self.coco_gt = as_coco(local_path)
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
            if self.coco_gt is None:
                self.coco_gt = as_coco(
                    self.gt_to_coco_json(gts, outfile_prefix))
            if self.cat_ids is None:
                # the dataset's label numbering (mmdet's CocoDataset)
                self.cat_ids = label_cat_ids(self.coco_gt,
                                             self.dataset_meta['classes'])
            if self.img_ids is None:
                self.img_ids = self.coco_gt.getImgIds()
            result_files = self.results2json(preds, outfile_prefix)
            if self.format_only:
                logger.info(f'results are saved in {outfile_prefix}.*')
                return OrderedDict()
            predictions = load(result_files['bbox'])
            if not predictions:
                print_log('No detections at all: every AP is 0.', logger)
            eval_results, table = coco_box_ap(self.coco_gt, predictions,
                                              self.cat_ids, self.img_ids,
                                              self.iou_thrs, self.headline_iou,
                                              self.proposal_nums[-1])
            print_log('\n' + table, logger)
            if self.froc_fps:
                eval_results.update(
                    froc_metrics(
                        self.coco_gt.dataset,
                        predictions,
                        self.froc_fps,
                        self.cat_ids,
                        self.img_ids,
                        max_dets=self.proposal_nums[-1]))
            return eval_results
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()
