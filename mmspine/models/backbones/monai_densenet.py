import re
from typing import Optional, Tuple, Union

import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.logging import MMLogger, print_log
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor

#: ImageNet weights of torchvision's DenseNets, which MONAI loads as well.
DENSENET_IMAGENET_URLS = {
    121: 'https://download.pytorch.org/models/densenet121-a639ec97.pth',
    169: 'https://download.pytorch.org/models/densenet169-b2777c0a.pth',
    201: 'https://download.pytorch.org/models/densenet201-c1103571.pth',
}

# torchvision names a dense layer's modules 'norm1' (old checkpoints:
# 'norm.1'); MONAI nests them as 'layers.norm1'.
_TORCHVISION_LAYER_KEY = re.compile(
    r'^(.*denselayer\d+)\.(norm|relu|conv)\.?([12])\.'
    r'(weight|bias|running_mean|running_var|num_batches_tracked)$')


def torchvision_to_monai_densenet(state_dict: dict) -> dict:
    """Rename a torchvision DenseNet state dict to MONAI's layout.

    The ImageNet classifier (``classifier.*``) is dropped.
    """
    out = {}
    for key, value in state_dict.items():
        if key.startswith('classifier.'):
            continue
        match = _TORCHVISION_LAYER_KEY.match(key)
        if match:
            head, kind, idx, param = match.groups()
            key = f'{head}.layers.{kind}{idx}.{param}'
        out[key] = value
    return out


@MODELS.register_module()
class MonaiDenseNet(BaseModule):
    """DenseNet-121/169/201 feature extractor from MONAI.

    Wraps ``monai.networks.nets.DenseNet121/169/201`` without their
    classification layers; the output is the ReLU of the last feature map,
    as in torchvision's DenseNet before pooling.

    ImageNet weights (torchvision's checkpoints) load in
    :meth:`init_weights`, i.e. when the Runner initialises the model, never
    at construction: set ``pretrained=True`` or
    ``init_cfg=dict(type='Pretrained', checkpoint=<url or path>)``. Both
    torchvision-named and MONAI-named checkpoints are accepted.

    Args:
        depth (int): 121, 169 or 201.
        pretrained (bool): Use the ImageNet weights of ``depth``. Defaults
            to False.
        frozen_stem (bool): Freeze the stem conv and norm. Defaults to
            False.
        init_cfg (dict, optional): Initialisation config.
        **densenet_args: Passed to MONAI's DenseNet: ``in_channels``
            (default 3), ``init_features`` (channels of the stem, 64),
            ``growth_rate`` (channels each dense layer adds, 32),
            ``bn_size`` (bottleneck width factor, 4), ``dropout_prob``
            (after each dense layer, 0).
    """

    arch_settings = {
        121: 'DenseNet121',
        169: 'DenseNet169',
        201: 'DenseNet201'
    }

    def __init__(self,
                 depth: int = 121,
                 pretrained: bool = False,
                 frozen_stem: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None,
                 **densenet_args) -> None:
        from monai.networks import nets

        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for DenseNet, choose from '
                           f'{sorted(self.arch_settings)}')
        if pretrained:
            if init_cfg is not None:
                raise ValueError('set pretrained or init_cfg, not both')
            init_cfg = dict(
                type='Pretrained', checkpoint=DENSENET_IMAGENET_URLS[depth])
        super().__init__(init_cfg=init_cfg)
        # MONAI's own pretrained=True downloads at construction; loading is
        # left to init_weights instead.
        densenet_args.setdefault('in_channels', 3)
        net = getattr(nets, self.arch_settings[depth])(
            spatial_dims=2, out_channels=1, pretrained=False, **densenet_args)
        self.depth = depth
        self.features = net.features
        self.out_channels = net.class_layers.out.in_features
        self.frozen_stem = frozen_stem
        self._freeze_stem()

    def _freeze_stem(self) -> None:
        if not self.frozen_stem:
            return
        for name in ('conv0', 'norm0'):
            module = getattr(self.features, name)
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'MonaiDenseNet':
        super().train(mode)
        self._freeze_stem()
        return self

    def init_weights(self) -> None:
        """Load a (torchvision or MONAI) checkpoint, else default init."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        logger = MMLogger.get_current_instance()
        ckpt = CheckpointLoader.load_checkpoint(
            cfg['checkpoint'], map_location='cpu', logger=logger)
        state = ckpt.get('state_dict', ckpt)
        prefix = cfg.get('prefix')
        if prefix:
            prefix = prefix.rstrip('.') + '.'
            state = {
                k[len(prefix):]: v
                for k, v in state.items() if k.startswith(prefix)
            }
        state = torchvision_to_monai_densenet(state)
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing:
            raise KeyError(f'{cfg["checkpoint"]} lacks DenseNet weights, '
                           f'e.g. {missing[:3]}')
        if unexpected:
            print_log(f'ignored checkpoint keys: {unexpected[:5]}', logger)
        print_log(f'DenseNet-{self.depth} loaded from {cfg["checkpoint"]}',
                  logger)
        self.is_init = True

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Return a one-level tuple, as mmdet backbones do."""
        return (F.relu(self.features(x)), )
