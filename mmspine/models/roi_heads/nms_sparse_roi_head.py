from typing import List

from mmcv.ops import batched_nms
from mmdet.models.roi_heads import SparseRoIHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList


@MODELS.register_module()
class NMSSparseRoIHead(SparseRoIHead):
    """Sparse R-CNN RoI head with optional class-wise NMS at test time.

    Sparse R-CNN is trained set-to-set and needs no NMS, but the
    VinDr-SpineXR reference applies NMS at IoU 0.7 to its outputs before
    evaluation. Set ``test_cfg=dict(max_per_img=100, nms=dict(type='nms',
    iou_threshold=0.7))`` to do the same; without ``nms`` in ``test_cfg``
    this head predicts exactly as :class:`SparseRoIHead`.
    """

    def predict_bbox(self,
                     x,
                     batch_img_metas: List[dict],
                     rpn_results_list: InstanceList,
                     rcnn_test_cfg,
                     rescale: bool = False) -> InstanceList:
        results_list = super().predict_bbox(x, batch_img_metas,
                                            rpn_results_list, rcnn_test_cfg,
                                            rescale)
        nms_cfg = rcnn_test_cfg.get('nms') if rcnn_test_cfg else None
        if nms_cfg is None:
            return results_list
        return [self._nms(results, nms_cfg) for results in results_list]

    @staticmethod
    def _nms(results, nms_cfg: dict):
        if len(results) == 0:
            return results
        _, keep = batched_nms(results.bboxes, results.scores, results.labels,
                              dict(nms_cfg))
        return results[keep]
