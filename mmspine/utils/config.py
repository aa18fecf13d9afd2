"""Hoisted config names: the values a user changes, applied everywhere.

mmengine evaluates each ``_base_`` file on its own, so a dict a base builds
from a name at its top (``batch_size=train_batch_size``) keeps the base's
value when a child sets that name. A base therefore records, beside its
names, where each one is used::

    _hoisted_data_ = dict(
        values=dict(data_root=data_root, train_batch_size=train_batch_size),
        places='''
            train_dataloader.batch_size: train_batch_size
            val_evaluator.**.ann_file: join(data_root, test_ann_file)
        ''')

``values`` is a snapshot of the names as the base used them (the bases
write it ``{n: globals()[n] for n in (...)}``). A child does not set it, so
after merging it still holds the base's values. A base on top of a base
that rebuilds *every* place of a name updates that name's snapshot, as
``schedule_adamw_50k.py`` does for ``base_lr``; rebuilding only some of
them would make the others look explicit. ``places`` maps a path in the
config to a Python expression of the names, one ``path: expression`` line
each (or a dict). Any top-level key ``_hoisted_<group>_`` is such a record
(one per base, since mmengine refuses a key that two bases of one file both
define).

:func:`apply_hoisted` (run by :func:`mmspine.apis.load_config`) then checks
every place, in the order written, against the names' current top-level
values:

- the place equals the expression of the current names: nothing to do;
- it equals the expression of the base's snapshot: it is stale (a child or
  ``--cfg-options`` changed a name), so it is re-derived;
- else the config set the place itself. That is kept while the names it
  depends on are unchanged, and is a :class:`HoistedConfigError` when they
  changed too: the two disagree and nothing says which one is meant.

Paths are dot-separated keys and list indices, plus ``**`` (this node and
every node below it: wrappers such as ``ClassBalancedDataset``, stage lists),
``[Type]`` (the transforms of that type in a pipeline, at its top level) and
``{a,b}`` alternatives inside a segment (``{val,test}_dataloader``).
A path that matches nothing checks nothing. Expressions see the names and
``join`` (``os.path.join``), ``palette`` (:func:`palette_for`), ``len``,
``list``, ``tuple``, ``dict``, ``range``, ``min`` and ``max``.
"""
import colorsys
import copy
import os.path as osp
import re
from typing import Any, Dict, Iterator, List, Tuple

HOISTED_PREFIX = '_hoisted_'

# what the expressions may call, besides the names
_FUNCTIONS: Dict[str, Any] = {
    f.__name__: f
    for f in (len, list, tuple, dict, range, min, max)
}
_FUNCTIONS['join'] = osp.join


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


class HoistedConfigError(ValueError):
    """A config sets a place and, differently, the names it derives from."""


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


_FUNCTIONS['palette'] = palette_for


