"""Config set-up behind ``tools/train.py`` and ``tools/test.py``.

The tools parse arguments; everything they do with them lives here, so that
tests and notebooks can drive training and testing the same way.
"""
import argparse
import ast
import copy
import itertools
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..utils.config import apply_hoisted, hoisted_records
from ..utils.precision import native_bf16


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--data-root`` and ``--cfg-options``, for every tool that loads
    configs (train, test, infer)."""
    parser.add_argument(
        '--data-root',
        help='data folder (the converters\' layout) for every dataset and '
        'evaluator')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (a.b=1, a.c=[1,2]); '
        'hoisted names (train_batch_size=2) apply wherever they are used')


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """The arguments every config-driven tool takes: ``--work-dir``,
    ``--data-root``, ``--cfg-options``, ``--launcher``, ``--local-rank``.

    :func:`parse_config_args` adds them, parses and sets the local rank.
    """
    parser.add_argument('--work-dir', help='where to save logs and outputs')
    add_config_options(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def set_local_rank(args: argparse.Namespace) -> None:
    """Export ``--local-rank`` for torch.distributed, unless already set."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))


def parse_config_args(parser: argparse.ArgumentParser,
                      argv: Optional[Sequence[str]] = None
                      ) -> argparse.Namespace:
    """Add :func:`add_config_args`'s arguments, parse ``argv`` and export
    the local rank: the end of train's and test's ``parse_args``."""
    add_config_args(parser)
    args = parser.parse_args(argv)
    set_local_rank(args)
    return args


def load_config_of(args: argparse.Namespace) -> Config:
    """Register mmspine's modules and :func:`load_config` the config that
    ``args`` (of :func:`parse_config_args`) name."""
    from ..utils import register_all_modules
    register_all_modules(init_default_scope=False)
    return load_config(args.config, args.cfg_options, args.work_dir,
                       args.launcher, args.data_root)


def set_data_root(cfg: Config,
                  data_root: Optional[str],
                  name: str = 'the config') -> None:
    """Point every dataset and evaluator of ``cfg`` at ``data_root`` (when
    given) and apply the hoisted names (see :func:`load_config`)."""
    if data_root is not None:
        if 'data_root' not in cfg:
            raise KeyError(f'{name} names no data_root to set')
        cfg.data_root = osp.join(data_root, '')
    apply_hoisted(cfg)


def configure(cfg: Config,
              cfg_options: Optional[dict] = None,
              data_root: Optional[str] = None) -> Config:
    """Apply ``cfg_options`` and ``data_root`` to a loaded config as
    :func:`load_config` does (in place; returns ``cfg``)."""
    names = {n for r in hoisted_records(cfg).values() for n in r['values']}
    # Options that set a hoisted name act like a child config; those that
    # set one key directly are applied last and win, as in mmengine.
    by_name, direct = {}, {}
    for key, value in (cfg_options or {}).items():
        (by_name if key.split('.')[0] in names else direct)[key] = value
    if by_name:
        cfg.merge_from_dict(by_name)
    set_data_root(cfg, data_root, cfg.filename or 'the config')
    if direct:
        cfg.merge_from_dict(direct)
    return cfg


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none',
                data_root: Optional[str] = None) -> Config:
    """Load a config the way the tools do; use it instead of
    ``Config.fromfile``.

    Applies the hoisted names (``data_root``, ``train_batch_size``,
    ``test_scale``, ``metainfo``, ...), the config's and those set by
    ``cfg_options`` or ``data_root``, wherever the bases used them, or
    raises :class:`~mmspine.utils.HoistedConfigError` naming a key of the
    config that contradicts them (see :mod:`mmspine.utils.config`). Options
    that set other keys (``train_dataloader.batch_size=8``) are merged after
    that and win. ``work_dir`` comes from the argument, else the config, else
    ``work_dirs/<config name>``.

    Args:
        config (str): Config file.
        cfg_options (dict, optional): ``key=value`` overrides; hoisted
            names (``data_root=...``) are applied like a child's.
        work_dir (str, optional): Where logs and checkpoints go.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'.
        data_root (str, optional): Points every dataset and evaluator at
            this folder (``--data-root``).
    """
    cfg = configure(Config.fromfile(config), cfg_options, data_root)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


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
    cfg.custom_hooks = hooks
    return cfg


def setup_test(cfg: Config,
               checkpoint: str,
               show_dir: Optional[str] = None,
               show: bool = False,
               wait_time: float = 2.,
               tta: bool = False) -> Config:
    """Apply the switches of ``tools/test.py`` to ``cfg``.

    Args:
        checkpoint (str): Weights to evaluate.
        show_dir (str, optional): Save drawn predictions beside ground truth
            under ``work_dir/<timestamp>/<show_dir>``.
        show (bool): Show them in a window.
        wait_time (float): Seconds each shown image stays.
        tta (bool): Test-time augmentation with the config's ``tta_model``
            and ``tta_pipeline``.
    """
    cfg.load_from = checkpoint
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
        """The same config (shared content) as this class."""
        if isinstance(cfg, cls):
            return cfg
        other = cls.__new__(cls)
        other.__dict__.update(cfg.__dict__)
        return other

    @property
    def pretty_text(self) -> str:
        if not self._format_python_code:
            return super().pretty_text
        object.__setattr__(self, '_format_python_code', False)
        try:
            raw = super().pretty_text
        finally:
            object.__setattr__(self, '_format_python_code', True)
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
    cfg = OnceFormattedConfig.wrap(copy.deepcopy(cfg))
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
