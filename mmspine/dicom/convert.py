"""Batch conversion of a folder of DICOM radiographs to 8-bit PNGs.

:func:`convert_folder` is the entry point: parallel, resumable, atomic, and
it never stops on a bad file. Each file gets a row in a report CSV (see
:data:`REPORT_COLUMNS`) with its status, the pixel path taken and, for
failures and fallbacks, a one-line reason.
"""
import csv
import functools
import os
import os.path as osp
import warnings
from typing import Dict, List, NamedTuple, Optional, Tuple

import cv2
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian)

from ..fileio import TMP_MARK, atomic_write, png_is_complete
from ..jobs import JobSummary, describe_error, log_line
from .batch import find_dicom_files, image_id_of, parallel_map
from .png import png_parts
from .voi import ConstantImageError, PixelError, to_uint8, voi_path

#: Statuses of a file in the report.
CONVERTED = 'converted'
FALLBACK = 'fallback'
CONSTANT = 'constant'
SKIPPED = 'skipped'
FAILED = 'failed'
#: Statuses whose PNG is complete and may be skipped on resume.
DONE_STATUSES = (CONVERTED, FALLBACK, CONSTANT, SKIPPED)

#: Columns of the conversion report. ``rows``/``columns`` are the DICOM's,
#: ``out_rows``/``out_columns`` the PNG's; ``scale`` is PNG / DICOM size
#: (per axis exactly ``out_columns / columns`` and ``out_rows / rows``);
#: ``forced`` is 'yes' for a legacy file read without the DICM prefix.
REPORT_COLUMNS = ('image_id', 'source', 'output', 'status', 'path', 'reason',
                  'mode', 'max_size', 'rows', 'columns', 'out_rows',
                  'out_columns', 'scale', 'forced')
REPORT_NAME = 'conversion_report.csv'

#: Uncompressed little-endian transfer syntaxes (fast decoding path).
_NATIVE_LE = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)

#: Image Pixel module elements that a file without the DICM prefix must
#: carry to be read (with ``force=True``), besides its pixel data.
FORCED_REQUIRED = ('SamplesPerPixel', 'PhotometricInterpretation', 'Rows',
                   'Columns', 'BitsAllocated', 'BitsStored',
                   'PixelRepresentation')
#: Transfer syntax of a forced file, by (implicit VR, little endian).
_SYNTAX_OF_ENCODING = {
    (True, True): ImplicitVRLittleEndian,
    (False, True): ExplicitVRLittleEndian,
    (False, False): ExplicitVRBigEndian,
}


class InputError(ValueError):
    """A DICOM file this converter cannot take, with the reason why."""


def read_dicom(path: str, stop_before_pixels: bool = False) -> Dataset:
    """Read a DICOM file, legacy files without the DICM prefix included.

    Files without the 128-byte preamble and 'DICM' prefix (ACR-NEMA style,
    old CR exports) are read again with ``force=True``. They are accepted
    only if they carry the Image Pixel module elements of
    :data:`FORCED_REQUIRED` and pixel data; their transfer syntax is the
    encoding pydicom found. :func:`is_forced` tells them apart.

    Args:
        path (str): DICOM file.
        stop_before_pixels (bool): Leave the pixel data out (it is still
            read, then dropped, for a forced file, to check it is there).

    Raises:
        InputError: Not a DICOM file, or unreadable.
    """
    try:
        return pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
    except InvalidDicomError:
        pass
    except Exception as exc:
        raise InputError(f'unreadable DICOM: {describe_error(exc)}') from None
    try:
        ds = pydicom.dcmread(path, force=True)
        missing = [k for k in FORCED_REQUIRED if k not in ds]
    except Exception as exc:
        raise InputError('not a DICOM file (no DICM prefix, and unreadable '
                         f'with force: {describe_error(exc)})') from None
    if 'PixelData' not in ds:
        missing.append('PixelData')
    if missing:
        raise InputError('not a DICOM file (no DICM prefix, and read with '
                         f'force it lacks {", ".join(missing)})')
    if 'TransferSyntaxUID' not in ds.file_meta:
        ds.file_meta.TransferSyntaxUID = _SYNTAX_OF_ENCODING[
            ds.original_encoding]
    if stop_before_pixels:
        del ds.PixelData
    return ds


