"""``DicomNode``: mmspine as a DICOM node next to a PACS.

Radiographs come in by C-STORE (a pynetdicom Storage SCP, C-ECHO too),
are checked and routed (:mod:`.routing`) and, before the C-STORE response,
written to the spool (:mod:`.spool`). Worker processes infer
(:mod:`.worker`), and a sender thread stores each SR at the destination
(:mod:`.sender`). The spool is the only state: a node started on it after
``kill -9`` infers what was not inferred and sends what was not sent.

What happens to each instance is logged, one line per step (received,
queued, skipped, refused, done, failed, sent); the counts and latencies
are in ``<spool>/status.json`` (:func:`spool_status`).
"""
import logging
import math
import os
import queue
import threading
import time
from collections import deque
from concurrent.futures import (FIRST_COMPLETED, BrokenExecutor,
                                ProcessPoolExecutor, wait)
from multiprocessing import get_context
from typing import Any, Dict, List, Optional, Sequence

from pydicom.dataset import Dataset
from pydicom.uid import (DeflatedExplicitVRLittleEndian,
                         ExplicitVRLittleEndian, ImplicitVRLittleEndian)
from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification

from . import worker
from .identity import model_key
from .routing import (CANNOT_UNDERSTAND, DEFAULT_MAX_INSTANCE_BYTES,
                      IMAGE_SOP_CLASSES, OUT_OF_RESOURCES, SR_SOP_CLASSES,
                      Refusal, Router, check_instance,
                      decodable_transfer_syntaxes)
from .sender import Destination, Sender
from .spool import DEAD, FAILED, INBOX, OUTBOX, SENT, Spool, received_at

logger = logging.getLogger('mmspine.node')

#: A worker process that dies this many times on one instance (a crash in
#: native code, out of memory) gives up on it: the image goes to failed/.
MAX_CRASHES = 3
#: Latencies kept for the status' percentiles.
_WINDOW = 1000


def percentiles(values: Sequence[float]) -> Dict[str, Optional[float]]:
    """p50 and p95 (nearest rank) of ``values``; None when empty."""
    if not values:
        return dict(p50=None, p95=None, n=0)
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return dict(
        p50=round(rank(0.5), 4), p95=round(rank(0.95), 4), n=len(ordered))


