"""Inference precision: whether a device computes bfloat16 natively, and
backbone + neck under bfloat16 autocast.

bfloat16 pays only where the hardware multiplies it natively: Intel AMX or
AVX512-BF16 on the CPU, compute capability 8.0 (Ampere) or later on CUDA.
Elsewhere it is emulated and slower than float32, so ``'auto'`` picks it
only there. Figures: ``benchmarks/README.md`` (``benchmarks/inference.py
--precision``).
"""
import functools
import os
import warnings
from typing import Any, FrozenSet, Optional, Union

import torch
from torch import nn

#: Precision settings: float32, bfloat16 autocast, or bfloat16 where native.
PRECISIONS = ('fp32', 'bf16', 'auto')
#: x86 CPU flags (``/proc/cpuinfo``) of native bfloat16 matrix units.
BF16_CPU_FLAGS = ('amx_bf16', 'avx512_bf16')
#: ``ONEDNN_MAX_CPU_ISA`` values that still let oneDNN (PyTorch's CPU
#: convolutions) use those units; a lower one (e.g. AVX2) emulates bfloat16.
BF16_ONEDNN_ISAS = ('ALL', 'DEFAULT', 'AVX512_CORE_BF16', 'AVX512_CORE_FP16',
                    'AVX10_1_512', 'AVX512_CORE_AMX', 'AVX10_1_512_AMX',
                    'AVX512_CORE_AMX_FP16', 'AVX10_1_512_AMX_FP16')


def cpu_info(path: str = '/proc/cpuinfo') -> dict:
    """The first processor's ``model name`` and ``flags`` in ``path``.

    Returns:
        dict: ``model`` (str) and ``flags`` (frozenset of str); empty where
        the file cannot be read (not Linux).
    """
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return dict(model='', flags=frozenset())
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        key = key.strip()
        if not sep:
            if fields:  # the end of the first processor's block
                break
            continue
        fields.setdefault(key, value.strip())
    return dict(
        model=fields.get('model name', ''),
        flags=frozenset(fields.get('flags', '').split()))


@functools.lru_cache(maxsize=1)
def cpu_flags() -> FrozenSet[str]:
    """The CPU's flags as the kernel reports them (read once)."""
    return cpu_info()['flags']


def native_bf16(device: Union[str, torch.device] = 'cpu') -> bool:
    """Whether ``device`` multiplies bfloat16 natively.

    The CPU: AMX-BF16 or AVX512-BF16 (:data:`BF16_CPU_FLAGS`, Linux only;
    False where the flags cannot be read), unless ``ONEDNN_MAX_CPU_ISA``
    keeps oneDNN below them. CUDA: compute capability 8.0 or
    later; ``torch.cuda.is_bf16_supported()`` also says True for older
    GPUs that emulate it. Other device types: False.
    """
    device = torch.device(device)
    if device.type == 'cpu':
        isa = os.environ.get('ONEDNN_MAX_CPU_ISA', 'ALL').upper()
        return isa in BF16_ONEDNN_ISAS and any(flag in cpu_flags()
                                               for flag in BF16_CPU_FLAGS)
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            return False
        return tuple(torch.cuda.get_device_capability(device)) >= (8, 0)
    return False


def resolve_precision(precision: str = 'auto',
                      device: Union[str, torch.device] = 'cpu') -> str:
    """``'fp32'`` or ``'bf16'`` for a :data:`PRECISIONS` setting.

    'auto' is 'bf16' where :func:`native_bf16` says so, else 'fp32'. An
    explicit 'bf16' on a device without native support is kept, with a
    warning: it runs, emulated, slower than float32.

    Raises:
        ValueError: For a setting not in :data:`PRECISIONS`.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got '
                         f'{precision!r}')
    native = native_bf16(device)
    if precision == 'auto':
        return 'bf16' if native else 'fp32'
    if precision == 'bf16' and not native:
        warnings.warn(f'{device} has no native bfloat16: it is emulated, '
                      'slower than float32 (precision="auto" picks fp32)')
    return precision


def _to_float32(value: Any) -> Any:
    """Reduced-precision float tensors in ``value`` (nested) as float32."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype in (torch.bfloat16,
                                                torch.float16) else value
    if isinstance(value, (list, tuple)):
        items = [_to_float32(v) for v in value]
        return type(value)(items) if type(value) in (list, tuple) else \
            type(value)(*items)
    if isinstance(value, dict):
        return type(value)((k, _to_float32(v)) for k, v in value.items())
    return value


def _feature_model(model: nn.Module) -> Optional[nn.Module]:
    """``model``, or the model a wrapper (DDP, TTA) holds, that has
    ``extract_feat``."""
    while not callable(getattr(model, 'extract_feat', None)):
        model = getattr(model, 'module', None)
        if not isinstance(model, nn.Module):
            return None
    return model


def autocast_features(model: nn.Module, device_type: str = 'cpu') -> bool:
    """Run ``model.extract_feat`` (backbone + neck) under bfloat16 autocast.

    The features come back in float32, so the heads, and mmcv's RoIAlign
    and NMS (no bfloat16 kernels), run in float32 as before: the dense
    convolutions are most of the time, while box coordinates and scores
    keep float32's resolution. Replaces the method on the instance, which
    leaves the modules and the state dict as they are; calling it twice
    changes nothing.

    Args:
        model (nn.Module): A detector or classifier with ``extract_feat``,
            or a wrapper (``.module``) of one.
        device_type (str): 'cpu' or 'cuda', as ``torch.autocast`` takes it.

    Returns:
        bool: Whether the model has ``extract_feat`` (False: unchanged).
    """
    model = _feature_model(model)
    if model is None:
        return False
    extract = model.extract_feat
    if getattr(extract, 'bf16_autocast', False):
        return True

    @functools.wraps(extract)
    def extract_feat(*args, **kwargs):
        with torch.autocast(device_type, dtype=torch.bfloat16):
            feats = extract(*args, **kwargs)
        return _to_float32(feats)

    extract_feat.bf16_autocast = True
    model.extract_feat = extract_feat
    return True


__all__ = [
    'BF16_CPU_FLAGS', 'BF16_ONEDNN_ISAS', 'PRECISIONS', 'autocast_features',
    'cpu_flags', 'cpu_info', 'native_bf16', 'resolve_precision'
]
