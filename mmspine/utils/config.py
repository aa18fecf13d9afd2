"""Checks that a config means what it says, under any loader.

mmengine evaluates each config file on its own: a name at the top of a base
(``data_root``, ``train_pipeline``) is read where that base builds its
dicts, so a child that sets the same name changes nothing unless it also
restates the dicts that use it, as mmdet's and mmyolo's configs do. The
shipped configs restate what they change; :func:`check_config` finds a
config that does not, and says what to write instead. It runs when
mmspine's tools load a config (:func:`mmspine.apis.load_config`) and, for
mmengine's ``Runner.from_cfg`` and mmdet's own tools, from
``ConfigCheckHook`` before the first iteration.

The rules:

- a top-level name that the Runner, mmdet's tools or mmspine's read is
  checked against where it is used: ``data_root``, ``metainfo``,
  ``train_pipeline``, ``test_pipeline`` and ``tta_pipeline`` must match
  the dataloaders (a loader over several datasets may differ),
  ``preprocess`` the ``LoadSpineDICOM`` transforms;
- when the config or any dataloader names classes, every dataloader names
  the same ones, and every head's ``num_classes`` in a detector counts
  them;
- each evaluator's annotation file is the one its dataloader reads;
- names that look like settings (:data:`SETTING_PLACES`:
  ``train_batch_size``, ``num_classes``, ``max_iters``, ...) must equal
  the place they name. Other top-level names are helper variables, as in
  mmdet's own configs, and are left alone.
"""
import colorsys
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Tuple

#: Top-level keys that mmengine's Runner reads (``Runner.from_cfg``).
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'runner_type', 'find_unused_parameters', 'cfg'
})
#: Top-level keys that mmengine, mmdet's tools or mmspine's read besides.
TOOL_KEYS = frozenset({
    'custom_imports', 'tta_model', 'tta_pipeline', 'train_pipeline',
    'test_pipeline', 'backend_args', 'dataset_type', 'data_root', 'metainfo',
    'preprocess', 'dist_params'
})

#: Names that look like settings: where each one must be written instead.
#: A config may keep such a name only if it equals every place listed.
SETTING_PLACES: Dict[str, Tuple[str, ...]] = {
    'train_batch_size': ('train_dataloader.batch_size', ),
    'batch_size': ('train_dataloader.batch_size', ),
    'test_batch_size':
    ('val_dataloader.batch_size', 'test_dataloader.batch_size'),
    'num_workers':
    ('train_dataloader.num_workers', 'val_dataloader.num_workers',
     'test_dataloader.num_workers'),
    'max_iters': ('train_cfg.max_iters', ),
    'max_epochs': ('train_cfg.max_epochs', ),
    'val_interval': ('train_cfg.val_interval', ),
    'base_lr': ('optim_wrapper.optimizer.lr', ),
    'lr': ('optim_wrapper.optimizer.lr', ),
    'weight_decay': ('optim_wrapper.optimizer.weight_decay', ),
    'lr_steps': ('param_scheduler.*.milestones', ),
    'log_interval': ('default_hooks.logger.interval', ),
    'checkpoint_interval': ('default_hooks.checkpoint.interval', ),
    'save_best': ('default_hooks.checkpoint.save_best', ),
    'num_classes': ('model.**.num_classes', ),
    'classes': ('train_dataloader.**.metainfo.classes',
                'val_dataloader.**.metainfo.classes',
                'test_dataloader.**.metainfo.classes'),
    'depth': ('model.backbone.depth', ),
    'densenet_depth': ('model.backbone.depth', ),
    'repeat_factor_thr': ('train_dataloader.dataset.oversample_thr', ),
    'oversample_thr': ('train_dataloader.dataset.oversample_thr', ),
    'filter_empty_train': ('train_dataloader.**.filter_cfg.filter_empty_gt', ),
    'autoaugment_policy': ('train_dataloader.**.pipeline.[DetAutoAugment]'
                           '.policy', ),
    'train_scales': ('train_dataloader.**.pipeline.[RandomChoiceResize]'
                     '.scales', ),
    'test_scale': ('val_dataloader.**.pipeline.[Resize].scale',
                   'test_dataloader.**.pipeline.[Resize].scale'),
}