def is_forced(ds: Dataset) -> bool:
    """Whether :func:`read_dicom` read ``ds`` with ``force=True``."""
    # pydicom keeps the preamble of every file it reads without force.
    return getattr(ds, 'preamble', b'') is None


def read_dataset(path: str) -> Dataset:
    """Read a DICOM file and check it is a single-frame greyscale image.

    Legacy files without the DICM prefix are read as :func:`read_dicom`
    says; :func:`is_forced` is True for them.

    Args:
        path (str): DICOM file.

    Returns:
        Dataset: The dataset, pixels not decoded yet.

    Raises:
        InputError: Not a DICOM file, no pixel data, colour or multi-frame.
    """
    ds = read_dicom(path)
    if 'PixelData' not in ds:
        raise InputError('no pixel data')
    spp = ds.get('SamplesPerPixel', 1)
    photometric = ds.get('PhotometricInterpretation', '')
    if spp != 1 or photometric not in ('MONOCHROME1', 'MONOCHROME2'):
        raise InputError(
            f'colour image ({photometric or "no"} photometric '
            f'interpretation, {spp} samples per pixel); only MONOCHROME1 '
            'and MONOCHROME2 are supported')
    frames = int(ds.get('NumberOfFrames') or 1)
    if frames != 1:
        raise InputError(f'multi-frame image ({frames} frames); only '
                         'single-frame images are supported')
    return ds


def _native_pixels(ds: Dataset) -> Optional[np.ndarray]:
    """``ds.pixel_array`` of an uncompressed 16-bit image, in fewer passes.

    pydicom copies the buffer, then clears the unused high bits with two
    in-place shifts; here one mask (unsigned) or shift (signed) reads the
    buffer directly. None for any other layout, which pydicom decodes.
    """
    syntax = ds.file_meta.get('TransferSyntaxUID')
    bits = ds.get('BitsStored')
    signed = ds.get('PixelRepresentation')
    if (syntax not in _NATIVE_LE or ds.get('BitsAllocated') != 16
            or signed not in (0, 1) or not isinstance(bits, int)
            or not 1 <= bits <= 16 or 'PixelData' not in ds):
        return None
    rows, columns = int(ds.Rows), int(ds.Columns)
    data = ds.PixelData
    if not isinstance(data, bytes) or len(data) < 2 * rows * columns:
        return None  # pydicom says what is wrong
    arr = np.frombuffer(
        data, '<i2' if signed else '<u2',
        count=rows * columns).reshape(rows, columns).astype(
            '=i2' if signed else '=u2', copy=False)
    shift = 16 - bits
    if not shift:
        return arr.copy()
    if not signed:
        return np.bitwise_and(arr, np.uint16((1 << bits) - 1))
    # Sign-extend from bit ``bits - 1``, as pydicom does.
    out = np.left_shift(arr, shift)
    return np.right_shift(out, shift, out=out)


def decode_pixels(ds: Dataset) -> np.ndarray:
    """Decode the stored pixels of a dataset from :func:`read_dataset`.

    The result equals ``ds.pixel_array``.

    Raises:
        InputError: Truncated pixel data, or a transfer syntax without an
            installed decoder.
    """
    try:
        arr = _native_pixels(ds)
        if arr is None:
            arr = ds.pixel_array
    except Exception as exc:
        syntax = ds.file_meta.get('TransferSyntaxUID', 'unknown')
        name = getattr(syntax, 'name', syntax)
        raise InputError(f'cannot decode pixel data ({name}): '
                         f'{describe_error(exc)}') from None
    if arr.ndim != 2:
        raise InputError(f'unexpected pixel array shape {arr.shape}')
    return arr


def read_pixels(path: str) -> Tuple[Dataset, np.ndarray]:
    """Read a single-frame greyscale DICOM and decode its stored pixels.

    Raises:
        InputError: See :func:`read_dataset` and :func:`decode_pixels`.
    """
    ds = read_dataset(path)
    return ds, decode_pixels(ds)


def max_size_shape(rows: int, columns: int,
                   max_size: Optional[int]) -> Tuple[int, int, float]:
    """Shape of an image after :func:`resize_to_max`, without resizing.

    Returns:
        tuple[int, int, float]: Rows, columns and the scale.
    """
    if not max_size or max(rows, columns) <= max_size:
        return rows, columns, 1.0
    scale = max_size / max(rows, columns)
    return (max(1, round(rows * scale)), max(1, round(columns * scale)), scale)


