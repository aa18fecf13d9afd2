"""The inference precision of ``tools/test.py`` (``--precision``); the
inferencer takes it as an argument (``SpineInferencer(precision=...)``)."""
from mmengine.config import Config

from ..utils.precision import PRECISIONS


def setup_precision(cfg: Config, precision: str = 'fp32') -> Config:
    """Test ``cfg``'s model in ``precision`` (in place; returns ``cfg``).

    'bf16' and 'auto' add an ``InferencePrecisionHook`` (backbone and neck
    under bfloat16 autocast while testing; 'auto' only where the device
    computes bfloat16 natively); 'fp32' leaves the config as it is.

    Raises:
        ValueError: For a precision not in
            :data:`~mmspine.utils.precision.PRECISIONS`.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got '
                         f'{precision!r}')
    if precision != 'fp32':
        hooks = [
            h for h in cfg.get('custom_hooks', [])
            if h.get('type') != 'InferencePrecisionHook'
        ]
        hooks.append(dict(type='InferencePrecisionHook', precision=precision))
        cfg.custom_hooks = hooks
    return cfg


__all__ = ['setup_precision']
