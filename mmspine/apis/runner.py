"""Runner set-up behind ``tools/train.py`` and ``tools/test.py``: the
training and testing switches (AMP, TensorBoard, speed levers, TTA, shown
predictions), and building the Runner.

Config loading is :mod:`mmspine.apis.config`.
"""
import ast
import copy
import itertools
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..utils.precision import native_bf16

AMP_DTYPES = ('auto', 'bf16', 'fp16')
SPEED_LEVERS = ('cudnn_benchmark', 'channels_last', 'fused_optimizer',
                'pin_memory', 'compile_backbone')


def resolve_amp_dtype(amp_dtype: str = 'auto') -> str:
    """Map ``--amp-dtype`` to a torch dtype name.

    'auto' is bfloat16 where the device supports it (CUDA from Ampere on,
    and the CPU), else float16.
    """
    if amp_dtype not in AMP_DTYPES:
        raise ValueError(
            f'amp_dtype must be one of {AMP_DTYPES}, got {amp_dtype!r}')
    if amp_dtype == 'auto':
        # emulated bfloat16 (e.g. V100, T4) is slower than float16
        bf16 = not torch.cuda.is_available() or native_bf16('cuda')
        return 'bfloat16' if bf16 else 'float16'
    return dict(bf16='bfloat16', fp16='float16')[amp_dtype]