class ConfigSettingError(ValueError):
    """A config sets something that the config it builds does not use."""


def config_file(relative: str) -> str:
    """Path of a shipped config, e.g. ``'spine/sparse_rcnn_r50.py'``.

    The repository's ``configs/`` in a checkout or an editable install, else
    the copy a non-editable install ships in ``mmspine/.mim/configs``.
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for root in (osp.join(osp.dirname(package),
                          'configs'), osp.join(package, '.mim', 'configs')):
        path = osp.join(root, relative)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'no config {relative!r} in the repository '
                            'or in the installed package')


def palette_for(metainfo: dict) -> List[Tuple[int, int, int]]:
    """``metainfo['palette']`` if it has one colour per class, else a new one.

    The generated colours are evenly spaced hues, so that a data set with
    other classes than the base's still draws each class distinctly.
    """
    classes = metainfo['classes']
    palette = metainfo.get('palette')
    if palette is not None and len(palette) == len(classes):
        return [tuple(c) for c in palette]
    colours = []
    for i in range(len(classes)):
        rgb = colorsys.hsv_to_rgb(i / max(len(classes), 1), 0.8, 0.95)
        colours.append(tuple(int(round(255 * c)) for c in rgb))
    return colours


def _plain(value: Any) -> Any:
    """Dicts as dicts, tuples as lists: comparable however they were made."""
    if hasattr(value, 'items'):
        # mmengine marks dicts read from an 'mmdet::' base with their scope
        return {k: _plain(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _children(node: Any) -> Iterator[Tuple[str, Any]]:
    if hasattr(node, 'items'):
        yield from ((str(k), v) for k, v in node.items())
    elif isinstance(node, (list, tuple)):
        yield from ((str(i), v) for i, v in enumerate(node))


def find(root: Any, path: str) -> List[Tuple[str, Any]]:
    """``(concrete path, value)`` of every match of a dotted ``path``.

    Segments are keys or list indices, ``*`` (any one child), ``**`` (this
    node and any depth below it) and ``[Type]`` (the items of a list whose
    ``type`` is ``Type``).
    """
    nodes = [('', root)]
    for seg in path.split('.'):
        found = []
        for where, node in nodes:
            if seg == '**':
                stack = [(where, node)]
                while stack:
                    here, item = stack.pop()
                    found.append((here, item))
                    # reversed: popped in document order
                    stack.extend(
                        reversed([
                            (f'{here}.{k}'.lstrip('.'), v)
                            for k, v in _children(item)
                            if isinstance(v, (list,
                                              tuple)) or hasattr(v, 'items')
                        ]))
            elif seg == '*':
                found.extend((f'{where}.{k}'.lstrip('.'), v)
                             for k, v in _children(node))
            elif seg.startswith('[') and seg.endswith(']'):
                found.extend(
                    (f'{where}.{k}'.lstrip('.'), v) for k, v in _children(node)
                    if hasattr(v, 'get') and v.get('type') == seg[1:-1])
            else:
                found.extend((f'{where}.{k}'.lstrip('.'), v)
                             for k, v in _children(node) if k == seg)
        nodes = found
    return nodes


def loader_datasets(loader: Any) -> List[Any]:
    """The innermost dataset dicts of a dataloader (through wrappers)."""
    if not hasattr(loader, 'get') or loader.get('dataset') is None:
        return []
    datasets, stack = [], [loader['dataset']]
    while stack:
        ds = stack.pop()
        inner = ds.get('dataset') if hasattr(ds, 'get') else None
        if inner is None and hasattr(ds, 'get'):
            inner = ds.get('datasets')
        if inner is None:
            datasets.append(ds)
        else:
            stack.extend(
                inner if isinstance(inner, (list, tuple)) else [inner])
    return datasets


def _restate(key: str, path: str) -> str:
    """How a child writes ``path`` from a top-level name: a ``dict(...)``
    chain while the path holds only keys, else the place to restate."""
    head, *rest = path.split('.')
    if any(seg.isdigit() or not seg.isidentifier() for seg in rest):
        return (f'{path} = {key} (restate the list or dict {head} with '
                'it; a list is replaced whole)')
    text = key
    for seg in reversed(rest):
        text = f'dict({seg}={text})'
    return f'{head} = {text}'


class _Problems:
    """Collects every problem of a config, so that one error lists all."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: List[str] = []

    def add(self, text: str) -> None:
        self.lines.append(text)

    def raise_any(self) -> None:
        if self.lines:
            raise ConfigSettingError(
                f'{self.name} does not mean what it says (mmengine gives '
                'each config file its own names, so a child that sets a '
                'name must restate the dicts that use it):\n- ' +
                '\n- '.join(self.lines))


