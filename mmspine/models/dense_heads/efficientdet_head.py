"""EfficientDet's class and box networks on mmdet's anchor machinery."""
from typing import List, Tuple

from mmcv.cnn import build_activation_layer, build_norm_layer
from mmdet.models.dense_heads import AnchorHead
from mmdet.models.utils import multi_apply
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import bias_init_with_prob
from torch import Tensor, nn

from ..layers import SeparableConv2d
from ..necks.bifpn import EFFICIENTDET_NORM


@MODELS.register_module()
class EfficientDetHead(AnchorHead):
    """Class and box networks of EfficientDet (Tan et al., CVPR 2020).

    Each network stacks ``stacked_convs`` depthwise separable convolutions,
    each followed by batch norm and swish, then a separable prediction
    convolution. The convolutions are shared across pyramid levels but the
    batch norms are not: feature statistics differ between strides, and
    one norm per level keeps them apart. Anchors, target assignment, the
    box coder, the losses and decoding are mmdet's ``AnchorHead``'s.

    Args:
        num_classes (int): Classes, without background.
        in_channels (int): Channels of the neck's levels.
        feat_channels (int): Channels inside the networks; EfficientDet
            uses the BiFPN width.
        stacked_convs (int): Convolutions before the prediction one (3 for
            D0-D2, 4 for D3).
        num_levels (int): Pyramid levels, each with its own norms.
        norm_cfg (dict): Normalisation after each shared convolution.
        act_cfg (dict): Activation after each norm. Defaults to swish.
        prior_prob (float): Initial foreground probability of the class
            outputs, as in RetinaNet. Defaults to 0.01.
        anchor_generator (dict): Anchors; the paper's 3 octave scales x 3
            ratios with anchor scale 4 on strides 8-128 by default.
        init_cfg (dict or list[dict], optional): Initialisation config;
            Kaiming (fan-in, as depthwise kernels see one channel) on every
            convolution by default. See :meth:`init_weights`.
        **kwargs: ``AnchorHead``'s other arguments (``bbox_coder``,
            ``loss_cls``, ``loss_bbox``, ``train_cfg``, ``test_cfg``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_channels: int = 64,
                 stacked_convs: int = 3,
                 num_levels: int = 5,
                 norm_cfg: ConfigType = EFFICIENTDET_NORM,
                 act_cfg: ConfigType = dict(type='SiLU'),
                 prior_prob: float = 0.01,
                 anchor_generator: ConfigType = dict(
                     type='AnchorGenerator',
                     octave_base_scale=4,
                     scales_per_octave=3,
                     ratios=[0.5, 1.0, 2.0],
                     strides=[8, 16, 32, 64, 128]),
                 init_cfg: OptMultiConfig = dict(
                     type='Kaiming', layer='Conv2d', mode='fan_in'),
                 **kwargs) -> None:
        if stacked_convs < 0:
            raise ValueError(
                f'stacked_convs must be >= 0, got {stacked_convs}')
        self.stacked_convs = stacked_convs
        self.num_levels = num_levels
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.prior_prob = prior_prob
        super().__init__(
            num_classes,
            in_channels,
            feat_channels=feat_channels,
            anchor_generator=anchor_generator,
            init_cfg=init_cfg,
            **kwargs)
        if self.prior_generator.num_levels != num_levels:
            raise ValueError(
                f'the anchor generator has {self.prior_generator.num_levels}'
                f' levels (strides), num_levels is {num_levels}')

    def _init_layers(self) -> None:
        """The shared convolutions, per-level norms and predictions."""

        def convs() -> nn.ModuleList:
            return nn.ModuleList(
                SeparableConv2d(
                    self.in_channels if i == 0 else self.feat_channels,
                    self.feat_channels) for i in range(self.stacked_convs))

        def norms() -> nn.ModuleList:
            # norms[level][i] follows convolution i at that level
            return nn.ModuleList(
                nn.ModuleList(
                    build_norm_layer(self.norm_cfg, self.feat_channels)[1]
                    for _ in range(self.stacked_convs))
                for _ in range(self.num_levels))

        self.cls_convs, self.cls_norms = convs(), norms()
        self.reg_convs, self.reg_norms = convs(), norms()
        self.act = build_activation_layer(self.act_cfg)
        pred_in = self.feat_channels if self.stacked_convs else \
            self.in_channels
        self.cls_pred = SeparableConv2d(
            pred_in, self.num_base_priors * self.cls_out_channels)
        self.reg_pred = SeparableConv2d(
            pred_in, self.num_base_priors * self.bbox_coder.encode_size)

    def init_weights(self) -> None:
        """``init_cfg``, then small predictions and the class prior.

        Only the pointwise half of each prediction convolution starts
        small (std 0.01): were the depthwise half small as well, each would
        scale the other's gradient down and the predictions would hardly
        move in early training. A pretrained ``init_cfg`` is overwritten
        here; load whole-model weights with ``load_from`` instead.
        """
        super().init_weights()
        for pred in (self.cls_pred, self.reg_pred):
            nn.init.normal_(pred.pointwise.weight, std=0.01)
            nn.init.zeros_(pred.pointwise.bias)
        nn.init.constant_(self.cls_pred.pointwise.bias,
                          bias_init_with_prob(self.prior_prob))

    def forward_single(self, x: Tensor, level: int) -> Tuple[Tensor, Tensor]:
        """Class scores and box deltas of one level.

        Args:
            x (Tensor): The level's features, (N, C, H, W).
            level (int): Its index, which picks the batch norms.

        Returns:
            tuple[Tensor, Tensor]: (N, A * num_classes, H, W) scores and
            (N, A * 4, H, W) deltas, A the anchors per position.
        """
        cls_feat = reg_feat = x
        for conv, norm in zip(self.cls_convs, self.cls_norms[level]):
            cls_feat = self.act(norm(conv(cls_feat)))
        for conv, norm in zip(self.reg_convs, self.reg_norms[level]):
            reg_feat = self.act(norm(conv(reg_feat)))
        return self.cls_pred(cls_feat), self.reg_pred(reg_feat)

    def forward(self, x: Tuple[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        """Scores and deltas of every level, finest first."""
        if len(x) != self.num_levels:
            raise ValueError(f'EfficientDetHead has norms for '
                             f'{self.num_levels} levels, got {len(x)}')
        return multi_apply(self.forward_single, x, range(len(x)))
