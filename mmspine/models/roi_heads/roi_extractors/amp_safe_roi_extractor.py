from typing import Optional, Tuple

import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class AmpSafeRoIExtractor(SingleRoIExtractor):
    """mmdet's ``SingleRoIExtractor`` that pools reduced-precision features
    in float32.

    Under autocast the FPN hands over bfloat16 or float16 maps. mmcv's
    RoIAlign kernels have no bfloat16 version (nor a float16 one on the
    CPU), and the stock extractor casts the RoI boxes to the features'
    dtype, which rounds coordinates near 1,333 px to 8 px in bfloat16 and
    1 px in float16. Casting the maps up costs one pass over them; the
    pooled features are float32 and the head's matrix work still runs in
    the autocast dtype.
    """

    def forward(self,
                feats: Tuple[Tensor],
                rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        if feats[0].dtype in (torch.bfloat16, torch.float16):
            feats = tuple(f.float() for f in feats)
        return super().forward(feats, rois, roi_scale_factor)
