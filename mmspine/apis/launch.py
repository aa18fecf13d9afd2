"""Config set-up behind ``tools/train.py`` and ``tools/test.py``.

The tools parse arguments; everything they do with them lives here, so that
tests and notebooks can drive training and testing the same way.
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """Load a config, merge ``--cfg-options`` and settle ``work_dir``.

    ``work_dir`` comes from the argument, else the config, else
    ``work_dirs/<config name>``.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def setup_train(cfg: Config,
                amp: bool = False,
                auto_scale_lr: bool = False,
                resume: Optional[str] = None,
                tensorboard: bool = False) -> Config:
    """Apply the training switches of ``tools/train.py`` to ``cfg``.

    Args:
        amp (bool): Mixed precision through ``AmpOptimWrapper`` with a
            dynamic loss scale.
        auto_scale_lr (bool): Scale the LR linearly with the total batch
            against ``auto_scale_lr.base_batch_size``.
        resume (str, optional): 'auto' resumes from the newest checkpoint in
            ``work_dir``; a path resumes from that checkpoint.
        tensorboard (bool): Also log losses, LR and validation metrics as
            TensorBoard event files (mmengine's ``TensorboardVisBackend``,
            under ``work_dir/<timestamp>/vis_data``).
    """
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
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


def build_runner(cfg: Config) -> Runner:
    """Build the default Runner, or ``cfg.runner_type`` when set."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def add_dump_results(runner: Runner, out: str) -> None:
    """Also dump raw predictions to ``out`` (a .pkl) during testing."""
    from mmdet.evaluation import DumpDetResults

    if not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must name a .pkl file, got {out!r}')
    runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=out))