def _plain(value: Any) -> Any:
    """Dicts as dicts, tuples as lists: comparable however they were made."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_mapping(node: Any) -> bool:
    # a ConfigDict, or the Config itself at the root
    return isinstance(node, dict) or (not isinstance(node, (list, str))
                                      and hasattr(node, 'items'))


def _step(node: Any, where: str, seg: str) -> Iterator[Tuple[Any, str]]:
    """The values one path segment leads to from ``node``."""
    if seg == '**':
        yield node, where
        items = node.items() if _is_mapping(node) else (
            enumerate(node) if isinstance(node, list) else ())
        for key, child in list(items):
            if isinstance(child, (dict, list)):
                yield from _step(child, f'{where}.{key}', seg)
    elif seg.startswith('[') and seg.endswith(']'):
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, dict) and item.get('type') == seg[1:-1]:
                    yield item, f'{where}.{i}'
    elif isinstance(node, list):
        if seg.isdigit() and int(seg) < len(node):
            yield node[int(seg)], f'{where}.{seg}'
    elif _is_mapping(node) and seg in node:
        yield node[seg], f'{where}.{seg}'


def _expand(path: str) -> List[str]:
    """``'{val,test}_dataloader.x'`` -> ``['val_dataloader.x', ...]``."""
    match = re.search(r'\{([^{}]*)\}', path)
    if match is None:
        return [path]
    return [
        p for alt in match.group(1).split(',')
        for p in _expand(path[:match.start()] + alt + path[match.end():])
    ]


def find_places(root: Any, path: str) -> List[Tuple[Any, Any, str]]:
    """``(container, key, concrete path)`` of every match of ``path``.

    The last segment is a key or a list index; only what exists matches.
    """
    places, seen = [], set()
    for one_path in _expand(path):
        *steps, last = one_path.split('.')
        nodes = [(root, '')]
        for seg in steps:
            nodes = [found for node in nodes for found in _step(*node, seg)]
        for node, where in nodes:
            if isinstance(node, list) and last.isdigit():
                key = int(last)
                ok = key < len(node)
            else:
                key = last
                ok = _is_mapping(node) and last in node
            if ok and (id(node), key) not in seen:
                seen.add((id(node), key))
                places.append((node, key, f'{where}.{key}'.lstrip('.')))
    return places


def parse_places(places: Any) -> Dict[str, str]:
    """``places`` of a record: a dict, or a table of ``path: expression``
    lines (``#`` comments; a line ending in ``:`` takes its expression from
    the next line)."""
    if not isinstance(places, str):
        return dict(places)
    table, pending = {}, None
    for number, line in enumerate(places.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if pending is not None:
            table[pending], pending = line, None
        elif line.endswith(':'):
            pending = line[:-1].strip()
        elif ': ' in line:
            path, expr = line.split(': ', 1)
            table[path.strip()] = expr.strip()
        else:
            raise HoistedConfigError(
                f'places line {number}: {line!r} is not "path: expression"')
    if pending is not None:
        raise HoistedConfigError(f'places: {pending!r} has no expression')
    return table


def hoisted_records(cfg: Any) -> Dict[str, dict]:
    """The ``_hoisted_<group>_`` records of a loaded config, by key."""
    return {
        k: v
        for k, v in cfg.items()
        if k.startswith(HOISTED_PREFIX) and k.endswith('_')
    }


def apply_hoisted(cfg: Any) -> List[str]:
    """Apply the hoisted names of ``cfg`` where its bases used them.

    Args:
        cfg (Config): A loaded config, ``--cfg-options`` merged.

    Returns:
        list[str]: ``'path = value'`` for every place re-derived.

    Raises:
        HoistedConfigError: A place set explicitly while a name it is
            derived from changed as well.
    """
    changed = []
    for group, record in hoisted_records(cfg).items():
        snapshot = dict(record.get('values', {}))
        missing = [name for name in snapshot if name not in cfg]
        if missing:
            raise HoistedConfigError(
                f'{group} names {missing} but the config lacks them')
        for path, expr in parse_places(record.get('places', {})).items():
            # read again for each place: an earlier place may be a name
            # (train_scales) that later ones use
            names = {name: cfg[name] for name in snapshot}
            code = compile(expr, f'<{group}: {path}>', 'eval')
            # names as globals: comprehensions in expressions see them;
            # copies, so that an expression cannot change the config
            new = eval(code, {**_FUNCTIONS, **copy.deepcopy(names)})
            old = eval(code, {**_FUNCTIONS, **copy.deepcopy(snapshot)})
            for container, key, where in find_places(cfg, path):
                value = _plain(container[key])
                if value == _plain(new):
                    continue
                if value == _plain(old):
                    container[key] = copy.deepcopy(new)
                    changed.append(f'{where} = {new!r}')
                    continue
                if _plain(new) == _plain(old):
                    continue  # set by the config; its names are unchanged
                used = ', '.join(n for n in code.co_names if n in names)
                raise HoistedConfigError(
                    f'{where} is set to {container[key]!r}, but {used} '
                    f'changed as well: {expr} = {new!r} now (the base had '
                    f'{old!r}). Set {where}={new!r} (or remove {where} from '
                    f'the config) to follow {used}, or keep {used} at the '
                    'base value.')
        # settled: the names as they are now become the snapshot, so that
        # the config the Runner dumps loads back as it is (its explicit
        # places kept), and a child of it re-derives what follows a name
        record['values'] = {n: copy.deepcopy(cfg[n]) for n in snapshot}
    return changed
