from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmdet.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor


@MODELS.register_module()
class SpineLesionClassifier(BaseModel):
    """Image-level abnormal-vs-normal classifier: backbone, neck, head.

    Runs under mmengine's Runner (and so ``tools/train.py`` /
    ``tools/test.py``) like a detector: ``forward`` has the modes 'loss'
    (dict of losses), 'predict' (data samples with ``pred_logit`` and
    ``pred_score``) and 'tensor' (raw logits).

    Args:
        backbone (dict): Backbone config, e.g. ``MonaiDenseNet`` or mmdet's
            ``ResNet``; must return a tuple of feature maps.
        head (dict): Head config, e.g. ``SpineLesionClsHead``.
        neck (dict, optional): Neck config between them.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``ImgDataPreprocessor`` with no normalisation.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ImgDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor]:
        """Backbone (and neck) features as a tuple."""
        feats = self.backbone(inputs)
        if self.neck is not None:
            feats = self.neck(feats)
        return tuple(feats) if isinstance(feats, (list, tuple)) else (feats, )

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[Sequence[BaseDataElement]] = None,
        mode: str = 'tensor'
    ) -> Union[Dict[str, Tensor], List[BaseDataElement], Tensor]:
        """Dispatch to :meth:`loss`, :meth:`predict` or the raw logits."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        raise RuntimeError(f'invalid mode {mode!r}: choose from "loss", '
                           '"predict" and "tensor"')

    def loss(self, inputs: Tensor,
             data_samples: Sequence[BaseDataElement]) -> Dict[str, Tensor]:
        """Losses of a batch; ``data_samples`` carry ``gt_label``."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(
        self,
        inputs: Tensor,
        data_samples: Optional[Sequence[BaseDataElement]] = None
    ) -> List[BaseDataElement]:
        """Data samples with ``pred_logit`` and ``pred_score`` added."""
        return self.head.predict(self.extract_feat(inputs), data_samples)
