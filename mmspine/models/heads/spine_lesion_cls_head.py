from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import BaseDataElement
from torch import Tensor


@MODELS.register_module()
class SpineLesionClsHead(BaseModule):
    """Global average pooling, dropout and a linear layer of sigmoid logits.

    Output 0 is 'abnormal'; with ``num_classes > 1`` (multi-label mode) the
    others are the lesion types of the dataset's ``classes``. The loss is
    mmdet's sigmoid ``CrossEntropyLoss`` (BCE) or ``FocalLoss``, on targets
    optionally smoothed towards 1/2.

    Args:
        in_channels (int): Channels of the last backbone feature map.
        num_classes (int): Sigmoid outputs. Defaults to 1.
        dropout (float): Dropout before the linear layer. Defaults to 0.
        label_smoothing (float): Targets become ``t * (1 - e) + e / 2``.
            Defaults to 0.
        loss (dict): Loss config; must take logits and float targets of the
            same shape. Defaults to BCE.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int = 1,
        dropout: float = 0.,
        label_smoothing: float = 0.,
        loss: dict = dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        init_cfg: Optional[Union[dict, list]] = dict(
            type='Normal', layer='Linear', std=0.01)
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= label_smoothing < 1:
            raise ValueError(f'label_smoothing={label_smoothing} must be in '
                             '[0, 1)')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        self.loss_module = MODELS.build(loss)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Logits ``(N, num_classes)`` from the last feature map."""
        x = self.pool(feats[-1]).flatten(1)
        return self.fc(self.dropout(x))

    def targets(self, data_samples: Sequence[BaseDataElement],
                device: torch.device) -> Tensor:
        """Stack ``gt_label`` of the samples into smoothed float targets."""
        targets = torch.stack(
            [s.gt_label.reshape(-1).float() for s in data_samples]).to(device)
        if targets.shape[1] != self.num_classes:
            raise ValueError(f'{targets.shape[1]} labels per image for a '
                             f'head with num_classes={self.num_classes}')
        if self.label_smoothing:
            targets = targets * (1 - self.label_smoothing) + \
                self.label_smoothing / 2
        return targets

    def loss(self, feats: Tuple[Tensor],
             data_samples: Sequence[BaseDataElement]) -> dict:
        """Loss of a batch: ``dict(loss_cls=...)``."""
        logits = self(feats)
        return dict(
            loss_cls=self.loss_module(
                logits, self.targets(data_samples, logits.device)))

    def predict(
        self,
        feats: Tuple[Tensor],
        data_samples: Optional[Sequence[BaseDataElement]] = None
    ) -> List[BaseDataElement]:
        """Add ``pred_logit`` and ``pred_score`` (sigmoid) to each sample."""
        logits = self(feats)
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(len(logits))]
        for sample, logit in zip(data_samples, logits.detach()):
            sample.pred_logit = logit
            sample.pred_score = logit.sigmoid()
        return list(data_samples)
