"""Sending SRs to the destination by C-STORE, with retries.

One thread sends every SR of the outbox over one association while there
is work, oldest first. Two kinds of failure:

* the destination cannot be reached (no association): nothing is wrong
  with any SR, so the destination is retried with exponential backoff and
  no SR loses an attempt; the SRs wait in the outbox, however long;
* an SR is refused or its transfer breaks: that SR counts an attempt and
  is retried after its own backoff; after ``max_attempts`` it moves to
  ``dead/`` with the last reason.

An SR counts as delivered only on a success (or warning) status; it is
then recorded in ``sent/`` and removed from the outbox. A node killed
between the two resends it on restart; its UID is the same (see
:mod:`.identity`), so the destination still holds one.
"""
import logging
import os
import threading
import time
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import pydicom
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE

from .routing import SR_SOP_CLASSES
from .spool import DEAD, OUTBOX, SENT, Spool, received_at

logger = logging.getLogger('mmspine.node')


class Destination(NamedTuple):
    """Where SRs go: ``AET@HOST:PORT``."""
    ae_title: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> 'Destination':
        """Read ``AET@HOST:PORT``.

        Raises:
            ValueError: Naming what is wrong.
        """
        aet, sep, address = text.partition('@')
        host, sep2, port = address.rpartition(':')
        if not (sep and sep2 and aet and host and port.isdigit()):
            raise ValueError(f'destination {text!r} is not AET@HOST:PORT')
        if len(aet) > 16:
            raise ValueError(f'AE title {aet!r} is longer than 16 characters')
        return cls(aet, host, int(port))

    def __str__(self) -> str:
        return f'{self.ae_title}@{self.host}:{self.port}'


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based):
    ``base * 2 ** (attempt - 1)``, at most ``cap``."""
    return min(cap, base * 2**max(0, attempt - 1))


class _Pending(NamedTuple):
    attempts: int
    due: float
    reason: str


class Sender(threading.Thread):
    """The sending thread.

    Args:
        spool (Spool): The spool.
        dest (Destination): The SRs' destination.
        ae_title (str): The node's calling AE title.
        max_attempts (int): Failed attempts of one SR before it is moved to
            ``dead/``.
        retry_base (float): Seconds before the first retry; doubled per
            failure.
        retry_max (float): Longest wait between two tries.
        timeout (float): Seconds for the association and each response.
        on_event (callable, optional): Called with (event, spool_id,
            details) for 'sent' and 'dead' (the node's counters).
    """

    def __init__(self,
                 spool: Spool,
                 dest: Destination,
                 ae_title: str,
                 max_attempts: int = 8,
                 retry_base: float = 1.,
                 retry_max: float = 60.,
                 timeout: float = 30.,
                 on_event: Optional[Callable] = None) -> None:
        super().__init__(name='mmspine-sender', daemon=True)
        self.spool = spool
        self.dest = dest
        self.ae_title = ae_title
        self.max_attempts = max(1, int(max_attempts))
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.timeout = timeout
        self.on_event = on_event or (lambda *a: None)
        self._cond = threading.Condition()
        self._pending: Dict[str, _Pending] = {}
        self._stopping = False
        self._dest_failures = 0
        self._dest_due = 0.
        #: The destination's state, for the status.
        self.dest_state = dict(reachable=None, failures=0, reason='')
        for spool_id in spool.ids(OUTBOX):
            rec = spool.read_json(OUTBOX, spool_id) or {}
            self._pending[spool_id] = _Pending(
                int(rec.get('attempts', 0)), 0., rec.get('reason', ''))

    # ------------------------------------------------------------------
    def add(self, spool_id: str) -> None:
        """Send the outbox SR ``spool_id`` as soon as possible."""
        with self._cond:
            if spool_id not in self._pending:
                self._pending[spool_id] = _Pending(0, 0., '')
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    # ------------------------------------------------------------------
    def _due(self) -> Tuple[list, float]:
        """Due spool ids (oldest first) and seconds to the next one."""
        now = time.monotonic()
        if now < self._dest_due:
            return [], self._dest_due - now
        due = sorted(i for i, p in self._pending.items() if p.due <= now)
        later = [p.due - now for p in self._pending.values() if p.due > now]
        return due, min(later) if later else 3600.

    def run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    due, wait = self._due()
                    if due:
                        break
                    self._cond.wait(timeout=wait)
            try:
                self._send_batch(due)
            except Exception:
                # the thread must outlive any surprise; the SRs stay
                logger.exception('sender: unexpected error')
                time.sleep(1.)

    def _associate(self):
        ae = AE(ae_title=self.ae_title)
        ae.acse_timeout = ae.dimse_timeout = self.timeout
        ae.network_timeout = self.timeout
        for sop_class in SR_SOP_CLASSES:
            ae.add_requested_context(
                sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
        return ae.associate(
            self.dest.host, self.dest.port, ae_title=self.dest.ae_title)

    def _send_batch(self, due: list) -> None:
        assoc = self._associate()
        if not assoc.is_established:
            self._dest_failures += 1
            wait = backoff(self._dest_failures, self.retry_base,
                           self.retry_max)
            self._dest_due = time.monotonic() + wait
            reason = ('association rejected'
                      if assoc.is_rejected else 'association aborted'
                      if assoc.is_aborted else 'no association')
            self.dest_state = dict(
                reachable=False, failures=self._dest_failures, reason=reason)
            logger.warning(
                'destination %s: %s (%d SRs waiting); retry in %.1f s',
                self.dest, reason, len(self._pending), wait)
            return
        if self._dest_failures:
            logger.info('destination %s reachable again', self.dest)
        self._dest_failures = 0
        self.dest_state = dict(reachable=True, failures=0, reason='')
        try:
            for spool_id in due:
                with self._cond:
                    if self._stopping:
                        return
                ok = self._send_one(assoc, spool_id)
                if not ok and not assoc.is_established:
                    break
        finally:
            if assoc.is_established:
                assoc.release()

    def _send_one(self, assoc, spool_id: str) -> bool:
        path = self.spool.path(OUTBOX, spool_id)
        if not os.path.isfile(path):
            # removed by hand: nothing to send, nor to retry
            with self._cond:
                self._pending.pop(spool_id, None)
            logger.error('failed %s: its SR is no longer in %s/', spool_id,
                         OUTBOX)
            return True
        start = time.time()
        try:
            status = assoc.send_c_store(path)
            code = status.get('Status') if status else None
            comment = str(status.get('ErrorComment', '')) if status else ''
        except Exception as exc:
            code, comment = None, f'{type(exc).__name__}: {exc}'
        if code is not None and (code == 0 or 0xB000 <= code <= 0xBFFF
                                 or code == 0x0107 or code == 0x0116):
            self._delivered(spool_id, path, start, code)
            return True
        if code is None:
            reason = comment or 'no response (association lost)'
        else:
            reason = f'status 0x{code:04X}' + (f' {comment}'
                                               if comment else '')
        self._retry(spool_id, reason)
        return False

    def _delivered(self, spool_id: str, path: str, start: float,
                   code: int) -> None:
        try:
            sr = pydicom.dcmread(path, stop_before_pixels=True)
            uid = str(sr.SOPInstanceUID)
        except Exception:
            uid = ''
        now = time.time()
        received = received_at(spool_id)
        rec = dict(
            id=spool_id,
            sr_sop_instance_uid=uid,
            destination=str(self.dest),
            status=f'0x{code:04X}',
            received_at=received,
            sent_at=now,
            latency=None if received is None else now - received,
            send_seconds=now - start)
        # recorded first: a kill before the removal resends (same UID)
        self.spool.write_json(SENT, spool_id, rec)
        self.spool.remove(OUTBOX, spool_id)
        self.spool.remove(OUTBOX, spool_id, '.json')
        with self._cond:
            attempts = self._pending.pop(spool_id, _Pending(0, 0, '')).attempts
        logger.info(
            'sent %s: SR %s to %s (attempt %d, %.2f s after '
            'receipt)', spool_id, uid, self.dest, attempts + 1, rec['latency'])
        self.on_event('sent', spool_id, rec)

    def _retry(self, spool_id: str, reason: str) -> None:
        with self._cond:
            prev = self._pending.get(spool_id, _Pending(0, 0., ''))
            attempts = prev.attempts + 1
            if attempts >= self.max_attempts:
                self._pending.pop(spool_id, None)
            else:
                wait = backoff(attempts, self.retry_base, self.retry_max)
                self._pending[spool_id] = _Pending(attempts,
                                                   time.monotonic() + wait,
                                                   reason)
        if attempts >= self.max_attempts:
            self.spool.write_json(
                DEAD, spool_id,
                dict(
                    id=spool_id,
                    attempts=attempts,
                    reason=reason,
                    dead_at=time.time()))
            self.spool.move(OUTBOX, DEAD, spool_id)
            self.spool.remove(OUTBOX, spool_id, '.json')
            logger.error(
                'failed %s: SR not delivered to %s after %d attempts (%s); '
                'moved to %s/', spool_id, self.dest, attempts, reason, DEAD)
            self.on_event('dead', spool_id, dict(reason=reason))
            return
        self.spool.write_json(OUTBOX, spool_id,
                              dict(attempts=attempts, reason=reason))
        logger.warning(
            'send %s failed (attempt %d of %d): %s; retry in '
            '%.1f s', spool_id, attempts, self.max_attempts, reason, wait)


__all__ = ['Destination', 'Sender', 'backoff']
