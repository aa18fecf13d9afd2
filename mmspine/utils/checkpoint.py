"""Let torch's ``weights_only`` loader read mmengine checkpoints.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and refuses
any global it does not know. mmengine 0.10 pickles a few of its own objects
and numpy values into every checkpoint (the message hub's ``HistoryBuffer``
of logged scalars, numpy arrays and scalars inside it), so ``--resume`` and
``load_from`` fail with "Unsupported global". Rather than turning
``weights_only`` off, which would let a checkpoint run arbitrary code, we
allow-list exactly those plain-data types.
"""
from typing import List

import numpy as np
import torch


def mmengine_checkpoint_types() -> List[object]:
    """The globals mmengine 0.10 writes into a checkpoint besides tensors."""
    from mmengine.logging.history_buffer import HistoryBuffer

    # numpy moved its pickling helpers to numpy._core in 2.0
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:
        from numpy.core.multiarray import _reconstruct, scalar
    types = [HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype]
    # numpy >= 1.25 pickles dtypes as instances of numpy.dtypes.*DType
    types += [
        getattr(np.dtypes, name) for name in dir(np.dtypes)
        if name.endswith('DType') and name not in ('ObjectDType', 'VoidDType')
    ]
    return types


def allow_mmengine_checkpoint_types() -> None:
    """Add :func:`mmengine_checkpoint_types` to torch's safe globals.

    Idempotent. To load a third-party checkpoint you trust that needs more,
    add its types with ``torch.serialization.add_safe_globals``.
    """
    torch.serialization.add_safe_globals(mmengine_checkpoint_types())
