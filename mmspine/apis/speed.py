"""Speed levers for inference: BN folding, channels-last, ``torch.compile``.

Each lever leaves the results equal up to float rounding and falls back to
the plain model, with a warning, where it cannot be applied; what happened
to each model is returned (``SpineInferencer.speed_report``). Figures in
``benchmarks/README.md`` (``benchmarks/inference.py --levers``).
"""
import copy
import warnings
from typing import Dict, List, Optional, Sequence

import torch
from mmcv.cnn import fuse_conv_bn
from torch import nn

from ..engine.hooks import channels_last_chain

#: The levers and their defaults. ``fuse_bn``: fold eval-mode BatchNorm
#: into the preceding convolution (exact up to rounding); ``channels_last``:
#: backbone and neck in NHWC, their outputs back in NCHW for the RoI
#: heads; ``compile``: ``torch.compile`` of backbone and neck (inductor),
#: with ``freezing`` (weights folded in as constants: needs inference only)
#: and ``compile_mode`` ('default', 'max-autotune', ...); ``threads``:
#: ``torch.set_num_threads`` (None leaves it).
SPEED_DEFAULTS = {
    'fuse_bn': True,
    'channels_last': True,
    'compile': False,
    'freezing': True,
    'compile_mode': None,
    'threads': None,
}

#: Parts of a model that the levers touch, in data-flow order.
DENSE_PARTS = ('backbone', 'neck')


def resolve_speed(speed: Optional[dict] = None, **overrides) -> dict:
    """:data:`SPEED_DEFAULTS` updated by ``speed`` and ``overrides``.

    Raises:
        ValueError: For a key that is not a lever.
    """
    out = dict(SPEED_DEFAULTS)
    for source in (speed or {}, overrides):
        unknown = set(source) - set(SPEED_DEFAULTS)
        if unknown:
            raise ValueError(f'unknown speed levers {sorted(unknown)}; '
                             f'choose from {sorted(SPEED_DEFAULTS)}')
        out.update({k: v for k, v in source.items() if v is not None})
    return out


def dense_chain(model: nn.Module) -> List[nn.Module]:
    """Backbone and neck of ``model`` (those it has), in data-flow order."""
    return [
        getattr(model, name) for name in DENSE_PARTS
        if isinstance(getattr(model, name, None), nn.Module)
    ]


def _run_chain(chain: Sequence[nn.Module], x: torch.Tensor) -> list:
    for module in chain:
        x = module(x)
    return list(x) if isinstance(x, (list, tuple)) else [x]


def fuse_bn_checked(model: nn.Module, size: int = 64) -> bool:
    """Fold BatchNorm into convolutions of backbone and neck, if exact.

    mmcv's ``fuse_conv_bn`` pairs a convolution with the BatchNorm that is
    registered after it, which is the data flow in mmdet's ResNets but
    need not be elsewhere. So it is first tried on a float64 copy whose
    BatchNorm statistics are made random (fresh ones are an identity and
    would hide a wrong pairing): only if that copy's features are
    unchanged on a random image is the model itself fused.

    Returns:
        bool: Whether the model was fused (False: nothing to fuse, or the
        check failed, with a warning).
    """
    chain = dense_chain(model)
    if not any(
            isinstance(m, nn.modules.batchnorm._BatchNorm) for part in chain
            for m in part.modules()):
        return False
    gen = torch.Generator().manual_seed(0)
    probe = [copy.deepcopy(part).cpu().double() for part in chain]
    for part in probe:
        # (not chained: some backbones' train() returns None)
        part.eval()
        for m in part.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                shape = m.running_mean.shape
                m.running_mean.copy_(torch.randn(shape, generator=gen) * .1)
                m.running_var.copy_(torch.rand(shape, generator=gen) + .5)
                if m.affine:
                    m.weight.data.copy_(torch.rand(shape, generator=gen) + .5)
                    m.bias.data.copy_(torch.randn(shape, generator=gen) * .1)
    x = torch.rand(1, 3, size, size, generator=gen, dtype=torch.float64)
    with torch.inference_mode():
        ref = _run_chain(probe, x)
        try:
            for part in probe:
                fuse_conv_bn(part)
            out = _run_chain(probe, x)
            worst = max(
                float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))
                for a, b in zip(out, ref))
            problem = f'changed the features (relative {worst:.1e})' \
                if worst > 1e-9 else ''
        except RuntimeError as exc:  # e.g. a BN paired with a wrong conv
            problem = f'failed ({exc})'
    if problem:
        warnings.warn(f'{type(model).__name__}: folding BatchNorm into the '
                      f'convolutions {problem}; left unfused')
        return False
    for part in chain:
        fuse_conv_bn(part)
    return True


class CompiledOrEager(nn.Module):
    """``torch.compile`` of a module that falls back to it on failure.

    Inductor compiles on the first call; if that (or a later call) fails,
    e.g. without a C++ compiler, the module runs eagerly from then on,
    with one warning.
    """

    def __init__(self, module: nn.Module, **compile_kwargs) -> None:
        super().__init__()
        self.module = module
        self.compiled = torch.compile(module, **compile_kwargs)
        self.failed: Optional[str] = None

    def forward(self, *args, **kwargs):
        if self.failed is None:
            try:
                return self.compiled(*args, **kwargs)
            except Exception as exc:  # noqa: B902 - any backend error
                text = ' '.join(str(exc).split())
                self.failed = f'{type(exc).__name__}: {text}'[:300]
                warnings.warn(f'torch.compile of {type(self.module).__name__}'
                              f' failed ({self.failed}); running it eagerly')
        return self.module(*args, **kwargs)


def apply_speed(model: nn.Module, speed: dict) -> Dict[str, object]:
    """Apply the levers of ``speed`` (see :func:`resolve_speed`) in place.

    Returns:
        dict: Per lever, whether it is on.
    """
    applied: Dict[str, object] = {}
    applied['fuse_bn'] = bool(speed['fuse_bn']) and fuse_bn_checked(model)
    chain = dense_chain(model)
    applied['channels_last'] = bool(speed['channels_last']) and bool(chain)
    if applied['channels_last']:
        channels_last_chain(chain)
    applied['compile'] = bool(speed['compile']) and bool(chain)
    if applied['compile']:
        if speed['freezing']:
            # read when inductor compiles, i.e. at the first call
            import torch._inductor.config as inductor_config
            inductor_config.freezing = True
        kwargs = {
            'mode': speed['compile_mode']
        } if speed['compile_mode'] else {}
        for name in DENSE_PARTS:
            part = getattr(model, name, None)
            if isinstance(part, nn.Module):
                setattr(model, name, CompiledOrEager(part, **kwargs))
    return applied


__all__ = [
    'CompiledOrEager', 'DENSE_PARTS', 'SPEED_DEFAULTS', 'apply_speed',
    'dense_chain', 'fuse_bn_checked', 'resolve_speed'
]