def resize_to_max(img: np.ndarray,
                  max_size: Optional[int]) -> Tuple[np.ndarray, float]:
    """Downscale so that the longer side is at most ``max_size``.

    Args:
        img (np.ndarray): Image, rows x columns.
        max_size (int, optional): Longest side in pixels; None or 0 keeps
            the image as is. Images are never upscaled.

    Returns:
        tuple[np.ndarray, float]: The image and the scale applied
        (``max_size / longer side``, or 1.0).
    """
    rows, columns, scale = max_size_shape(*img.shape[:2], max_size)
    if scale == 1.0:
        return img, scale
    return cv2.resize(
        img, (columns, rows), interpolation=cv2.INTER_AREA), scale


def write_png_atomic(img: np.ndarray, path: str) -> None:
    """Encode ``img`` as PNG and move it into place in one step.

    The bytes go to a temporary file in the same folder, then
    :func:`os.replace` renames it, so ``path`` is either absent, the old
    file, or the complete new one, even if the process is killed.
    """
    parts = png_parts(img)
    with atomic_write(path, 'wb') as f:
        f.writelines(parts)


def output_path(out_dir: str, image_id: str) -> str:
    """The PNG written for ``image_id``."""
    return osp.join(out_dir, f'{image_id}.png')


def _row(src: str, out: str, mode: str, max_size: Optional[int],
         **values) -> Dict[str, str]:
    row = dict.fromkeys(REPORT_COLUMNS, '')
    row.update(
        image_id=image_id_of(src),
        source=src,
        output=out,
        mode=mode,
        max_size=str(max_size or ''))
    row.update({k: '' if v is None else str(v) for k, v in values.items()})
    return row


def _first_warning(caught: List[warnings.WarningMessage]) -> str:
    for w in caught:
        lines = str(w.message).strip().splitlines()
        if lines:
            return f'warning: {lines[0]}'
    return ''


class DicomPixels(NamedTuple):
    """A DICOM's uint8 image exactly as dicom2png writes it to PNG.

    Attributes:
        image (np.ndarray): uint8 image, ``out rows x out columns``.
        status (str): :data:`CONVERTED`, :data:`FALLBACK` or
            :data:`CONSTANT` (written as zeros).
        path (str): The pixel path taken (see :mod:`mmspine.dicom.voi`).
        reason (str): Why a fallback was taken or the image is constant.
        rows (int): Rows of the DICOM.
        columns (int): Columns of the DICOM.
        scale (float): Output size / DICOM size, see :func:`resize_to_max`.
    """
    image: np.ndarray
    status: str
    path: str
    reason: str
    rows: int
    columns: int
    scale: float


def dataset_to_uint8(ds: Dataset,
                     mode: str = 'reference',
                     max_size: Optional[int] = None) -> DicomPixels:
    """Decode a dataset from :func:`read_dataset` to dicom2png's pixels.

    The one pixel path of the converter and of
    :class:`~mmspine.datasets.transforms.LoadSpineDICOM`.

    Args:
        ds (Dataset): Single-frame greyscale dataset.
        mode (str): Pixel mode, see :mod:`mmspine.dicom.voi`.
        max_size (int, optional): Longest side of the output, see
            :func:`resize_to_max`.

    Returns:
        DicomPixels: The image and how it was made.

    Raises:
        InputError: Pixel data that cannot be decoded (outside reference
            mode, whose fallback re-decodes).
        PixelError: Neither the mode nor its fallback could convert it.
    """
    rows, columns = int(ds.Rows), int(ds.Columns)
    decode_error = ''
    try:
        arr = decode_pixels(ds)
    except InputError as exc:
        if mode != 'reference':
            raise
        # The reference falls back on any error, decoding included.
        arr, decode_error = None, str(exc)
    try:
        img, path, reason = to_uint8(ds, mode, arr)
        status = FALLBACK if reason else CONVERTED
    except ConstantImageError as exc:
        # Min-max scaling would divide 0 by 0; keep the file in the data
        # set as a black image and say so.
        status, path = CONSTANT, ''
        img = np.zeros((rows, columns), np.uint8)
        value = ''
        if arr is not None:
            lo, hi = arr.min(), arr.max()
            value = (f' (stored value {lo})'
                     if lo == hi else f' (stored values {lo}-{hi})')
        reason = f'{exc}{value}; written as zeros'
        if mode == 'reference':
            path = voi_path(ds)
    except PixelError as exc:
        if decode_error:
            raise PixelError(f'{decode_error} (fallback failed too)') from exc
        raise
    img, scale = resize_to_max(img, max_size)
    return DicomPixels(img, status, path, reason, rows, columns, scale)