def setup_train(cfg: Config,
                amp: bool = False,
                auto_scale_lr: bool = False,
                resume: Optional[str] = None,
                amp_dtype: str = 'auto',
                tensorboard: bool = False) -> Config:
    """Apply the training switches of ``tools/train.py`` to ``cfg``.

    Args:
        amp (bool): Mixed precision through ``MixedPrecisionOptimWrapper``:
            bfloat16 without loss scaling, or float16 with a dynamic loss
            scale unless the config sets ``optim_wrapper.loss_scale``.
        auto_scale_lr (bool): Scale the LR linearly with the total batch
            against ``auto_scale_lr.base_batch_size``.
        resume (str, optional): 'auto' resumes from the newest checkpoint in
            ``work_dir``; a path resumes from that checkpoint.
        amp_dtype (str): 'auto', 'bf16' or 'fp16' (see
            :func:`resolve_amp_dtype`); only used with ``amp``.
        tensorboard (bool): Also log losses, LR and validation metrics as
            TensorBoard event files (mmengine's ``TensorboardVisBackend``,
            under ``work_dir/<timestamp>/vis_data``).
    """
    if amp:
        dtype = resolve_amp_dtype(amp_dtype)
        wrapper = cfg.optim_wrapper
        if wrapper.get('type',
                       'OptimWrapper') not in ('OptimWrapper',
                                               'AmpOptimWrapper',
                                               'MixedPrecisionOptimWrapper'):
            raise ValueError('--amp replaces optim_wrapper.type, but the '
                             f'config sets {wrapper.type!r}')
        wrapper.type = 'MixedPrecisionOptimWrapper'
        wrapper.dtype = dtype
        # bfloat16 has float32's range: scaling would only add work (a
        # config's AmpOptimWrapper loss_scale is for float16)
        if dtype == 'bfloat16':
            wrapper.loss_scale = None
        else:
            wrapper.setdefault('loss_scale', 'dynamic')
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise KeyError('--auto-scale-lr needs auto_scale_lr.'
                           'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    if tensorboard:
        add_tensorboard(cfg)
    return cfg


def add_tensorboard(cfg: Config) -> Config:
    """Add mmengine's ``TensorboardVisBackend`` to the visualizer, once."""
    visualizer = cfg.get('visualizer')
    if visualizer is None:
        raise KeyError('TensorBoard logging needs a "visualizer" in the '
                       'config (mmdet\'s default_runtime has one)')
    backends = list(visualizer.get('vis_backends') or [])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer.vis_backends = backends
    return cfg


def setup_speed(cfg: Config, levers: Sequence[str] = ()) -> Config:
    """Switch on training speed levers, each on its own.

    Args:
        levers (Sequence[str]): Any of :data:`SPEED_LEVERS`:
            'cudnn_benchmark' (cuDNN picks convolution algorithms per input
            shape), 'channels_last' (backbone and neck in NHWC, see
            ``ChannelsLastHook``), 'fused_optimizer' (the optimizer's fused
            kernel, ``fused=True``, instead of the default foreach one),
            'pin_memory' (page-locked batches from the train loader,
            copied to the device asynchronously),
            'compile_backbone' (``torch.compile`` of the backbone, see
            ``CompileModulesHook``).
    """
    unknown = set(levers) - set(SPEED_LEVERS)
    if unknown:
        raise ValueError(f'unknown speed levers {sorted(unknown)}; choose '
                         f'from {SPEED_LEVERS}')
    hooks = list(cfg.get('custom_hooks', []))
    if 'cudnn_benchmark' in levers:
        cfg.setdefault('env_cfg', ConfigDict())
        cfg.env_cfg.cudnn_benchmark = True
    if 'channels_last' in levers:
        hooks.append(dict(type='ChannelsLastHook'))
    if 'fused_optimizer' in levers:
        cfg.optim_wrapper.optimizer.fused = True
    if 'pin_memory' in levers:
        cfg.train_dataloader.pin_memory = True
        # copies from page-locked memory overlap with compute only when
        # asynchronous
        cfg.model.data_preprocessor.non_blocking = True
    if 'compile_backbone' in levers:
        hooks.append(dict(type='CompileModulesHook', modules=['backbone']))
    if hooks or 'custom_hooks' in cfg:
        cfg.custom_hooks = hooks
    return cfg


def setup_test(cfg: Config,
               checkpoint: str,
               show_dir: Optional[str] = None,
               show: bool = False,
               wait_time: float = 2.,
               tta: bool = False,
               split: str = 'test') -> Config:
    """Apply the switches of ``tools/test.py`` to ``cfg``.

    Args:
        checkpoint (str): Weights to evaluate.
        split (str): 'test', or 'val' for predictions on the validation
            split (the val dataloader's data, the test evaluator's settings
            on the val annotations), e.g. to tune the decision rule there.
        show_dir (str, optional): Save drawn predictions beside ground truth
            under ``work_dir/<timestamp>/<show_dir>``.
        show (bool): Show them in a window.
        wait_time (float): Seconds each shown image stays.
        tta (bool): Test-time augmentation with the config's ``tta_model``
            and ``tta_pipeline``.
    """
    if split not in ('test', 'val'):
        raise ValueError(f"split must be 'test' or 'val', got {split!r}")
    cfg.load_from = checkpoint
    if split == 'val':
        cfg.test_dataloader.dataset = copy.deepcopy(cfg.val_dataloader.dataset)
        val_ann = cfg.val_evaluator.get('ann_file')
        if val_ann is not None:
            cfg.test_evaluator.ann_file = val_ann
    if show or show_dir:
        hooks = cfg.default_hooks
        if 'visualization' not in hooks:
            raise KeyError('--show/--show-dir need a "visualization" hook '
                           'in default_hooks')
        hooks.visualization.draw = True
        hooks.visualization.show = show
        hooks.visualization.wait_time = wait_time
        if show_dir:
            hooks.visualization.test_out_dir = show_dir
    if tta:
        for key in ('tta_model', 'tta_pipeline'):
            if key not in cfg:
                raise KeyError(f'--tta needs "{key}" in the config')
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


_RUN_IDS = itertools.count()


class OnceFormattedConfig(Config):
    """A :class:`Config` whose ``pretty_text`` formats each statement once.

    mmengine's Runner asks for ``pretty_text`` to log the config, to dump it
    and again for every checkpoint's meta; each call runs yapf over the whole
    config (one to several seconds of CPU for a detector's). Here yapf
    formats each top-level statement once per process: a config asked
    again, or a related one (train, then test; several models), shares most
    statements. The text is the same as :class:`Config`'s.
    """

    @classmethod
    def wrap(cls, cfg: Config) -> 'OnceFormattedConfig':
        """A copy of ``cfg`` as this class."""
        if isinstance(cfg, cls):
            return cfg
        return cls(
            cfg.to_dict(),
            cfg_text=cfg.text,
            filename=cfg.filename,
            env_variables=cfg.env_variables)

    @property
    def pretty_text(self) -> str:
        # the same content, unformatted (Config's public switch), split
        # into statements
        raw = Config(
            self.to_dict(), filename=self.filename,
            format_python_code=False).pretty_text
        try:
            statements = ast.parse(raw).body
        except SyntaxError:
            return super().pretty_text  # mmengine's own error message
        lines = raw.split('\n')
        return ''.join(
            _format_statement('\n'.join(lines[s.lineno - 1:s.end_lineno]))
            for s in statements)


#: yapf's style for config text, as mmengine's ``Config.pretty_text``.
_CONFIG_STYLE = dict(
    based_on_style='pep8',
    blank_line_before_nested_class_or_def=True,
    split_before_expression_after_opening_paren=True)
_FORMATTED: Dict[str, str] = {}


def _format_statement(statement: str) -> str:
    """One top-level config statement formatted by yapf, memoised."""
    if statement not in _FORMATTED:
        from yapf.yapflib.yapf_api import FormatCode
        if len(_FORMATTED) > 4096:
            _FORMATTED.clear()
        _FORMATTED[statement] = FormatCode(
            statement, style_config=_CONFIG_STYLE)[0]
    return _FORMATTED[statement]


def build_runner(cfg: Config) -> Runner:
    """Build the default Runner, or ``cfg.runner_type`` when set.

    A distributed launch without CUDA runs on gloo: mmengine's launcher
    would call ``torch.cuda.set_device`` and give DDP a device id. The
    Runner gets a copy of the config (``cfg`` is left as it is) as
    :class:`OnceFormattedConfig`.
    """
    cfg = OnceFormattedConfig.wrap(cfg)
    if cfg.get('launcher', 'none') != 'none' and \
            not torch.cuda.is_available():
        _setup_cpu_distributed(cfg)
    if cfg.get('experiment_name') is None:
        # mmengine names the run's logger, message hub and visualizer
        # '<config>_<timestamp>' and reuses instances of the same name: a
        # second run of one config within a second in one process (tests,
        # notebooks, make demo) would log into the first run's files
        stem = osp.splitext(osp.basename(cfg.filename or 'config'))[0]
        cfg.experiment_name = f'{stem}_{os.getpid()}_{next(_RUN_IDS)}'
    if isinstance(cfg.get('visualizer'), dict):
        # mmdet's runtime names it 'visualizer', and mmengine hands an
        # existing instance of that name (with the first run's save_dir) to
        # every later run in the process; unnamed, it takes the run's name
        cfg.visualizer.pop('name', None)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def add_dump_results(runner: Runner, out: str) -> None:
    """Also dump raw predictions to ``out`` (a .pkl) during testing."""
    from mmdet.evaluation import DumpDetResults

    if not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must name a .pkl file, got {out!r}')
    runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=out))


def _setup_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group and a CPU DDP wrapper for the Runner."""
    import torch.distributed as dist

    if cfg.launcher != 'pytorch':
        raise ValueError('without CUDA only --launcher pytorch (torchrun) '
                         f'is supported, got {cfg.launcher!r}')
    if not dist.is_initialized():
        dist.init_process_group('gloo')
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    # CPU modules take no device ids
    wrapper.device_ids = None
    cfg.model_wrapper_cfg = wrapper
