import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmspine.utils import allow_mmengine_checkpoint_types


def _message_hub_checkpoint(path):
    hub = MessageHub.get_instance('test_checkpoint_hub')
    for i in range(5):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
    hub.update_info('iter', 5)
    torch.save(
        dict(
            state_dict=dict(w=torch.ones(2)),
            message_hub=hub.state_dict(),
            meta=dict(iter=5, dataset_meta=dict(classes=('a', 'b')))), path)


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _message_hub_checkpoint(path)
    allow_mmengine_checkpoint_types()
    ckpt = torch.load(path, weights_only=True)
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(
        np.mean([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]))
    assert ckpt['meta']['iter'] == 5


class _Exploit:
    """Pickles as getattr(<ndarray>, 'tofile'): a call that writes files."""

    def __reduce__(self):
        return getattr, (np.zeros(1), 'tofile')


@pytest.mark.parametrize(
    'payload,error',
    [
        (_Exploit, 'refusing getattr'),  # the getattr stand-in's other uses
        (object, 'Unsupported global'),  # unknown globals stay refused
    ])
def test_other_pickled_calls_stay_refused(tmp_path, payload, error):
    path = tmp_path / 'other.pth'
    torch.save(dict(x=payload()), path)
    allow_mmengine_checkpoint_types()
    with pytest.raises(pickle.UnpicklingError, match=error):
        torch.load(path, weights_only=True)