class DicomNode:
    """A Storage SCP that infers on spine radiographs and sends SRs back.

    Args:
        spool_dir (str): The spool folder (created).
        inferencer_kwargs (dict): Arguments of ``SpineInferencer``
            (``detectors``, ``classifiers``, ``rule``, ...), built once in
            each worker process.
        dest (str | Destination): Where SRs go, ``AET@HOST:PORT``.
        ae_title (str): The node's AE title.
        port (int): Port to listen on (0: any free port, see :attr:`port`).
        bind (str): Address to listen on; loopback unless told.
        allow_ae (Sequence[str]): Calling AE titles accepted; empty accepts
            any.
        router (Router, optional): What is processed; defaults to DX and
            CR of the spine.
        max_instance_bytes (int): Larger instances are refused.
        workers (int): Inference worker processes.
        threads (int, optional): torch threads per worker.
        max_attempts, retry_base, retry_max, timeout: See :class:`Sender`.
        fsync (bool): Flush each received instance to the disk before it
            is acknowledged.
        algorithm_name (str): The SRs' algorithm name and Manufacturer.
    """

    def __init__(self,
                 spool_dir: str,
                 inferencer_kwargs: Dict[str, Any],
                 dest,
                 ae_title: str = 'MMSPINE',
                 port: int = 11112,
                 bind: str = '127.0.0.1',
                 allow_ae: Sequence[str] = (),
                 router: Optional[Router] = None,
                 max_instance_bytes: int = DEFAULT_MAX_INSTANCE_BYTES,
                 workers: int = 1,
                 threads: Optional[int] = None,
                 max_attempts: int = 8,
                 retry_base: float = 1.,
                 retry_max: float = 60.,
                 timeout: float = 30.,
                 fsync: bool = True,
                 algorithm_name: str = 'mmspine') -> None:
        self.spool = Spool(spool_dir, fsync=fsync)
        self.inferencer_kwargs = dict(inferencer_kwargs)
        self.dest = dest if isinstance(
            dest, Destination) else Destination.parse(dest)
        self.ae_title = ae_title
        self.port = port
        self.bind = bind
        self.allow_ae = tuple(allow_ae)
        self.router = router or Router(own_manufacturer=algorithm_name)
        self.max_instance_bytes = int(max_instance_bytes)
        self.workers = max(1, int(workers))
        self.threads = threads
        self.algorithm_name = algorithm_name
        self.key = model_key(self.inferencer_kwargs)
        self.sender = Sender(
            self.spool,
            self.dest,
            ae_title,
            max_attempts=max_attempts,
            retry_base=retry_base,
            retry_max=retry_max,
            timeout=timeout,
            on_event=self._on_sender_event)
        self._queue: 'queue.Queue[str]' = queue.Queue()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.counts = dict.fromkeys(
            ('received', 'skipped', 'refused', 'rejected_associations', 'done',
             'failed', 'sent', 'dead', 'worker_crashes'), 0)
        self.skip_reasons: Dict[str, int] = {}
        self._infer_s: deque = deque(maxlen=_WINDOW)
        self._latency_s: deque = deque(maxlen=_WINDOW)
        self._crashes: Dict[str, int] = {}
        self._in_flight: Dict[Any, str] = {}
        self._pool: Optional[ProcessPoolExecutor] = None
        self._server = None
        self._ready = False
        self.started_at = time.time()

    # ------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def _new_pool(self) -> None:
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=get_context('spawn'),
            initializer=worker.init_worker,
            initargs=(self.inferencer_kwargs, self.spool.root, self.key,
                      self.algorithm_name, self.threads, os.getpid()))
        self._ready_futures = [
            self._pool.submit(worker.ready) for _ in range(self.workers)
        ]

    def _ae(self) -> AE:
        ae = AE(ae_title=self.ae_title)
        ae.require_calling_aet = list(self.allow_ae)
        ae.maximum_pdu_size = 0  # no limit: fewer, larger PDUs
        image_syntaxes = decodable_transfer_syntaxes()
        for sop_class in IMAGE_SOP_CLASSES:
            ae.add_supported_context(sop_class, image_syntaxes)
        for sop_class in SR_SOP_CLASSES:
            ae.add_supported_context(sop_class, [
                ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                DeflatedExplicitVRLittleEndian
            ])
        ae.add_supported_context(Verification)
        return ae

    def start(self) -> None:
        """Take the spool, start the workers, the sender and the SCP."""
        self.spool.lock()
        stale = self.spool.remove_stale_temps()
        if stale:
            logger.info('removed %d half-written files of an earlier run',
                        stale)
        waiting = self.spool.ids(INBOX)
        for spool_id in waiting:
            self._queue.put(spool_id)
        logger.info(
            'spool %s: %d instances to infer, %d SRs to send (model key '
            '%s)', self.spool.root, len(waiting), self.sender.pending(),
            self.key[:12])
        self._new_pool()
        self.sender.start()
        handlers = [(evt.EVT_C_STORE, self._on_store),
                    (evt.EVT_C_ECHO, lambda event: 0x0000),
                    (evt.EVT_REJECTED, self._on_rejected)]
        self._server = self._ae().start_server((self.bind, self.port),
                                               block=False,
                                               evt_handlers=handlers)
        self.port = self._server.server_address[1]
        if not self.allow_ae:
            logger.warning('no --allow-ae: any calling AE title may store')
        logger.info(
            'listening as %s on %s:%d; SRs to %s; %d worker(s); accepts '
            '%s', self.ae_title, self.bind, self.port, self.dest, self.workers,
            ', '.join(self.allow_ae) or 'any AE title')

    def stop(self) -> None:
        """Ask :meth:`serve_forever` to return."""
        self._stop.set()

    def close(self) -> None:
        """Stop listening, sending and inferring (the spool keeps what is
        left for the next start)."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        self.sender.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.write_status()

    # ------------------------------------------------------------------
    def _on_rejected(self, event) -> None:
        self._count('rejected_associations')
        aet = event.assoc.requestor.ae_title
        why = ('calling AE title not in the allow-list'
               if self.allow_ae and aet not in self.allow_ae else
               'too many associations, or a request the node cannot take')
        logger.warning('refused association from %r at %s: %s', aet,
                       event.assoc.requestor.address, why)

    def _refuse(self, what: str, refusal: Refusal) -> Dataset:
        self._count('refused')
        logger.warning('refused %s: %s', what, refusal.reason)
        status = Dataset()
        status.Status = refusal.status
        # (ErrorComment is LO: 64 characters)
        status.ErrorComment = refusal.reason[:64]
        return status

    def _on_store(self, event):
        """C-STORE: check, route, spool, then answer."""
        requestor = event.assoc.requestor
        what = (f'instance from {requestor.ae_title} '
                f'({requestor.address}:{requestor.port})')
        sop_class = str(event.request.AffectedSOPClassUID)
        size = event.request.DataSet.getbuffer().nbytes
        if size > self.max_instance_bytes:
            return self._refuse(
                what,
                Refusal(
                    OUT_OF_RESOURCES, f'{size} bytes, over the limit of '
                    f'{self.max_instance_bytes}'))
        try:
            ds = event.dataset
            ds.file_meta = event.file_meta
            for _ in ds:  # parse every element now, not in a worker
                pass
        except Exception as exc:
            return self._refuse(
                what,
                Refusal(CANNOT_UNDERSTAND,
                        f'unparsable data set ({type(exc).__name__})'))
        uid = str(ds.get('SOPInstanceUID', ''))[:80]
        what = f'{uid!r} from {requestor.ae_title}'
        skip = self.router.skip_reason(ds, sop_class)
        if skip is not None:
            with self._lock:
                self.counts['skipped'] += 1
                self.skip_reasons[skip] = self.skip_reasons.get(skip, 0) + 1
            logger.info('skipped %s: %s', what, skip)
            return 0x0000
        refusal = check_instance(ds, sop_class)
        if refusal is not None:
            return self._refuse(what, refusal)
        try:
            spool_id = self.spool.write_received(
                event.encoded_dataset(include_meta=True))
        except Exception as exc:
            return self._refuse(
                what, Refusal(OUT_OF_RESOURCES, f'spool write failed ({exc})'))
        self._count('received')
        syntax = event.context.transfer_syntax
        logger.info('received %s: %s, %d bytes, %s', spool_id, what, size,
                    getattr(syntax, 'name', syntax))
        self._queue.put(spool_id)
        logger.info('queued %s (%d waiting)', spool_id, self._queue.qsize())
        return 0x0000

    def _on_sender_event(self, event: str, spool_id: str,
                         details: dict) -> None:
        if event == 'sent':
            self._count('sent')
            if details['latency'] is not None:
                with self._lock:
                    self._latency_s.append(details['latency'])
        elif event == 'dead':
            self._count('dead')

    # ------------------------------------------------------------------
    def _submit(self, spool_id: str) -> None:
        future = self._pool.submit(worker.process, spool_id)
        self._in_flight[future] = spool_id

    def _finished(self, future) -> None:
        spool_id = self._in_flight[future]
        try:
            out = future.result()
        except BrokenExecutor:
            raise  # (still in flight: _recover submits it again)
        except Exception as exc:
            # a bug, not the input's fault; the image stays in the inbox
            # for the next start
            logger.exception('worker task on %s raised', spool_id)
            out = dict(id=spool_id, status='error', reason=repr(exc))
        del self._in_flight[future]
        status = out['status']
        if status == 'done':
            self._count('done')
            with self._lock:
                self._infer_s.append(out['seconds'])
            p = out.get('p_abnormal')
            logger.info('done %s: %d finding(s)%s in %.2f s; SR %s', spool_id,
                        out['findings'],
                        '' if p is None else f', p(abnormal) {p:.3f}',
                        out['seconds'], out['sr_uid'])
            for note in out.get('notes') or ():
                logger.info('note %s: %s', spool_id, note)
            self.sender.add(spool_id)
        elif status == 'already':
            if self.spool.has(OUTBOX, spool_id):
                self.sender.add(spool_id)
        elif status == 'error':
            logger.error('failed %s: %s (left in the inbox)', spool_id,
                         out['reason'])
        else:
            self._count('failed')
            logger.error('failed %s: %s', spool_id, out['reason'])

    def _recover(self) -> None:
        """A worker process died: new pool; its instances again, up to
        :data:`MAX_CRASHES` times each."""
        self._count('worker_crashes')
        ids = list(self._in_flight.values())
        self._in_flight.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        logger.error(
            'a worker process died; restarting the workers (%d '
            'instances in flight)', len(ids))
        self._new_pool()
        for spool_id in ids:
            self._crashes[spool_id] = self._crashes.get(spool_id, 0) + 1
            if self._crashes[spool_id] >= MAX_CRASHES:
                reason = (f'worker process died {MAX_CRASHES} times on it')
                self.spool.write_json(FAILED, spool_id,
                                      dict(id=spool_id, reason=reason))
                if self.spool.has(INBOX, spool_id):
                    self.spool.move(INBOX, FAILED, spool_id)
                self._count('failed')
                logger.error('failed %s: %s', spool_id, reason)
            else:
                self._submit(spool_id)

    def _check_started(self) -> None:
        """Mark the node ready once every worker has loaded its models.

        Raises:
            RuntimeError: If a worker could not (a wrong config or
                checkpoint): the node would only restart it forever.
        """
        for future in self._ready_futures:
            if future.done() and future.exception() is not None:
                raise RuntimeError(
                    'the inference workers could not load the models '
                    f'({future.exception()}); see the worker\'s traceback '
                    'above')
        if all(f.done() for f in self._ready_futures):
            self._ready = True
            logger.info('workers ready')

    def serve_forever(self, status_interval: float = 1.) -> None:
        """Dispatch spooled instances to the workers until :meth:`stop`."""
        cap = 2 * self.workers
        next_status = 0.
        while not self._stop.is_set():
            if not self._ready:
                self._check_started()
            try:
                while len(self._in_flight) < cap:
                    block = not self._in_flight
                    spool_id = self._queue.get(
                        timeout=0.2) if block else self._queue.get_nowait()
                    self._submit(spool_id)
            except queue.Empty:
                pass
            except BrokenExecutor:
                self._recover()
            if self._in_flight:
                done, _ = wait(
                    list(self._in_flight),
                    timeout=0.05,
                    return_when=FIRST_COMPLETED)
                try:
                    for future in done:
                        self._finished(future)
                except BrokenExecutor:
                    self._recover()
            if time.monotonic() >= next_status:
                self.write_status()
                next_status = time.monotonic() + status_interval

    # ------------------------------------------------------------------
    def status(self) -> dict:
        """Counts, queue lengths and latencies of this run."""
        with self._lock:
            counts = dict(self.counts)
            infer = percentiles(list(self._infer_s))
            latency = percentiles(list(self._latency_s))
            skips = dict(self.skip_reasons)
        return dict(
            pid=os.getpid(),
            ae_title=self.ae_title,
            address=f'{self.bind}:{self.port}',
            destination=str(self.dest),
            started_at=self.started_at,
            updated_at=time.time(),
            ready=self._ready,
            model_key=self.key,
            counts=counts,
            skip_reasons=skips,
            waiting=self._queue.qsize(),
            in_flight=len(self._in_flight),
            outbox=self.sender.pending(),
            destination_state=self.sender.dest_state,
            inference_seconds=infer,
            latency_seconds=latency)

    def write_status(self) -> None:
        try:
            self.spool.write_status(self.status())
        except OSError as exc:
            logger.warning('cannot write the status: %s', exc)


def spool_status(spool_dir: str) -> dict:
    """What a spool holds and what its node last reported: pending,
    sent, failed and dead counts from the folders, latencies (receipt to
    delivery) over every SR in ``sent/``, and the node's own status
    (``node``; whether it is still running is ``node_alive``)."""
    if not os.path.isdir(os.path.join(spool_dir, INBOX)):
        raise FileNotFoundError(f'{spool_dir}: not a spool (no {INBOX}/)')
    spool = Spool(spool_dir, fsync=False)
    latencies: List[float] = []
    for rec in spool.records(SENT):
        if isinstance(rec.get('latency'), (int, float)):
            latencies.append(rec['latency'])
    node = spool.read_status()
    alive = False
    if node.get('pid'):
        try:
            os.kill(int(node['pid']), 0)
            alive = True
        except (OSError, ValueError):
            alive = False
    inbox = spool.ids(INBOX)
    return dict(
        spool=spool.root,
        inbox=len(inbox),
        oldest_waiting_s=round(time.time() -
                               received_at(inbox[0]), 3) if inbox else None,
        outbox=spool.count(OUTBOX),
        sent=spool.count(SENT, '.json'),
        failed=spool.count(FAILED, '.json'),
        dead=spool.count(DEAD, '.json'),
        latency_seconds=percentiles(latencies),
        node_alive=alive,
        node=node)


__all__ = ['DicomNode', 'MAX_CRASHES', 'percentiles', 'spool_status']
