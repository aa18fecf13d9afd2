"""Let torch's ``weights_only`` loader read mmengine checkpoints.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and refuses
any global it does not know. mmengine 0.10 pickles its message hub into
every checkpoint: ``HistoryBuffer`` objects of logged scalars holding numpy
arrays, and the buffer's statistics functions, pickled as
``getattr(HistoryBuffer, 'mean')``. So ``--resume`` and ``load_from`` fail
with "Unsupported global". Rather than turning ``weights_only`` off, which
lets a checkpoint run arbitrary code, we allow-list exactly those types and
stand in for ``builtins.getattr`` with a function that only looks up
HistoryBuffer's statistics methods.
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

# numpy 2 moved its pickling helpers from numpy.core to numpy._core; a
# checkpoint names whichever its writer had, so both names are allowed.
try:
    from numpy._core import multiarray as _multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray as _multiarray

# Safe dtype classes of numpy.dtypes (numpy >= 1.25 pickles dtypes as
# instances of these); object and void dtypes are left out on purpose.
_DTYPE_NAMES = ('Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16',
                'UInt32', 'UInt64', 'Float16', 'Float32', 'Float64', 'Byte',
                'UByte', 'Short', 'UShort', 'Int', 'UInt', 'Long', 'ULong',
                'LongLong', 'ULongLong', 'LongDouble', 'Str')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to HistoryBuffer's statistics methods."""
    is_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    # mmengine's own statistics; it has no public list of registered ones
    if is_buffer and name in ('min', 'max', 'mean', 'current'):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({type(obj).__name__}, {name!r}) while loading a '
        'checkpoint: only HistoryBuffer statistics methods are allowed')


def mmengine_checkpoint_types() -> List[Any]:
    """Safe globals for mmengine 0.10 checkpoints, in torch's format."""
    types: List[Any] = [HistoryBuffer, np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        types += [(_multiarray._reconstruct, f'{module}._reconstruct'),
                  (_multiarray.scalar, f'{module}.scalar')]
    types += [
        getattr(np.dtypes, f'{name}DType') for name in _DTYPE_NAMES
        if hasattr(np.dtypes, f'{name}DType')
    ]
    for name in ('builtins.getattr', '__builtin__.getattr'):
        types.append((_history_buffer_getattr, name))
    return types


def allow_mmengine_checkpoint_types() -> None:
    """Add :func:`mmengine_checkpoint_types` to torch's safe globals.

    Idempotent. To load a third-party checkpoint you trust that needs more,
    add its types with ``torch.serialization.add_safe_globals``.
    """
    torch.serialization.add_safe_globals(mmengine_checkpoint_types())