def _single(loader: Any) -> List[Any]:
    """The dataset of a dataloader over one dataset (through wrappers);
    empty for several: each may have its own root and pipeline."""
    datasets = loader_datasets(loader)
    return datasets if len(datasets) == 1 else []


def _check_pipelines(cfg: Any, out: _Problems) -> None:
    pipes = dict(
        train_pipeline=('train_dataloader', ),
        test_pipeline=('val_dataloader', 'test_dataloader'))
    model = cfg.get('model')
    tta = hasattr(model, 'get') and str(model.get(
        'type', '')).endswith('TTAModel') and 'tta_pipeline' in cfg
    for key, loaders in pipes.items():
        if key not in cfg:
            continue
        for loader in loaders:
            # tools/test.py --tta tests with tta_pipeline
            expected = cfg['tta_pipeline'] if tta and \
                loader == 'test_dataloader' else cfg[key]
            for ds in _single(cfg.get(loader)):
                if 'pipeline' in ds and \
                        _plain(ds['pipeline']) != _plain(expected):
                    out.add(f'{key} differs from the pipeline of '
                            f'{loader}: write {loader} = dict(dataset='
                            f'dict(..., pipeline={key})) as well (through '
                            'any dataset wrapper)')
    tta_steps, test = cfg.get('tta_pipeline'), cfg.get('test_pipeline')
    if not tta_steps or not test:
        return
    # the TTA pipeline's own transforms before TestTimeAug: each must be
    # the test pipeline's transform of that type (a stale Resize scale
    # once gave --tta a different input size than the test)
    by_type = {t.get('type'): _plain(t) for t in test if hasattr(t, 'get')}
    for step in tta_steps:
        kind = step.get('type') if hasattr(step, 'get') else None
        if kind == 'TestTimeAug':
            break
        if kind in by_type and _plain(step) != by_type[kind]:
            out.add(f'tta_pipeline\'s {kind} differs from test_pipeline\'s:'
                    ' restate tta_pipeline from test_pipeline')


def _classes_of(ds: Any) -> Optional[tuple]:
    meta = ds.get('metainfo') if hasattr(ds, 'get') else None
    if hasattr(meta, 'get') and meta.get('classes') is not None:
        return tuple(meta['classes'])
    return None


