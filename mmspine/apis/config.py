"""Config loading behind ``tools/train.py``, ``tools/test.py`` and
``tools/infer.py``: mmengine's ``Config.fromfile``, the tools' options, and
:func:`~mmspine.utils.check_config`; nothing else, so that a config means
the same here as under mmengine's and mmdet's own tools.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config

from ..cli import add_config_options
from ..utils.config import check_config, loader_datasets


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
    return load_config(
        args.config,
        cfg_options=args.cfg_options,
        work_dir=args.work_dir,
        launcher=args.launcher,
        data_root=args.data_root)


def set_data_root(cfg: Config,
                  data_root: Optional[str],
                  name: str = 'the config') -> None:
    """Point every dataset and evaluator of ``cfg`` at ``data_root``.

    Each dataset's ``data_root`` is replaced, and an evaluator's
    ``ann_file`` under its dataloader's old root moves with it. Nothing
    happens when ``data_root`` is None.
    """
    if data_root is None:
        return
    data_root = osp.join(data_root, '')
    touched = False
    for split in ('train', 'val', 'test'):
        evaluators = cfg.get(f'{split}_evaluator')
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for ds in loader_datasets(cfg.get(f'{split}_dataloader')):
            old = ds.get('data_root')
            if old is None:
                continue
            for evaluator in evaluators or []:
                ann = evaluator.get('ann_file')
                if ann and osp.normpath(ann).startswith(
                        osp.normpath(old) + os.sep):
                    evaluator['ann_file'] = osp.join(data_root,
                                                     osp.relpath(ann, old))
            ds['data_root'] = data_root
            touched = True
    if not touched:
        raise KeyError(f'{name} has no dataset with a data_root to set')
    if 'data_root' in cfg:
        cfg.data_root = data_root


def configure(cfg: Config,
              cfg_options: Optional[dict] = None,
              data_root: Optional[str] = None) -> Config:
    """Merge ``cfg_options`` into a loaded config, as mmengine does, point it
    at ``data_root`` and check it (in place; returns ``cfg``)."""
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    set_data_root(cfg, data_root, cfg.filename or 'the config')
    check_config(cfg)
    return cfg


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none',
                data_root: Optional[str] = None) -> Config:
    """Load a config the way the tools do.

    ``Config.fromfile``, then ``cfg_options`` merged as mmengine merges
    ``--cfg-options``, ``data_root`` applied to every dataset and evaluator,
    and :func:`~mmspine.utils.check_config`: a config that sets a name
    nothing reads (``train_batch_size = 2`` without restating
    ``train_dataloader``) fails here, naming what to write. ``work_dir``
    comes from the argument, else the config, else ``work_dirs/<config
    name>``, as in mmdet's tools.

    Args:
        config (str): Config file.
        cfg_options (dict, optional): ``key=value`` overrides.
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
