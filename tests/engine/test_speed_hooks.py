from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmspine.engine import ChannelsLastHook, CompileModulesHook


class TwoStage(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
        self.neck = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.neck(self.backbone(x))


def test_channels_last_converts_weights_and_restores_nchw_outputs():
    torch.manual_seed(0)
    model = TwoStage()
    x = torch.rand(2, 3, 12, 10)
    expected = model(x)
    seen = []
    model.backbone[0].register_forward_pre_hook(lambda m, args: seen.append(
        args[0].is_contiguous(memory_format=torch.channels_last)))
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    assert model.backbone[0].weight.is_contiguous(
        memory_format=torch.channels_last)
    assert model.neck.weight.is_contiguous(memory_format=torch.channels_last)
    out = model(x)
    # the backbone saw NHWC input; what leaves the neck is plain NCHW, as
    # mmcv's RoIAlign expects
    assert seen == [True]
    assert out.is_contiguous()
    torch.testing.assert_close(out, expected)


def test_hooks_name_a_missing_module():
    runner = SimpleNamespace(model=TwoStage())
    with pytest.raises(AttributeError, match="'head'"):
        ChannelsLastHook(modules=('backbone', 'head')).before_run(runner)
    with pytest.raises(AttributeError, match="'head'"):
        CompileModulesHook(modules=('head', )).before_run(runner)
