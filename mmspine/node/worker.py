"""Inference worker processes: one ``SpineInferencer`` each, one spooled
instance per task, results as ``tools/infer.py`` makes them.

A task reads ``inbox/<id>.dcm`` and leaves, in this order: the result
JSON (``results/``), the SR (``outbox/``) or, for an input that cannot be
inferred, the image and its reason in ``failed/``; then it removes the
inbox file. A worker killed in between leaves the inbox file, and the task
is done again: the SR's UIDs are derived (:mod:`.identity`), so a redone
SR replaces the first one, never joins it.
"""
import os
import threading
import time
import warnings
from typing import Any, Dict, Optional

from .identity import sr_uids
from .spool import FAILED, INBOX, OUTBOX, RESULTS, SENT, Spool

_state: Dict[str, Any] = {}


def _watch_parent(parent: int) -> None:
    # A worker whose node was killed (kill -9 leaves no goodbye) must not
    # keep working on a spool that a restarted node owns.
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(0.2)


def init_worker(inferencer_kwargs: Dict[str, Any], spool_root: str, key: str,
                algorithm_name: str, threads: Optional[int],
                parent: int) -> None:
    """Build the worker's inferencer (process pool initializer)."""
    threading.Thread(
        target=_watch_parent, args=(parent, ), daemon=True).start()
    import torch

    from ..apis import SpineInferencer
    if threads:
        torch.set_num_threads(threads)
    _state.update(
        inferencer=SpineInferencer(**inferencer_kwargs),
        spool=Spool(spool_root, fsync=False),
        key=key,
        algorithm_name=algorithm_name)


def ready() -> int:
    """A no-op task: returns once the worker's models are loaded."""
    return os.getpid()


def _failed(spool: Spool, spool_id: str, reason: str, start: float) -> dict:
    spool.write_json(FAILED, spool_id,
                     dict(id=spool_id, reason=reason, failed_at=time.time()))
    if spool.has(INBOX, spool_id):
        spool.move(INBOX, FAILED, spool_id)
    return dict(
        id=spool_id,
        status='failed',
        reason=reason,
        seconds=time.perf_counter() - start)


def process(spool_id: str) -> dict:
    """Infer one spooled instance and write its SR to the outbox.

    Returns:
        dict: ``id``, ``status`` ('done', 'failed' or 'already' when an
        earlier run got as far as the SR), ``reason``, ``findings``,
        ``sr_uid``, ``notes`` and ``seconds``.
    """
    from ..apis.inputs import InferenceInput
    from ..dicom.sr import BoxClippedWarning, write_findings_sr
    from ..dicom.voi import describe_error
    start = time.perf_counter()
    spool: Spool = _state['spool']
    inferencer = _state['inferencer']
    src = spool.path(INBOX, spool_id)
    if spool.has(OUTBOX, spool_id) or spool.has(SENT, spool_id, '.json'):
        # killed after the SR was written, before the inbox file went
        spool.remove(INBOX, spool_id)
        return dict(id=spool_id, status='already', seconds=0.)
    if not os.path.isfile(src):
        return dict(
            id=spool_id,
            status='failed',
            reason='not in the inbox',
            seconds=0.)
    item = InferenceInput(src, spool_id)
    (_, image, result), = next(inferencer.iter_batches([item]))
    if result['status'] != 'ok':
        return _failed(spool, spool_id, result['reason'], start)
    ds = image.dataset
    series_uid, sop_uid = sr_uids(result['sop_instance_uid'],
                                  result['study_instance_uid'], _state['key'])
    try:
        number = int(ds.get('InstanceNumber') or 1)
    except (TypeError, ValueError):
        number = 1
    notes = []
    try:
        spool.write_json(
            RESULTS, spool_id,
            dict(
                settings=inferencer.settings(),
                result=result,
                sr_sop_instance_uid=sop_uid,
                sr_series_instance_uid=series_uid))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', BoxClippedWarning)
            write_findings_sr(
                ds,
                result,
                spool.path(OUTBOX, spool_id),
                algorithm_name=_state['algorithm_name'],
                series_instance_uid=series_uid,
                sop_instance_uid=sop_uid,
                instance_number=number)
        notes = [
            str(w.message) for w in caught
            if issubclass(w.category, BoxClippedWarning)
        ]
    except Exception as exc:
        return _failed(spool, spool_id,
                       f'writing the SR: {describe_error(exc)}', start)
    spool.remove(INBOX, spool_id)
    return dict(
        id=spool_id,
        status='done',
        reason='',
        findings=len(result['findings']),
        p_abnormal=result.get('p_abnormal'),
        sr_uid=sop_uid,
        notes=notes,
        seconds=time.perf_counter() - start)


__all__ = ['init_worker', 'process', 'ready']