def dicom_to_uint8(path: str,
                   mode: str = 'reference',
                   max_size: Optional[int] = None) -> DicomPixels:
    """Read a DICOM file and return the pixels dicom2png writes for it.

    Raises:
        InputError: See :func:`read_dataset` and :func:`dataset_to_uint8`.
        PixelError: See :func:`dataset_to_uint8`.
    """
    return dataset_to_uint8(read_dataset(path), mode, max_size)


def convert_file(src: str,
                 out_dir: str,
                 mode: str = 'reference',
                 max_size: Optional[int] = None) -> Dict[str, str]:
    """Convert one DICOM file to ``out_dir/<image_id>.png``.

    Never raises for a bad file: the returned report row says what
    happened (see :data:`REPORT_COLUMNS`).

    Args:
        src (str): DICOM file.
        out_dir (str): Output folder (must exist).
        mode (str): Pixel mode, see :mod:`mmspine.dicom.voi`.
        max_size (int, optional): Longest side of the PNG, see
            :func:`resize_to_max`.

    Returns:
        dict[str, str]: The report row.
    """
    out = output_path(out_dir, image_id_of(src))
    row = functools.partial(_row, src, out, mode, max_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            ds = read_dataset(src)
            sizes = dict(
                rows=int(ds.Rows),
                columns=int(ds.Columns),
                forced='yes' if is_forced(ds) else '')
        except Exception as exc:
            return row(status=FAILED, output='', reason=_reason(exc))
        try:
            res = dataset_to_uint8(ds, mode, max_size)
        except Exception as exc:
            return row(status=FAILED, output='', reason=_reason(exc), **sizes)
        try:
            write_png_atomic(res.image, out)
        except Exception as exc:
            return row(
                status=FAILED,
                output='',
                path=res.path,
                reason=f'writing {out}: {_reason(exc)}',
                **sizes)
        return row(
            status=res.status,
            path=res.path,
            reason=res.reason or _first_warning(caught),
            out_rows=res.image.shape[0],
            out_columns=res.image.shape[1],
            scale=res.scale,
            **sizes)


def _reason(exc: Exception) -> str:
    if isinstance(exc, (InputError, PixelError)):
        return str(exc)
    return describe_error(exc)


def read_report(path: str) -> Dict[str, Dict[str, str]]:
    """Read a conversion report (or journal) into rows by image id.

    Missing or unreadable files give an empty dict; later rows win.
    """
    rows: Dict[str, Dict[str, str]] = {}
    try:
        with open(path, newline='') as f:
            for rec in csv.DictReader(f):
                if rec.get('image_id'):
                    rows[rec['image_id']] = {
                        k: rec.get(k) or ''
                        for k in REPORT_COLUMNS
                    }
    except (OSError, csv.Error, UnicodeDecodeError):
        pass
    return rows


def write_report(rows: List[Dict[str, str]], path: str) -> None:
    """Write report rows, sorted by image id, atomically."""
    with atomic_write(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r['image_id']))


def _is_done(prev: Optional[Dict[str, str]], out: str, mode: str,
             max_size: Optional[int]) -> bool:
    return (prev is not None and prev['status'] in DONE_STATUSES
            and prev['mode'] == mode
            and prev['max_size'] == str(max_size or '')
            and png_is_complete(out))


def _remove_stale_temps(out_dir: str) -> None:
    # Temporary files of a killed run: never complete, safe to drop.
    for name in os.listdir(out_dir):
        if TMP_MARK in name and name.endswith(tuple('0123456789')):
            try:
                os.remove(osp.join(out_dir, name))
            except OSError:
                pass


