"""Small file helpers shared by the preprocessing modules.

Free of torch, mmengine and mmdet (only the standard library), so that
:mod:`mmspine.dicom`, :mod:`mmspine.annotations` and :mod:`mmspine.phantom`
can use it.
"""
import hashlib
import os
import struct
from contextlib import contextmanager
from typing import IO, Callable, Iterator, Tuple

#: Marks the temporary file of an atomic write: ``<path>.tmp-<pid>``.
TMP_MARK = '.tmp-'

#: The 8 bytes every PNG file starts with.
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
#: The IEND chunk every complete PNG file ends with.
PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'


def temp_path(path: str) -> str:
    """The temporary file an atomic write of ``path`` goes through."""
    return f'{path}{TMP_MARK}{os.getpid()}'


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield the temporary path whose file replaces ``path`` on success.

    The one atomic write of mmspine: the caller writes the whole file to
    the yielded path in the same folder, which :func:`os.replace` then
    renames to ``path``; so ``path`` is either absent, the old file, or the
    complete new one, even if the process is killed. On any error,
    interruption included, the temporary file is removed and the error
    raised again. The folder of ``path`` is created if needed.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = temp_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def write_atomic(path: str, write_fn: Callable[[str], None]) -> None:
    """Write ``path`` in one step with ``write_fn(temporary_path)``, for
    writers that want a path (``pydicom``'s ``save_as``, ``cv2.imwrite``);
    see :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        write_fn(tmp)


@contextmanager
def atomic_write(path: str, mode: str = 'w', **kwargs) -> Iterator[IO]:
    """Open a file whose content replaces ``path`` only once it is complete.

    A context manager: the yielded file is a temporary one in the same
    folder (see :func:`atomic_path`), moved to ``path`` when the block ends
    without error, and removed when it raises.

    Args:
        path (str): File to write.
        mode (str): Write mode of :func:`open` ('w', 'wb', ...).
        **kwargs: Passed to :func:`open`, e.g. ``newline=''``.
    """
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


def read_png_size(path: str) -> Tuple[int, int]:
    """Read ``(width, height)`` from the IHDR chunk of a PNG.

    Only the first 24 bytes are read, so this is cheap enough for a whole
    data set.

    Raises:
        ValueError: if the file is not a PNG.
    """
    with open(path, 'rb') as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b'IHDR':
        raise ValueError(f'{path}: not a PNG file')
    width, height = struct.unpack('>II', head[16:24])
    return width, height


def png_is_complete(path: str) -> bool:
    """Whether ``path`` starts with the PNG signature and ends with IEND."""
    try:
        with open(path, 'rb') as f:
            head = f.read(len(PNG_SIGNATURE))
            f.seek(0, os.SEEK_END)
            if f.tell() < len(PNG_SIGNATURE) + len(PNG_END):
                return False
            f.seek(-len(PNG_END), os.SEEK_END)
            tail = f.read()
    except OSError:
        return False
    return head == PNG_SIGNATURE and tail == PNG_END


def sha256_file(path: str) -> str:
    """Hex SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    'TMP_MARK', 'PNG_SIGNATURE', 'PNG_END', 'temp_path', 'write_atomic',
    'atomic_write', 'read_png_size', 'png_is_complete', 'sha256_file'
]
