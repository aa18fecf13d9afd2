"""What the node tests share: small radiographs, the node as a process
(``tools/serve.py``, as a user runs it), and a pushing PACS."""
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from _tools import require_tool
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         JPEG2000Lossless, RLELossless, generate_uid)

from mmspine.dicom import build_dataset, write_dicom
from mmspine.node.orthanc import stop_process

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Transfer syntaxes :func:`push` proposes (those the phantom writes).
PUSHED_SYNTAXES = (ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless,
                   JPEG2000Lossless)


def orthanc_executable() -> str:
    """Debian's Orthanc (in /usr/sbin, which a user's PATH may lack);
    skips, or fails under MMSPINE_REQUIRE_TOOLS=1, without it."""
    path = shutil.which('Orthanc') or '/usr/sbin/Orthanc'
    return path if os.access(path, os.X_OK) else require_tool('Orthanc')


def make_radiograph(path: str,
                    seed: int,
                    rows: int = 96,
                    columns: int = 80,
                    transfer_syntax: str = ExplicitVRLittleEndian,
                    **tags) -> Dict[str, str]:
    """Write a small 12-bit DX of the lumbar spine with one bright block;
    its UIDs. ``tags`` override the header (``Modality``, UIDs, ...)."""
    rng = np.random.default_rng(seed)
    stored = rng.integers(200, 900, (rows, columns)).astype(np.uint16)
    y, x = rng.integers(0, rows // 2), rng.integers(0, columns // 2)
    stored[y:y + rows // 4, x:x + columns // 4] = 3500
    tags.setdefault('BodyPartExamined', 'LSPINE')
    tags.setdefault('StudyInstanceUID', generate_uid())
    tags.setdefault('SOPInstanceUID', generate_uid())
    ds = build_dataset(
        stored, transfer_syntax=transfer_syntax, window=(2000, 4000), **tags)
    write_dicom(path, ds)
    return dict(
        path=path,
        sop=str(ds.SOPInstanceUID),
        study=str(ds.StudyInstanceUID),
        series=str(ds.SeriesInstanceUID))


def wait_for(predicate: Callable[[], bool],
             timeout: float,
             what: str,
             interval: float = 0.2) -> None:
    """Poll ``predicate`` until true; fail naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


class NodeProcess:
    """``tools/serve.py`` in a subprocess, its log in ``log_path``."""

    def __init__(self, spool: str, args: Sequence[str], log_path: str,
                 port: int) -> None:
        self.spool = spool
        self.args = list(args)
        self.log_path = log_path
        self.port = port
        self.proc: Optional[subprocess.Popen] = None

    def start(self, ready_timeout: float = 120.) -> None:
        status = osp.join(self.spool, 'status.json')
        if osp.exists(status):
            os.remove(status)
        env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
        with open(self.log_path, 'a') as log:
            self.proc = subprocess.Popen([
                sys.executable,
                osp.join(REPO_ROOT, 'tools', 'serve.py'), '--spool',
                self.spool, '--port',
                str(self.port), *self.args
            ],
                                         cwd=REPO_ROOT,
                                         env=env,
                                         stdout=log,
                                         stderr=subprocess.STDOUT)
        wait_for(lambda: self._alive() and self.status().get('ready'),
                 ready_timeout, 'the node to load its models')

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(
                f'node exited with {self.proc.returncode}:\n' +
                self.log()[-3000:])
        return True

    def status(self) -> dict:
        try:
            with open(osp.join(self.spool, 'status.json')) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        stop_process(self.proc, timeout=30)


def push(files: Sequence[str],
         port: int,
         ae_title: str = 'TESTPACS',
         called: str = 'MMSPINE',
         associations: int = 4,
         timeout: float = 120.) -> Dict[str, int]:
    """Store ``files`` at the node over ``associations`` concurrent
    associations, as a PACS does: an instance not acknowledged (the node
    went away) is sent again over a new association until it is, or until
    ``timeout``. Returns the statuses by file; the last try's."""
    from pynetdicom import AE
    from pynetdicom.sop_class import (ComputedRadiographyImageStorage,
                                      DigitalXRayImageStorageForPresentation)
    statuses: Dict[str, int] = {}
    deadline = time.monotonic() + timeout

    def run(share: List[str]) -> None:
        ae = AE(ae_title=ae_title)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
        for sop_class in (DigitalXRayImageStorageForPresentation,
                          ComputedRadiographyImageStorage):
            # one context per syntax: each file goes in its own
            for syntax in PUSHED_SYNTAXES:
                ae.add_requested_context(sop_class, syntax)
        assoc = None
        for path in share:
            while time.monotonic() < deadline:
                try:
                    if assoc is None or not assoc.is_established:
                        assoc = ae.associate(
                            '127.0.0.1', port, ae_title=called)
                        if not assoc.is_established:
                            assoc = None
                            time.sleep(0.2)
                            continue
                    status = assoc.send_c_store(path)
                except Exception:
                    status = None
                if status and 'Status' in status:
                    statuses[path] = int(status.Status)
                    break
                assoc = None
                time.sleep(0.2)
        if assoc is not None and assoc.is_established:
            assoc.release()

    threads = [
        threading.Thread(target=run, args=(list(files[k::associations]), ))
        for k in range(associations)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses
