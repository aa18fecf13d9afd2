from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmengine.structures import BaseDataElement


@TRANSFORMS.register_module()
class PackSpineClsInputs(BaseTransform):
    """Pack an image and its image-level labels for a classifier.

    Required Keys:

    - img
    - gt_label (optional; absent for unlabelled images)

    Added Keys:

    - inputs (torch.Tensor): ``(C, H, W)`` uint8 image.
    - data_samples (BaseDataElement): ``gt_label`` as a float tensor, and
      ``meta_keys`` as metainfo.

    Args:
        meta_keys (Sequence[str]): Result keys kept as metainfo when
            present. Defaults to ('img_id', 'img_path', 'ori_shape',
            'img_shape', 'scale_factor', 'flip', 'flip_direction').
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape',
                                    'img_shape', 'scale_factor', 'flip',
                                    'flip_direction')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = BaseDataElement(
            metainfo={k: results[k]
                      for k in self.meta_keys if k in results})
        if 'gt_label' in results:
            sample.gt_label = torch.as_tensor(
                np.asarray(results['gt_label'], dtype=np.float32))
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
