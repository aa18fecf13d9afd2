"""Orthanc next to the node: the configuration that routes spine
radiographs to it, and a throwaway Orthanc for tests and benchmarks.

:func:`routing_lua` is the Lua script that forwards each new DX/CR image of
the spine to the node (Orthanc's auto-routing); :func:`orthanc_config`
the configuration around it. :class:`OrthancProcess` runs Debian's
``Orthanc`` with such a configuration in a folder of its own, on loopback,
and talks to its REST API.
"""
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import time
import urllib.request
from typing import Any, Dict, Optional, Sequence

from .routing import DEFAULT_BODY_PARTS, DEFAULT_MODALITIES, body_part_key

#: The node's name in Orthanc's DicomModalities.
NODE_NAME = 'mmspine'


def routing_lua(modalities: Sequence[str] = DEFAULT_MODALITIES,
                body_parts: Sequence[str] = DEFAULT_BODY_PARTS,
                node: str = NODE_NAME) -> str:
    """The Lua script that sends every new spine radiograph to ``node``.

    Body parts compare as the node compares them (upper case, without
    spaces, hyphens and underscores); SRs (the node's findings) are never
    forwarded, so nothing loops.
    """

    def table(values):
        return ', '.join(f'["{v}"] = true' for v in values)

    return f'''-- Orthanc auto-routing: new spine radiographs to mmspine
local MODALITIES = {{ {table(m.upper() for m in modalities)} }}
local BODY_PARTS = {{ {table(body_part_key(b) for b in body_parts)} }}

function OnStoredInstance(instanceId, tags, metadata, origin)
  local modality = string.upper(tags['Modality'] or '')
  local part = string.upper(
    string.gsub(tags['BodyPartExamined'] or '', '[%s_%-]', ''))
  if MODALITIES[modality] and BODY_PARTS[part] then
    SendToModality(instanceId, '{node}')
  end
end
'''


def orthanc_config(storage_dir: str,
                   node_port: int,
                   node_ae: str = 'MMSPINE',
                   node_host: str = '127.0.0.1',
                   dicom_port: int = 4242,
                   http_port: int = 8042,
                   ae_title: str = 'ORTHANC',
                   lua_scripts: Sequence[str] = ()) -> Dict[str, Any]:
    """An Orthanc configuration that knows the node.

    Only registered modalities may store or echo (the node, from its
    host): Orthanc 1.10 listens for DICOM on every interface.
    """
    return {
        'Name': 'mmspine-orthanc',
        'StorageDirectory': osp.join(storage_dir, 'storage'),
        'IndexDirectory': osp.join(storage_dir, 'index'),
        'DicomAet': ae_title,
        'DicomPort': dicom_port,
        'HttpPort': http_port,
        'RemoteAccessAllowed': False,
        'AuthenticationEnabled': False,
        'DicomAlwaysAllowStore': False,
        'DicomAlwaysAllowEcho': False,
        'DicomCheckModalityHost': True,
        'DicomModalities': {
            NODE_NAME: {
                'AET': node_ae,
                'Host': node_host,
                'Port': node_port
            }
        },
        'LuaScripts': list(lua_scripts),
        'Plugins': [],
    }


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def stop_process(proc: Optional[subprocess.Popen],
                 timeout: float = 20.) -> None:
    """SIGTERM ``proc`` if it runs, SIGKILL it after ``timeout`` seconds."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class OrthancProcess:
    """Debian's ``Orthanc`` in ``work_dir``, on loopback ports.

    Args:
        work_dir (str): Its configuration, storage, index and log.
        node_port (int): The node's DICOM port.
        node_ae (str): The node's AE title.
        route (bool): Load :func:`routing_lua` (auto-routing to the node).
        executable (str): The Orthanc program.
    """

    def __init__(self,
                 work_dir: str,
                 node_port: int,
                 node_ae: str = 'MMSPINE',
                 route: bool = False,
                 executable: str = 'Orthanc') -> None:
        self.work_dir = osp.abspath(work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.executable = shutil.which(executable) or executable
        self.dicom_port = free_port()
        self.http_port = free_port()
        self.ae_title = 'ORTHANC'
        self.node_port = node_port
        scripts = []
        if route:
            lua = osp.join(self.work_dir, 'route_spine.lua')
            with open(lua, 'w') as f:
                f.write(routing_lua())
            scripts.append(lua)
        self.config = orthanc_config(
            self.work_dir,
            node_port,
            node_ae,
            dicom_port=self.dicom_port,
            http_port=self.http_port,
            lua_scripts=scripts)
        self.config_path = osp.join(self.work_dir, 'orthanc.json')
        with open(self.config_path, 'w') as f:
            json.dump(self.config, f, indent=1)
        self.log_path = osp.join(self.work_dir, 'orthanc.log')
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.http_port}'

    @property
    def dest(self) -> str:
        """The node's ``--dest`` for this Orthanc."""
        return f'{self.ae_title}@127.0.0.1:{self.dicom_port}'

    def start(self, timeout: float = 30.) -> None:
        """Start Orthanc and wait until its REST API answers."""
        log = open(self.log_path, 'a')
        self.proc = subprocess.Popen([self.executable, self.config_path],
                                     stdout=log,
                                     stderr=subprocess.STDOUT,
                                     cwd=self.work_dir)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'Orthanc exited ({self.proc.returncode}); '
                                   f'see {self.log_path}')
            try:
                self.get('/system')
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f'Orthanc did not answer in {timeout} s; see '
                           f'{self.log_path}')

    def stop(self) -> None:
        """Stop Orthanc (its storage stays for the next :meth:`start`)."""
        stop_process(self.proc)
        self.proc = None

    # ------------------------------------------------------------------
    def _request(self,
                 method: str,
                 path: str,
                 data: Optional[bytes] = None,
                 content_type: str = 'application/json') -> bytes:
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header('Content-Type', content_type)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.read()

    def get(self, path: str) -> Any:
        """GET ``path`` of the REST API, decoded from JSON."""
        return json.loads(self._request('GET', path))

    def get_bytes(self, path: str) -> bytes:
        return self._request('GET', path)

    def post(self, path: str, body: Any) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        ctype = ('application/dicom'
                 if isinstance(body, bytes) else 'application/json')
        return json.loads(self._request('POST', path, data, ctype))

    def upload(self, path: str) -> dict:
        """Store a DICOM file into Orthanc (REST), as a modality would."""
        with open(path, 'rb') as f:
            return self.post('/instances', f.read())

    def find_instances(self, query: Dict[str, str]) -> list:
        """Instances matching ``query`` (``/tools/find``), with their main
        tags."""
        return self.post('/tools/find',
                         dict(Level='Instance', Query=query, Expand=True))


__all__ = [
    'NODE_NAME', 'OrthancProcess', 'free_port', 'orthanc_config',
    'routing_lua', 'stop_process'
]
