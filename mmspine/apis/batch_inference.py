"""A batch of radiographs through :class:`SpineInferencer` into a folder.

What ``tools/infer.py`` runs. Each input's outputs (overlay, SR) are
written first and its ``results/<image_id>.json`` last, atomically, so a
rerun skips exactly the inputs that are complete. A bad input gets one
line on stderr and a row in the report; the batch goes on.
"""
import csv
import json
import os
import os.path as osp
import sys
import time
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from tqdm import tqdm

from ..fileio import atomic_write
from ..jobs import PARTIAL, JobSummary, describe_error, log_line
from ..thresholds import OVERLAY_SCORE_THR
from ..version import __version__
from .findings import (FAILED, OK, failed_result, write_findings_csv,
                       write_findings_json, write_json)
from .inputs import InferenceInput, LoadedImage, collect_inputs
from .overlay import OVERLAY_SIZE, draw_overlay

#: Columns of the report CSV: one row per input.
REPORT_COLUMNS = ('image_id', 'source', 'status', 'reason', 'findings',
                  'p_abnormal')
REPORT_NAME = 'infer_report.csv'
DONE = 'done'
SKIPPED = 'skipped'


def _paths(out_dir: str, image_id: str) -> Dict[str, str]:
    return dict(
        result=osp.join(out_dir, 'results', f'{image_id}.json'),
        overlay=osp.join(out_dir, 'overlays', f'{image_id}.png'),
        sr=osp.join(out_dir, 'sr', f'{image_id}.dcm'))


def _previous(item: InferenceInput, paths: Dict[str, str], settings: dict,
              overlays: bool, sr: bool) -> Optional[dict]:
    """The saved result of ``item`` if all its outputs are complete."""
    try:
        with open(paths['result']) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict):
        return None
    result = saved.get('result')
    if (saved.get('settings') != settings or not isinstance(result, dict)
            or result.get('source') != item.source
            or result.get('status') != OK):
        return None
    if overlays and not osp.isfile(paths['overlay']):
        return None
    if sr and result.get('is_dicom') and not osp.isfile(paths['sr']):
        return None
    return result


def _write_outputs(inferencer, result: dict, image: LoadedImage,
                   paths: Dict[str, str], settings: dict, overlays: bool,
                   sr: bool, overlay_size: Optional[int],
                   overlay_score_thr: float) -> Tuple[List[str], List[str]]:
    """Write one input's outputs.

    The findings never depend on the overlay or the SR: an output that
    cannot be written is a problem of the input (status 'partial'), and its
    result JSON is written all the same.

    Returns:
        tuple: notes (values repaired, boxes clipped) and problems (an
        output not written, and why) for the report.
    """
    notes, problems = [], []
    if overlays:
        try:
            _write_overlay(inferencer, result, image, paths['overlay'],
                           overlay_size, overlay_score_thr)
        except Exception as exc:
            problems.append(f'overlay not written: {describe_error(exc)}')
            _remove_stale(paths['overlay'])
    if sr and result['is_dicom']:
        from ..dicom.sr import (BoxClippedWarning, HeaderRepairWarning,
                                write_findings_sr)
        noted = (BoxClippedWarning, HeaderRepairWarning)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always', noted)
                os.makedirs(osp.dirname(paths['sr']), exist_ok=True)
                write_findings_sr(image.dataset, result, paths['sr'])
        except Exception as exc:
            problems.append(f'SR not written: {describe_error(exc)}')
            _remove_stale(paths['sr'])
        for w in caught:
            if issubclass(w.category, noted):
                notes.append(f'note: {w.message}')
            else:
                warnings.warn_explicit(w.message, w.category, w.filename,
                                       w.lineno)
    # last: its presence marks the input as complete (a rerun redoes an
    # input whose overlay or SR is missing)
    write_json(dict(settings=settings, result=result), paths['result'])
    return notes, problems


def _remove_stale(path: str) -> None:
    """Remove an earlier run's output that this run could not redo: it
    would show findings that are no longer the input's."""
    if osp.isfile(path):
        os.remove(path)


def _write_overlay(inferencer, result: dict, image: LoadedImage, path: str,
                   overlay_size: Optional[int],
                   overlay_score_thr: float) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    pixels = image.pixels[inferencer.detectors[0].mode]
    canvas = draw_overlay(
        pixels, result, overlay_size, min_score=overlay_score_thr)
    ok, png = cv2.imencode('.png', canvas)
    if not ok:
        raise OSError(f'PNG encoding failed for {path}')
    with atomic_write(path, 'wb') as f:
        f.write(png.tobytes())


