from typing import Tuple

from mmdet.models.roi_heads.bbox_heads import DIIHead
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class AmpSafeDIIHead(DIIHead):
    """Sparse R-CNN's DIIHead with its predictions in float32.

    Under mixed precision the stock head hands float16 class scores to the
    Hungarian matcher, whose focal-loss cost takes ``log(p + 1e-12)``: the
    epsilon underflows to 0 in float16, the cost becomes NaN and
    ``linear_sum_assignment`` fails ("matrix contains invalid numeric
    entries"). Float16 box deltas also cost pixel precision in the boxes
    each stage passes to the next. Only the two small output tensors are
    cast; the head's matrix work still runs in float16.
    """

    def forward(self, roi_feat: Tensor,
                proposal_feat: Tensor) -> Tuple[Tensor, ...]:
        cls_score, bbox_delta, obj_feat, attn_feats = super().forward(
            roi_feat, proposal_feat)
        return cls_score.float(), bbox_delta.float(), obj_feat, attn_feats
