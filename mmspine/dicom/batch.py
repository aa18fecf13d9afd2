"""Finding DICOM files and mapping a function over them in parallel.

Shared by the PNG converter and the metadata parser: both run one
self-contained, picklable function per file, which reports failures in its
result instead of raising, so one bad file never stops a batch.
"""
import multiprocessing
import os
import os.path as osp
import sys
from typing import Callable, Iterable, Iterator, List, Optional, Sequence

from tqdm import tqdm

#: File name endings taken as DICOM when scanning a folder.
DICOM_EXTENSIONS = ('.dicom', '.dcm')


def find_dicom_files(in_dir: str,
                     extensions: Sequence[str] = DICOM_EXTENSIONS
                     ) -> List[str]:
    """Return the DICOM files under ``in_dir``, recursively, sorted.

    Args:
        in_dir (str): Folder to scan.
        extensions (Sequence[str]): Endings to accept, case-insensitive.

    Returns:
        list[str]: File paths.
    """
    if not osp.isdir(in_dir):
        raise FileNotFoundError(f'input folder not found: {in_dir}')
    exts = tuple(e.lower() for e in extensions)
    found = []
    for root, dirs, files in os.walk(in_dir):
        dirs.sort()
        found.extend(
            osp.join(root, name) for name in sorted(files)
            if name.lower().endswith(exts) and not name.startswith('.'))
    return found


def image_id_of(path: str) -> str:
    """The image id of a DICOM file: its name without the extension."""
    return osp.splitext(osp.basename(path))[0]


def _init_worker() -> None:
    # Each worker is one process on one core: keep OpenCV from starting a
    # thread pool per worker that would fight the other workers.
    import cv2
    cv2.setNumThreads(1)


def parallel_map(fn: Callable,
                 items: Iterable,
                 workers: int = 1,
                 total: Optional[int] = None,
                 desc: str = '',
                 progress: bool = True,
                 chunksize: int = 1) -> Iterator:
    """Yield ``fn(item)`` for each item, in completion order.

    Args:
        fn (Callable): Picklable function (module level or a partial of
            one) that does not raise for per-item failures.
        items (Iterable): Arguments, one per call.
        workers (int): Worker processes; 1 runs in this process.
        total (int, optional): Number of items, for the progress bar.
        desc (str): Progress bar label.
        progress (bool): Show a tqdm progress bar on stderr.
        chunksize (int): Items handed to a worker at a time.

    Yields:
        The results of ``fn``.
    """
    bar = tqdm(
        total=total,
        desc=desc,
        unit='img',
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True)
    try:
        if workers <= 1:
            for item in items:
                yield fn(item)
                bar.update()
            return
        ctx = multiprocessing.get_context()
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            for result in pool.imap_unordered(fn, items, chunksize):
                yield result
                bar.update()
    finally:
        bar.close()
