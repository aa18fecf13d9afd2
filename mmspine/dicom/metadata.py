"""DICOM header metadata of a folder of radiographs, as one CSV.

Headers are read with ``stop_before_pixels`` so no pixel data is loaded.
The columns ``image_id``, ``rows`` and ``columns`` are what the CSV to COCO
converter reads for image sizes.
"""
import csv
import os
import warnings
from typing import Dict, Optional

from pydicom.multival import MultiValue

from ..fileio import atomic_write
from ..jobs import JobSummary, describe_error, log_line
from .batch import find_dicom_files, image_id_of, parallel_map
from .convert import InputError, is_forced, read_dicom

OK = 'ok'
FAILED = 'failed'

#: Output column -> DICOM keyword; '' for columns computed here.
META_FIELDS = {
    'image_id': '',
    'status': '',
    'reason': '',
    'forced': '',
    'path': '',
    'file_size': '',
    'patient_id': 'PatientID',
    'study_uid': 'StudyInstanceUID',
    'series_uid': 'SeriesInstanceUID',
    'sop_uid': 'SOPInstanceUID',
    'rows': 'Rows',
    'columns': 'Columns',
    'photometric_interpretation': 'PhotometricInterpretation',
    'bits_allocated': 'BitsAllocated',
    'bits_stored': 'BitsStored',
    'pixel_representation': 'PixelRepresentation',
    'pixel_spacing_row': '',
    'pixel_spacing_col': '',
    'number_of_frames': 'NumberOfFrames',
    'transfer_syntax': '',
    'body_part': 'BodyPartExamined',
    'sex': 'PatientSex',
    'age': 'PatientAge',
    'modality': 'Modality',
    'manufacturer': 'Manufacturer',
}
META_COLUMNS = tuple(META_FIELDS)


def _text(value) -> str:
    if value is None:
        return ''
    # Multi-valued elements are joined the way DICOM writes them.
    if isinstance(value, (list, tuple, MultiValue)):
        return '\\'.join(str(v) for v in value)
    return str(value).strip()


def read_metadata(path: str) -> Dict[str, str]:
    """Read one file's header into a metadata row.

    Never raises for a bad file: ``status`` is 'failed' with a ``reason``
    when the file is not DICOM, lacks Rows/Columns or has a header value
    that cannot be read (e.g. a non-numeric Pixel Spacing). Legacy files
    without the DICM prefix are read as
    :func:`mmspine.dicom.convert.read_dicom` says, with ``forced`` 'yes'.

    Args:
        path (str): DICOM file.

    Returns:
        dict[str, str]: One value per column of :data:`META_COLUMNS`.
    """
    row = dict.fromkeys(META_COLUMNS, '')
    row.update(image_id=image_id_of(path), path=path, status=OK)
    try:
        row['file_size'] = str(os.path.getsize(path))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            ds = read_dicom(path, stop_before_pixels=True)
    except InputError as exc:
        return dict(row, status=FAILED, reason=str(exc))
    except Exception as exc:
        return dict(
            row,
            status=FAILED,
            reason=f'unreadable DICOM: {describe_error(exc)}')
    row['forced'] = 'yes' if is_forced(ds) else ''
    # A value that cannot be read or converted (e.g. a non-numeric
    # PixelSpacing) fails this file with a reason, never the batch.
    element = ''
    try:
        for column, keyword in META_FIELDS.items():
            if keyword:
                element = keyword
                row[column] = _text(ds.get(keyword))
        element = ('PixelSpacing'
                   if 'PixelSpacing' in ds else 'ImagerPixelSpacing')
        spacing = ds.get('PixelSpacing') or ds.get('ImagerPixelSpacing')
        if spacing is not None and len(spacing) == 2:
            row['pixel_spacing_row'] = str(float(spacing[0]))
            row['pixel_spacing_col'] = str(float(spacing[1]))
        element = 'TransferSyntaxUID'
        syntax = ds.file_meta.get('TransferSyntaxUID') if hasattr(
            ds, 'file_meta') else None
        row['transfer_syntax'] = _text(syntax)
    except Exception as exc:
        return dict(
            row,
            status=FAILED,
            reason=f'malformed {element}: {describe_error(exc)}')
    missing = [c for c in ('rows', 'columns') if not row[c]]
    if missing:
        row.update(status=FAILED, reason=f'missing {" and ".join(missing)}')
    return row


def parse_folder_metadata(in_dir: str,
                          out_csv: str,
                          *,
                          workers: int = 1,
                          progress: bool = True,
                          chunksize: Optional[int] = None) -> JobSummary:
    """Write the header metadata of every DICOM under ``in_dir`` to a CSV.

    Args:
        in_dir (str): Folder scanned recursively for ``*.dicom``/``*.dcm``.
        out_csv (str): CSV to write (atomically), columns
            :data:`META_COLUMNS`, sorted by image id.
        workers (int): Worker processes (1: this process).
        progress (bool): Show a progress bar.
        chunksize (int, optional): Files per task; headers are quick to
            read, so by default tasks are batched.

    Returns:
        JobSummary: the rows, files per status (ok, failed), the failures
        and the CSV (``summary.csv``).
    """
    files = find_dicom_files(in_dir)
    if chunksize is None:
        chunksize = max(1, min(64, len(files) // (4 * max(workers, 1))))
    rows = []
    for row in parallel_map(
            read_metadata,
            files,
            workers,
            total=len(files),
            desc='dicom meta',
            progress=progress,
            chunksize=chunksize):
        rows.append(row)
        if row['status'] == FAILED:
            log_line(f'{row["path"]}: failed: {row["reason"]}', progress)
    rows.sort(key=lambda r: (r['image_id'], r['path']))
    with atomic_write(out_csv, 'w', newline='') as f:
        writer = csv.DictWriter(f, META_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    summary = JobSummary(
        'dicom meta', statuses=(OK, FAILED), outputs=dict(csv=out_csv))
    summary.add_rows(rows, 'path')
    return summary