def convert_folder(in_dir: str,
                   out_dir: str,
                   *,
                   workers: int = 1,
                   mode: str = 'reference',
                   max_size: Optional[int] = None,
                   report: Optional[str] = None,
                   resume: bool = True,
                   progress: bool = True) -> JobSummary:
    """Convert every DICOM under ``in_dir`` to ``out_dir/<image_id>.png``.

    Args:
        in_dir (str): Folder of ``*.dicom`` / ``*.dcm`` files, scanned
            recursively; the image id is the file name without extension.
        out_dir (str): PNG folder, created if needed.
        workers (int): Worker processes (1: this process).
        mode (str): Pixel mode: 'reference' (default), 'modality' or
            'percentile'; see :mod:`mmspine.dicom.voi`.
        max_size (int, optional): Longest PNG side; larger images are
            downscaled with area interpolation and the scale recorded.
        report (str, optional): Report CSV; ``out_dir/conversion_report.csv``
            by default.
        resume (bool): Skip files whose PNG is complete and whose previous
            report row says it was converted with the same mode and size.
        progress (bool): Show a progress bar.

    Returns:
        JobSummary: report rows, counts per status, the failures and the
        report path (``summary.report``); ``exit_code`` is 1 when any
        file failed.
    """
    if mode not in ('reference', 'modality', 'percentile'):
        raise ValueError(f'unknown mode {mode!r}')
    os.makedirs(out_dir, exist_ok=True)
    _remove_stale_temps(out_dir)
    report = report or osp.join(out_dir, REPORT_NAME)
    journal = osp.join(
        osp.dirname(osp.abspath(report)), f'.{osp.basename(report)}.journal')
    previous = read_report(report) if resume else {}
    if resume:
        # Rows journaled by a run that was killed before its report.
        previous.update(read_report(journal))

    rows: Dict[str, Dict[str, str]] = {}
    first_source: Dict[str, str] = {}
    todo = []
    for src in find_dicom_files(in_dir):
        image_id = image_id_of(src)
        out = output_path(out_dir, image_id)
        if image_id in first_source:
            rows[f'{image_id}\0{src}'] = _row(
                src,
                '',
                mode,
                max_size,
                status=FAILED,
                reason=f'duplicate image id; {first_source[image_id]} '
                'is converted instead')
            continue
        first_source[image_id] = src
        prev = previous.get(image_id)
        if _is_done(prev, out, mode, max_size):
            kept = dict(prev, source=src, output=out, status=SKIPPED)
            if prev['status'] != SKIPPED:
                kept['reason'] = f'{prev["status"]} in a previous run'
            rows[image_id] = kept
        else:
            rows[image_id] = None
            todo.append(src)

    convert = functools.partial(
        convert_file, out_dir=out_dir, mode=mode, max_size=max_size)
    with open(journal, 'w', newline='') as jf:
        jw = csv.DictWriter(jf, REPORT_COLUMNS)
        jw.writeheader()
        # Keep skipped rows in the journal too, so a killed resume still
        # knows about them.
        jw.writerows(r for r in rows.values() if r)
        jf.flush()
        for row in parallel_map(
                convert,
                todo,
                workers,
                total=len(todo),
                desc='dicom2png',
                progress=progress):
            rows[row['image_id']] = row
            jw.writerow(row)
            jf.flush()
            if row['status'] in (FAILED, FALLBACK, CONSTANT):
                log_line(
                    f'{row["source"]}: {row["status"]}: '
                    f'{row["reason"]}', progress)
            if row['forced'] == 'yes':
                log_line(f'{row["source"]}: no DICM prefix, read forced',
                         progress)
    for key, row in rows.items():
        if row['status'] == FAILED and '\0' in key:
            log_line(f'{row["source"]}: failed: {row["reason"]}', progress)

    merged = {k: v for k, v in previous.items() if k not in rows}
    run_rows = list(rows.values())
    write_report(list(merged.values()) + run_rows, report)
    os.remove(journal)
    summary = JobSummary(
        'dicom2png',
        statuses=(CONVERTED, FALLBACK, CONSTANT, SKIPPED, FAILED),
        outputs=dict(report=report))
    summary.add_rows(run_rows, 'source')
    forced = sum(r.get('forced') == 'yes' for r in run_rows)
    if forced:
        summary.notes.append(f'{forced} without DICM prefix, read forced')
    return summary
