"""BiFPN, the weighted bidirectional feature pyramid of EfficientDet.

Tan, Pang and Le, "EfficientDet: Scalable and Efficient Object Detection",
CVPR 2020. Each cell runs a top-down path (coarse to fine) and then a
bottom-up path (fine to coarse); every node fuses its inputs with learnt
non-negative weights normalised to sum to one ("fast normalized fusion"),
then applies swish, a depthwise separable convolution and batch norm.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import SeparableConv2d

# TensorFlow's batch norm defaults of the reference implementation
# (decay 0.99, epsilon 1e-3), in PyTorch's convention.
EFFICIENTDET_NORM = dict(type='BN', momentum=0.01, eps=1e-3)


def upsample_to(x: Tensor, like: Tensor) -> Tensor:
    """Nearest-neighbour upsampling of ``x`` to the size of ``like``."""
    return F.interpolate(x, size=like.shape[-2:], mode='nearest')


def downsample_to(x: Tensor, like: Tensor) -> Tensor:
    """3 x 3 max pooling at stride 2, to the size of ``like``.

    With padding 1 the pooled size is ceil(size / 2), what the backbone's
    stride-2 convolutions give; other backbones may round down, hence the
    final resize when the sizes still differ.
    """
    x = F.max_pool2d(x, 3, stride=2, padding=1)
    if x.shape[-2:] != like.shape[-2:]:
        x = F.interpolate(x, size=like.shape[-2:], mode='nearest')
    return x


def projection(in_channels: int, out_channels: int,
               norm_cfg: ConfigType) -> nn.Module:
    """1 x 1 convolution and batch norm to the BiFPN width, if needed."""
    if in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1),
        build_norm_layer(norm_cfg, out_channels)[1])


class WeightedFusion(nn.Module):
    """One BiFPN node: fast normalised fusion, then swish-conv-BN.

    ``out = BN(conv(swish(sum_i w_i x_i / (eps + sum_j w_j))))`` with
    ``w = relu(weights)``: as stable as a softmax over the weights, without
    the exponentials.

    Args:
        num_inputs (int): Feature maps fused, all of the same shape.
        channels (int): Their channels.
        norm_cfg (dict): Normalisation after the convolution.
        act_cfg (dict): Activation before it.
        eps (float): Keeps the normalisation finite when every weight
            is 0.
    """

    def __init__(self,
                 num_inputs: int,
                 channels: int,
                 norm_cfg: ConfigType = EFFICIENTDET_NORM,
                 act_cfg: ConfigType = dict(type='SiLU'),
                 eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps
        self.weights = nn.Parameter(torch.ones(num_inputs))
        self.act = build_activation_layer(act_cfg)
        self.conv = SeparableConv2d(channels, channels)
        self.norm = build_norm_layer(norm_cfg, channels)[1]

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        if len(inputs) != len(self.weights):
            raise ValueError(f'this node fuses {len(self.weights)} inputs, '
                             f'got {len(inputs)}')
        weights = F.relu(self.weights)
        weights = weights / (weights.sum() + self.eps)
        fused = sum(w * x for w, x in zip(weights, inputs))
        return self.norm(self.conv(self.act(fused)))


class BiFPNCell(nn.Module):
    """One top-down plus bottom-up pass over ``num_levels`` levels.

    Level i of the output fuses, bottom-up, its input, the top-down node of
    its level (absent at the two ends) and the pooled output of level
    i - 1. In the first cell of a BiFPN the backbone features reach the
    top-down and the bottom-up nodes through separate projections, hence
    two input lists.

    Args:
        num_levels (int): Pyramid levels, finest first.
        channels (int): The BiFPN width.
        norm_cfg (dict): Normalisation of the nodes.
        act_cfg (dict): Activation of the nodes.
    """

    def __init__(
        self,
        num_levels: int,
        channels: int,
        norm_cfg: ConfigType = EFFICIENTDET_NORM,
        act_cfg: ConfigType = dict(type='SiLU')
    ) -> None:
        super().__init__()
        if num_levels < 2:
            raise ValueError(f'a BiFPN needs 2 levels or more, got '
                             f'{num_levels}')
        self.num_levels = num_levels

        def node(num_inputs: int) -> WeightedFusion:
            return WeightedFusion(num_inputs, channels, norm_cfg, act_cfg)

        # top_down[i] makes level i from level i and level i + 1 (the
        # coarsest level has no top-down node)
        self.top_down = nn.ModuleList(node(2) for _ in range(num_levels - 1))
        # bottom_up[i - 1] makes output level i, i >= 1 (output level 0 is
        # the finest top-down node)
        self.bottom_up = nn.ModuleList(
            node(3 if i < num_levels - 1 else 2) for i in range(1, num_levels))

    def forward(self,
                inputs: Sequence[Tensor],
                bottom_up_inputs: Optional[Sequence[Tensor]] = None
                ) -> List[Tensor]:
        """Fuse a pyramid.

        Args:
            inputs (Sequence[Tensor]): Levels, finest first, all at the
                BiFPN width.
            bottom_up_inputs (Sequence[Tensor], optional): What the
                bottom-up nodes take as their level's input, if not
                ``inputs``.

        Returns:
            list[Tensor]: The fused levels, finest first.
        """
        if bottom_up_inputs is None:
            bottom_up_inputs = inputs
        n = self.num_levels
        top_down = [None] * n
        top_down[-1] = inputs[-1]
        for i in range(n - 2, -1, -1):
            top_down[i] = self.top_down[i](
                [inputs[i], upsample_to(top_down[i + 1], inputs[i])])
        outs = [top_down[0]]
        for i in range(1, n):
            lateral = [bottom_up_inputs[i]]
            if i < n - 1:
                lateral.append(top_down[i])
            outs.append(self.bottom_up[i - 1](
                lateral + [downsample_to(outs[-1], bottom_up_inputs[i])]))
        return outs


@MODELS.register_module()
class BiFPN(BaseModule):
    """EfficientDet's neck: extra coarse levels, then stacked BiFPN cells.

    The backbone gives levels P3-P5 (strides 8, 16, 32); P6 is the last
    input projected to the BiFPN width and max-pooled, each further level
    the previous one max-pooled. Backbone levels are projected by 1 x 1
    convolutions with batch norm, separately for the top-down and the
    bottom-up nodes of the first cell.

    Args:
        in_channels (Sequence[int]): Channels of the backbone levels,
            finest first.
        out_channels (int): The BiFPN width (64 / 88 / 112 / 160 for
            D0-D3).
        num_layers (int): Stacked cells, the BiFPN depth (3 / 4 / 5 / 6
            for D0-D3).
        num_outs (int): Output levels; those beyond the backbone's are
            made by pooling. Defaults to 5 (P3-P7).
        norm_cfg (dict): Normalisation of projections and nodes.
        act_cfg (dict): Activation of the nodes. Defaults to swish.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_layers: int,
                 num_outs: int = 5,
                 norm_cfg: ConfigType = EFFICIENTDET_NORM,
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels = list(in_channels)
        if not in_channels or num_outs < len(in_channels):
            raise ValueError(
                f'num_outs ({num_outs}) must be at least the number of '
                f'backbone levels ({len(in_channels)}), which must be >= 1')
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_outs = num_outs
        self.top_down_projections = nn.ModuleList(
            projection(c, out_channels, norm_cfg) for c in in_channels)
        # the finest level has no bottom-up node: no projection for it
        self.bottom_up_projections = nn.ModuleList(
            projection(c, out_channels, norm_cfg) for c in in_channels[1:])
        self.num_extra = num_outs - len(in_channels)
        self.extra_projection = projection(
            in_channels[-1], out_channels,
            norm_cfg) if self.num_extra else None
        self.cells = nn.ModuleList(
            BiFPNCell(num_outs, out_channels, norm_cfg, act_cfg)
            for _ in range(num_layers))

    def forward(self, inputs: Sequence[Tensor]) -> tuple:
        """Backbone levels, finest first -> ``num_outs`` fused levels."""
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'BiFPN expects {len(self.in_channels)} '
                             f'backbone levels, got {len(inputs)}')
        extra = []
        if self.num_extra:
            x = self.extra_projection(inputs[-1])
            for _ in range(self.num_extra):
                x = F.max_pool2d(x, 3, stride=2, padding=1)
                extra.append(x)
        top_down = [
            proj(x) for proj, x in zip(self.top_down_projections, inputs)
        ] + extra
        bottom_up = [top_down[0]] + [
            proj(x) for proj, x in zip(self.bottom_up_projections, inputs[1:])
        ] + extra
        outs = self.cells[0](top_down, bottom_up)
        for cell in self.cells[1:]:
            outs = cell(outs)
        return tuple(outs)
