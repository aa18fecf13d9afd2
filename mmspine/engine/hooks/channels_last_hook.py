from typing import Sequence

import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from torch import nn

from .detector_modules import detector_modules


def _to_channels_last(module: nn.Module, args: tuple) -> tuple:
    return tuple(
        a.contiguous(memory_format=torch.channels_last
                     ) if isinstance(a, torch.Tensor) and a.dim() == 4 else a
        for a in args)


def _to_contiguous(module: nn.Module, args: tuple, outputs):
    if isinstance(outputs, torch.Tensor):
        return outputs.contiguous()
    return type(outputs)(o.contiguous() for o in outputs)


def channels_last_chain(chain: Sequence[nn.Module]) -> list:
    """Run ``chain`` (modules in data-flow order) in channels_last layout.

    The weights are converted once, the first module's 4D inputs on every
    call, and the last module's outputs go back to contiguous NCHW, because
    mmcv's RoIAlign kernels index NCHW memory without checking the layout
    (on a channels_last feature map they pool the wrong values).

    Returns:
        list: The two hook handles (``handle.remove()`` undoes the layout
        changes of the inputs and outputs, not of the weights).
    """
    for module in chain:
        module.to(memory_format=torch.channels_last)
    return [
        chain[0].register_forward_pre_hook(_to_channels_last),
        chain[-1].register_forward_hook(_to_contiguous)
    ]


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Run a chain of convolutional modules in channels_last layout.

    Tensor cores convolve NHWC natively; with NCHW tensors cuDNN transposes
    around each convolution. The weights of ``modules`` are converted once,
    the first module's image input on every call, and the last module's
    outputs go back to contiguous NCHW, because mmcv's RoIAlign kernels
    index NCHW memory without checking the layout.

    Args:
        modules (Sequence[str]): Attributes of the detector, in the order
            data flows through them. Defaults to ('backbone', 'neck').
    """

    priority = 'VERY_HIGH'

    def __init__(self, modules: Sequence[str] = ('backbone', 'neck')) -> None:
        if not modules:
            raise ValueError('ChannelsLastHook needs at least one module')
        self.modules = tuple(modules)

    def before_run(self, runner) -> None:
        channels_last_chain(
            detector_modules(runner, self.modules,
                             type(self).__name__))
