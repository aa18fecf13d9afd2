import math
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmdet.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper
from torch import nn


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(OptimWrapper):
    """Autocast training in bfloat16 or float16, on CUDA or on the CPU.

    Differs from mmengine's ``AmpOptimWrapper`` in three ways:

    - bfloat16 has float32's exponent range, so it needs no loss scale:
      with ``loss_scale=None`` no ``GradScaler`` runs (no unscaling, no
      found-inf check). float16 takes ``'dynamic'``, a fixed float or a dict
      of ``torch.amp.GradScaler`` arguments, as mmengine's does.
    - ``train/grad_norm`` is logged only for steps the optimizer took. A
      dynamic scale starts at 2**16 and halves on each overflow, so the
      first few float16 steps overflow and are skipped by design; mmengine
      logs their infinite norm, and its ``LogProcessor`` averages
      ``grad_norm`` over ``window_size`` (50) iterations, so one early
      overflow shows as a non-finite grad norm on every log line of a short
      run. Here such steps count in ``train/skipped_steps`` instead, and
      ``train/grad_scale`` logs the scale.
    - Without a scaler, a non-finite gradient also skips the step (and is
      counted) instead of writing NaN into the weights.

    Args:
        optimizer (Optimizer): The wrapped optimizer.
        dtype (str): 'bfloat16' or 'float16'.
        loss_scale (str | float | dict, optional): None for no scaling,
            'dynamic', a fixed scale, or ``GradScaler`` keyword arguments.
        device_type (str, optional): Autocast device; defaults to 'cuda'
            when available, else 'cpu'.
        **kwargs: ``OptimWrapper`` arguments (``clip_grad``, ...).
    """

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 dtype: str = 'bfloat16',
                 loss_scale: Union[None, str, float, dict] = None,
                 device_type: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(optimizer=optimizer, **kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(
                f'dtype must be "bfloat16" or "float16", got {dtype!r}')
        self.dtype = getattr(torch, dtype)
        self.device_type = device_type or ('cuda' if torch.cuda.is_available()
                                           else 'cpu')
        self._fixed_scale = None
        if loss_scale is None:
            self.loss_scaler = None
        elif loss_scale == 'dynamic':
            self.loss_scaler = torch.amp.GradScaler(self.device_type)
        elif isinstance(loss_scale, (int, float)):
            self._fixed_scale = float(loss_scale)
            self.loss_scaler = torch.amp.GradScaler(
                self.device_type, init_scale=self._fixed_scale)
        elif isinstance(loss_scale, dict):
            self.loss_scaler = torch.amp.GradScaler(self.device_type,
                                                    **loss_scale)
        else:
            raise TypeError('loss_scale must be None, "dynamic", a number or '
                            f'a dict, got {loss_scale!r}')
        self.skipped_steps = 0

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        # OptimWrapper.backward runs it and counts the iteration
        super().backward(loss, **kwargs)

    def step(self, **kwargs) -> None:
        """Unscale, clip and log the gradient norm, then step."""
        scaler = self.loss_scaler
        if scaler is not None:
            scaler.unscale_(self.optimizer)
        # checked with or without clipping: a config without clip_grad
        # must not write a NaN step either
        finite = self._clip_and_log()
        if scaler is not None:
            # the scaler skips the step itself when it found inf/NaN
            scaler.step(self.optimizer, **kwargs)
            scaler.update(self._fixed_scale)
            self.message_hub.update_scalar('train/grad_scale',
                                           scaler.get_scale())
        elif finite:
            self.optimizer.step(**kwargs)
        self.message_hub.update_scalar('train/skipped_steps',
                                       self.skipped_steps)

    def _clip_and_log(self) -> bool:
        """Clip gradients if configured; log the norm if finite, else count
        a skip."""
        params = [
            p for group in self.optimizer.param_groups for p in group['params']
            if p.requires_grad and p.grad is not None
        ]
        if not params:
            return True
        if self.clip_grad_kwargs and \
                self.clip_func is torch.nn.utils.clip_grad_norm_:
            norm = self.clip_func(params, **self.clip_grad_kwargs)
        else:
            # value clipping would hide an inf: take the norm before it
            norm = torch.nn.utils.get_total_norm([p.grad for p in params])
            if self.clip_grad_kwargs:
                self.clip_func(params, **self.clip_grad_kwargs)
        # one host sync per step, as mmengine's own logging of the norm
        norm = float(norm)
        if math.isfinite(norm):
            # a norm whichever clipping ran (mmengine's grad_name says
            # 'grad_value' under value clipping)
            self.message_hub.update_scalar('train/grad_norm', norm)
            return True
        self.skipped_steps += 1
        return False

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-sync context of ``OptimWrapper`` under autocast."""
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=self.dtype):
            yield
