import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from ...utils.precision import PRECISIONS, autocast_features, resolve_precision


@HOOKS.register_module()
class InferencePrecisionHook(Hook):
    """Test in bfloat16: backbone and neck under autocast from
    ``before_test`` on, as ``SpineInferencer(precision=...)`` runs them.

    Only testing: training and its validation keep the precision of the
    optimizer wrapper. The features return in float32, so the heads and
    mmcv's RoIAlign and NMS run as in float32 (see
    :func:`mmspine.utils.precision.autocast_features`).

    Args:
        precision (str): 'fp32', 'bf16' or 'auto' (bf16 where the model's
            device computes it natively).
    """

    priority = 'LOW'

    def __init__(self, precision: str = 'auto') -> None:
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, got '
                             f'{precision!r}')
        self.precision = precision
        #: What ``precision`` resolved to, once testing began.
        self.resolved = None

    def before_test(self, runner) -> None:
        param = next(runner.model.parameters(), None)
        device = param.device if param is not None else torch.device('cpu')
        self.resolved = resolve_precision(self.precision, device)
        if self.resolved == 'bf16' and not autocast_features(
                runner.model, device.type):
            raise AttributeError(f'{type(self).__name__}: '
                                 f'{type(runner.model).__name__} has no '
                                 'extract_feat to run in bfloat16')
        runner.logger.info(f'testing in {self.resolved} (precision '
                           f'{self.precision!r}, device {device})')