def infer_to_dir(inferencer,
                 inputs: Sequence[Union[str, np.ndarray]],
                 out_dir: str,
                 overlays: bool = True,
                 sr: bool = False,
                 resume: bool = True,
                 progress: bool = True,
                 overlay_size: Optional[int] = OVERLAY_SIZE,
                 overlay_score_thr: float = OVERLAY_SCORE_THR) -> JobSummary:
    """Run ``inferencer`` on files and folders; write everything to a folder.

    ``out_dir`` gets ``findings.json`` (every input's result),
    ``findings.csv`` (VinDr CSV rows plus score and p_abnormal),
    ``infer_report.csv`` (one row per input: done, partial, skipped or
    failed, and why or what was repaired), ``results/`` (one JSON per
    input, for resuming), and with the switches ``overlays/`` (PNG per
    input) and ``sr/`` (DICOM SR per DICOM input,
    ``mmspine.dicom.sr.write_findings_sr``).

    Args:
        inferencer (SpineInferencer): The models.
        inputs (Sequence): Files, folders (recursive) or arrays.
        out_dir (str): Output folder.
        overlays (bool): Draw the findings on a downscaled image.
        sr (bool): Write a DICOM SR per DICOM input.
        resume (bool): Skip inputs whose outputs are complete and were made
            with the same settings.
        progress (bool): Show a progress bar (images/s).
        overlay_size (int, optional): Long side of the overlays.
        overlay_score_thr (float): Findings scoring lower are not drawn.

    Returns:
        JobSummary: results, report rows, counts, failures and the files
        written; ``exit_code`` is 1 when any input failed, else 3 when an
        input is partial (its findings kept, its overlay or SR not
        written).
    """
    if sr:
        # fail now, not after the first batch
        from ..dicom.sr import write_findings_sr  # noqa: F401
    items = collect_inputs(inputs)
    os.makedirs(osp.join(out_dir, 'results'), exist_ok=True)
    settings = json.loads(json.dumps(inferencer.settings()))
    results: Dict[int, dict] = {}
    status: Dict[int, str] = {}
    notes: Dict[int, str] = {}
    todo: List[int] = []
    first: Dict[str, str] = {}
    for i, item in enumerate(items):
        if item.image_id in first:
            results[i] = failed_result(
                item.source, item.image_id,
                f'duplicate image id; {first[item.image_id]} is processed '
                'instead')
            status[i] = FAILED
            log_line(f'{item.source}: {results[i]["reason"]}', progress)
            continue
        first[item.image_id] = item.source or item.image_id
        prev = _previous(item, _paths(out_dir, item.image_id), settings,
                         overlays, sr) if resume and item.source else None
        if prev is not None:
            results[i], status[i] = prev, SKIPPED
        else:
            todo.append(i)

    bar = tqdm(
        total=len(todo),
        desc='infer',
        unit='img',
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True)
    try:
        pending = iter(todo)
        for batch in inferencer.iter_batches([items[i] for i in todo]):
            done = [next(pending) for _ in batch]
            for i, (item, image, result) in zip(done, batch):
                results[i], status[i] = result, DONE
                if result['status'] != OK:
                    status[i] = FAILED
                    continue
                start_write = time.perf_counter()
                try:
                    found, problems = _write_outputs(
                        inferencer, result, image,
                        _paths(out_dir, item.image_id), settings, overlays, sr,
                        overlay_size, overlay_score_thr)
                except Exception as exc:
                    # the result JSON itself: the findings are still in
                    # findings.json and findings.csv
                    found, problems = [], [
                        f'result not saved: {describe_error(exc)}'
                    ]
                if problems:
                    status[i] = PARTIAL
                notes[i] = '; '.join(problems + found)
                inferencer.timings['writing'] += \
                    time.perf_counter() - start_write
            for i in done:
                if status[i] == FAILED:
                    log_line(
                        f'{items[i].source or items[i].image_id}: failed: '
                        f'{results[i]["reason"]}', progress)
                elif status[i] == PARTIAL:
                    log_line(
                        f'{items[i].source or items[i].image_id}: partial: '
                        f'{notes[i]}', progress)
                elif notes.get(i):
                    # (the note names the file)
                    log_line(notes[i], progress)
            bar.update(len(batch))
    finally:
        bar.close()

    ordered = [results[i] for i in range(len(items))]
    start_write = time.perf_counter()
    summary = JobSummary(
        'infer',
        unit='inputs',
        statuses=(DONE, PARTIAL, SKIPPED, FAILED),
        results=ordered,
        outputs={
            'findings': osp.join(out_dir, 'findings.json'),
            'findings_csv': osp.join(out_dir, 'findings.csv'),
            'report': osp.join(out_dir, REPORT_NAME)
        })
    summary.add_rows([
        dict(
            image_id=result['image_id'],
            source=result['source'],
            status=status[i],
            reason=result['reason'] or notes.get(i, ''),
            findings=len(result['findings']),
            p_abnormal='' if result.get('p_abnormal') is None else
            f'{result["p_abnormal"]:.6f}') for i, result in enumerate(ordered)
    ], 'source')
    write_findings_json(
        ordered,
        summary.findings,
        mmspine_version=__version__,
        settings=settings)
    write_findings_csv(ordered, summary.findings_csv)
    with atomic_write(summary.report, 'w', newline='') as f:
        writer = csv.DictWriter(f, REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(summary.rows)
    inferencer.timings['writing'] += time.perf_counter() - start_write
    return summary


__all__ = ['REPORT_COLUMNS', 'collect_inputs', 'infer_to_dir']
