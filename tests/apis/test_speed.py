"""Inference speed levers: exact BN folding, channels-last, compile fallback.
"""
import warnings

import pytest
import torch
from mmcv.ops import RoIAlign
from mmdet.models.backbones import ResNet
from torch import nn

from mmspine.apis.speed import (CompiledOrEager, apply_speed, fuse_bn_checked,
                                resolve_speed)


class Neck(nn.Conv2d):
    """Tuple of maps in, tuple out, as mmdet's necks."""

    def forward(self, feats):
        return (super().forward(feats[0]), )


class Detectorish(nn.Module):
    """A backbone and a neck, as the levers see a detector."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = Neck(64, 8, 1)

    def forward(self, x):
        return self.neck(self.backbone(x))[0]


def _random_bn_stats(model: nn.Module) -> None:
    """Trained-like statistics: fresh ones make BN almost an identity."""
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen))
            m.running_var.copy_(torch.rand(n, generator=gen) + .5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + .5)
            m.bias.data.copy_(torch.randn(n, generator=gen))


def _resnet_model() -> Detectorish:
    torch.manual_seed(0)
    model = Detectorish(
        ResNet(
            depth=18,
            num_stages=1,
            out_indices=(0, ),
            strides=(1, ),
            dilations=(1, )))
    _random_bn_stats(model)
    return model.eval()


def test_fuse_bn_is_exact_on_an_mmdet_resnet():
    model = _resnet_model()
    x = torch.rand(1, 3, 48, 40)
    with torch.inference_mode():
        ref = model(x)
        assert fuse_bn_checked(model)
        out = model(x)
    assert not any(
        isinstance(m, nn.BatchNorm2d) for m in model.backbone.modules())
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


class BnBeforeConv(nn.Module):
    """Registered conv then BN, but BN runs first: pairing them is wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return (self.conv(self.bn(x)), )


def test_fuse_bn_leaves_a_model_it_would_change():
    model = Detectorish(BnBeforeConv())
    _random_bn_stats(model)
    model.eval()
    with pytest.warns(UserWarning, match='left unfused'):
        assert not fuse_bn_checked(model)
    assert isinstance(model.backbone.bn, nn.BatchNorm2d)


def test_channels_last_hands_nchw_to_roi_align():
    """mmcv's RoIAlign misreads channels-last maps: the neck's output goes
    back to NCHW, and RoI features equal the plain model's."""
    model = _resnet_model()
    x = torch.rand(1, 3, 48, 40)
    rois = torch.tensor([[0., 2., 3., 30., 40.]])
    align = RoIAlign((7, 7), 1., sampling_ratio=2, aligned=True)
    with torch.inference_mode():
        ref = align(model(x), rois)
        applied = apply_speed(model, resolve_speed(fuse_bn=False))
        feat = model(x)
    assert applied == dict(fuse_bn=False, channels_last=True, compile=False)
    assert model.neck.weight.is_contiguous(memory_format=torch.channels_last)
    assert feat.is_contiguous()
    torch.testing.assert_close(align(feat, rois), ref, rtol=1e-4, atol=1e-5)


def test_failed_compile_runs_eagerly():

    def broken_backend(gm, example_inputs):
        raise RuntimeError('no compiler here')

    module = nn.Conv2d(3, 4, 3)
    wrapped = CompiledOrEager(module, backend=broken_backend)
    x = torch.rand(1, 3, 8, 8)
    with pytest.warns(UserWarning, match='running it eagerly'):
        out = wrapped(x)
    torch.testing.assert_close(out, module(x))
    assert 'no compiler here' in wrapped.failed
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        wrapped(x)  # no second attempt, no second warning


def test_unknown_lever():
    with pytest.raises(ValueError, match=r"unknown speed levers \['fp8'\]"):
        resolve_speed(dict(fp8=True))
    assert resolve_speed(dict(compile=True), channels_last=None)['compile']
