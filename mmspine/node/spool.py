"""The node's spool: every instance and result on disk, one state a folder.

An instance moves through the folders by atomic writes and renames, so
that a node killed at any moment finds each one in exactly one state when
it starts again::

    inbox/<id>.dcm     received and acknowledged, waiting for inference
    outbox/<id>.dcm    the SR to send (with <id>.json: attempts so far)
    results/<id>.json  the inference result (tools/infer.py's results/)
    sent/<id>.json     delivered: UIDs and times
    failed/<id>.dcm    inference failed (<id>.json says why)
    dead/<id>.dcm      the SR undelivered after the last attempt (and why)

``<id>`` is made by the node (receive time in ns and a random part), never
from a header value, so no UID can name a path. Free of torch.
"""
import fcntl
import json
import os
import os.path as osp
import time
import uuid
from typing import Dict, Iterator, List, Optional

from ..fileio import TMP_MARK, atomic_path, atomic_write

#: The spool's folders, by state.
INBOX = 'inbox'
OUTBOX = 'outbox'
RESULTS = 'results'
SENT = 'sent'
FAILED = 'failed'
DEAD = 'dead'
FOLDERS = (INBOX, OUTBOX, RESULTS, SENT, FAILED, DEAD)
#: Written by the running node about once a second (see ``status``).
STATUS_NAME = 'status.json'
LOCK_NAME = 'lock'


class SpoolLockedError(RuntimeError):
    """Another node is running on this spool."""


def new_id() -> str:
    """A spool id: the receive time (ns, so ids sort by arrival) and 8
    random hex digits."""
    return f'{time.time_ns():020d}-{uuid.uuid4().hex[:8]}'


def received_at(spool_id: str) -> Optional[float]:
    """The receive time (seconds since the epoch) in a spool id; None if
    it has none (a file put in the spool by hand)."""
    try:
        return int(spool_id.split('-', 1)[0]) / 1e9
    except ValueError:
        return None


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """The folders of one node's spool under ``root``.

    Args:
        root (str): The spool folder; created with its subfolders.
        fsync (bool): Flush received instances to the disk before they
            are acknowledged (survives a power cut, not only a kill).
    """

    def __init__(self, root: str, fsync: bool = True) -> None:
        self.root = osp.abspath(root)
        self.fsync = fsync
        for name in FOLDERS:
            os.makedirs(osp.join(self.root, name), exist_ok=True)
        self._lock_fd: Optional[int] = None

    def path(self, folder: str, spool_id: str, ext: str = '.dcm') -> str:
        """The file of ``spool_id`` in ``folder``."""
        return osp.join(self.root, folder, spool_id + ext)

    # ------------------------------------------------------------------
    def lock(self) -> None:
        """Hold the spool for this process (released when it ends, also by
        ``kill -9``).

        Raises:
            SpoolLockedError: If another process holds it.
        """
        fd = os.open(osp.join(self.root, LOCK_NAME), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SpoolLockedError(
                f'{self.root}: another node is running on this spool'
            ) from None
        self._lock_fd = fd

    def remove_stale_temps(self) -> int:
        """Remove half-written files of a killed node; how many.

        Such a file was never acknowledged (an instance) or never counted
        (a result), so it is redone or resent by its sender.
        """
        removed = 0
        for folder in FOLDERS:
            for entry in os.scandir(osp.join(self.root, folder)):
                if TMP_MARK in entry.name:
                    os.remove(entry.path)
                    removed += 1
        return removed

    # ------------------------------------------------------------------
    def write_received(self, data: bytes) -> str:
        """Write a received instance (Part 10 bytes) to the inbox, whole
        or not at all; its new spool id."""
        spool_id = new_id()
        path = self.path(INBOX, spool_id)
        with atomic_path(path) as tmp:
            with open(tmp, 'wb') as f:
                f.write(data)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
        if self.fsync:
            _fsync_dir(osp.dirname(path))
        return spool_id

    def ids(self, folder: str, ext: str = '.dcm') -> List[str]:
        """Spool ids in ``folder``, oldest first (complete files only)."""
        names = []
        for entry in os.scandir(osp.join(self.root, folder)):
            name = entry.name
            if name.endswith(ext) and TMP_MARK not in name:
                names.append(name[:-len(ext)])
        return sorted(names)

    def count(self, folder: str, ext: str = '.dcm') -> int:
        """Complete files in ``folder``."""
        return len(self.ids(folder, ext))

    def has(self, folder: str, spool_id: str, ext: str = '.dcm') -> bool:
        return osp.isfile(self.path(folder, spool_id, ext))

    def write_json(self, folder: str, spool_id: str, obj: dict) -> None:
        with atomic_write(self.path(folder, spool_id, '.json')) as f:
            json.dump(obj, f, indent=1)

    def read_json(self, folder: str, spool_id: str) -> Optional[dict]:
        """The record of ``spool_id`` in ``folder``; None if absent or
        unreadable."""
        try:
            with open(self.path(folder, spool_id, '.json')) as f:
                obj = json.load(f)
        except (OSError, ValueError):
            return None
        return obj if isinstance(obj, dict) else None

    def move(self, src_folder: str, dst_folder: str, spool_id: str) -> None:
        """Move the ``.dcm`` of ``spool_id`` (one rename)."""
        os.replace(
            self.path(src_folder, spool_id), self.path(dst_folder, spool_id))

    def remove(self, folder: str, spool_id: str, ext: str = '.dcm') -> None:
        try:
            os.remove(self.path(folder, spool_id, ext))
        except FileNotFoundError:
            pass

    def records(self, folder: str) -> Iterator[dict]:
        """The JSON records of ``folder``, oldest first."""
        for spool_id in self.ids(folder, '.json'):
            rec = self.read_json(folder, spool_id)
            if rec is not None:
                yield rec

    # ------------------------------------------------------------------
    def write_status(self, status: dict) -> None:
        with atomic_write(osp.join(self.root, STATUS_NAME)) as f:
            json.dump(status, f, indent=1)

    def read_status(self) -> Dict:
        """What the running node last wrote (``{}`` if nothing)."""
        try:
            with open(osp.join(self.root, STATUS_NAME)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


__all__ = [
    'DEAD', 'FAILED', 'FOLDERS', 'INBOX', 'OUTBOX', 'RESULTS', 'SENT',
    'STATUS_NAME', 'Spool', 'SpoolLockedError', 'new_id', 'received_at'
]