def _check_data(cfg: Any, out: _Problems) -> None:
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    named = {}
    for loader in loaders:
        for ds in _single(cfg.get(loader)):
            if 'data_root' in cfg and 'data_root' in ds and \
                    ds['data_root'] != cfg['data_root']:
                out.add(f'data_root is {cfg["data_root"]!r} but {loader} '
                        f'reads {ds["data_root"]!r}: restate data_root in '
                        'every dataloader\'s dataset and evaluator (or use '
                        '--data-root)')
        # every dataset of the loader, wrappers of several included
        named[loader] = [
            _classes_of(ds) for ds in loader_datasets(cfg.get(loader))
        ]
    top = _classes_of(cfg)
    given = {c for found in named.values() for c in found if c is not None}
    if top is not None:
        given.add(top)
    if given:
        want = top if top is not None else sorted(given)[0]
        for loader, found in named.items():
            for classes in found:
                if classes is None:
                    out.add(f'{loader}\'s dataset names no classes (it '
                            f'keeps its dataset type\'s) while the config '
                            f'names {want}: write metainfo=metainfo into '
                            'every dataloader\'s dataset')
                elif classes != want:
                    out.add(f'{loader} has the classes {classes} but the '
                            f'config names {want}: write metainfo=metainfo'
                            ' into every dataloader\'s dataset')
        if cfg.get('model') is not None and not _is_classifier(cfg):
            for where, value in find(cfg['model'], '**.num_classes'):
                if value != len(want):
                    out.add(f'model.{where} is {value} but the data has '
                            f'{len(want)} classes: set num_classes in every '
                            'head (all stages of a cascade)')
    for split in ('val', 'test'):
        evaluator = cfg.get(f'{split}_evaluator')
        datasets = _single(cfg.get(f'{split}_dataloader'))
        if not hasattr(evaluator, 'get') or not datasets:
            continue
        ds, ann = datasets[0], evaluator.get('ann_file')
        if ann is None or 'ann_file' not in ds:
            continue
        expected = osp.join(ds.get('data_root') or '', ds['ann_file'])
        if osp.normpath(ann) != osp.normpath(expected):
            out.add(f'{split}_evaluator.ann_file is {ann!r} but '
                    f'{split}_dataloader reads {expected!r}: they must be '
                    'the same annotations')


def _is_classifier(cfg: Any) -> bool:
    model = cfg.get('model')
    return hasattr(model, 'get') and 'head' in model and \
        'bbox_head' not in model and 'roi_head' not in model


def _check_preprocess(cfg: Any, out: _Problems) -> None:
    pre = cfg.get('preprocess')
    if not hasattr(pre, 'get'):
        return
    for where, load in find(cfg, '**.[LoadSpineDICOM]'):
        for key in ('mode', 'max_size'):
            if key in pre and load.get(key, pre[key]) != pre[key]:
                out.add(f'preprocess.{key} is {pre[key]!r} but {where}.'
                        f'{key} is {load.get(key)!r}: tools/infer.py '
                        'converts DICOMs by preprocess, training by the '
                        'pipeline; make them equal')


def _check_names(cfg: Any, out: _Problems) -> None:
    for key in cfg.keys():
        if key in RUNNER_KEYS or key in TOOL_KEYS or key.startswith('_'):
            continue
        value = cfg[key]
        if key == 'efficientdet':
            archs = [v for _, v in find(cfg, 'model.backbone.arch')]
            if archs != [f'b{str(value)[1:]}']:
                out.add(f'efficientdet = {value!r} but the backbone is '
                        f'{archs}: start from configs/spine/'
                        f'efficientdet_{value}.py instead')
            continue
        if key not in SETTING_PLACES:
            continue  # a helper variable of the file, as mmdet's configs
        places = [(p, v) for path in SETTING_PLACES[key]
                  for p, v in find(cfg, path)]
        wrong = [(p, v) for p, v in places if _plain(v) != _plain(value)]
        if not places:
            out.add(f'{key} = {value!r} is not read by anything: nothing in '
                    f'the config is at {" or ".join(SETTING_PLACES[key])}; '
                    'write the value where the config uses it')
        for where, have in wrong:
            out.add(f'{key} = {value!r} is not read by anything: write it '
                    f'where it is used, e.g. {_restate(repr(value), where)}'
                    f' (it is {have!r})')


def check_config(cfg: Any, name: Optional[str] = None) -> None:
    """Raise :class:`ConfigSettingError` if ``cfg`` says something that the
    Runner would not do (see the module's rules); one error lists every
    problem, each with what to write instead.

    Args:
        cfg (Config): A loaded config (``Config.fromfile``), options merged.
        name (str, optional): How to call it in the message; its file name
            by default.
    """
    out = _Problems(name or getattr(cfg, 'filename', None) or 'the config')
    _check_names(cfg, out)
    _check_pipelines(cfg, out)
    _check_data(cfg, out)
    _check_preprocess(cfg, out)
    out.raise_any()
