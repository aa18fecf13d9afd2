"""Inference results as data: box mapping, result dicts, findings files.

Torch-free. One result is the dict described in ``FINDINGS_SCHEMA``
(``findings.json`` holds a list of them); :func:`write_findings_csv`
writes the same findings in the VinDr CSV layout, so they go back through
``spinexr2coco`` and the evaluation (:func:`findings_csv_to_coco_results`).
"""
import csv
import json
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..annotations import png_to_original_boxes
from ..annotations.spinexr_to_coco import ANNOTATION_COLUMNS
from ..evaluation.detections import read_findings_csv
from ..fileio import atomic_write
from ..metainfo import NO_FINDING

#: Columns of ``findings.csv``: the VinDr annotation CSV's, then the box
#: score and the image's p(abnormal) (empty without classifiers).
FINDINGS_CSV_COLUMNS = ANNOTATION_COLUMNS + ('score', 'p_abnormal')
#: ``rad_id`` of the rows of ``findings.csv``.
RAD_ID = 'mmspine'
OK = 'ok'
FAILED = 'failed'


def boxes_to_original(boxes: np.ndarray,
                      converted_shape: Tuple[int, int],
                      original_shape: Tuple[int, int],
                      scale_factor: Optional[Tuple[float, float]] = None
                      ) -> np.ndarray:
    """Map xyxy boxes back to the original (DICOM) pixel grid.

    Undoes, in reverse order, the test pipeline's resize (when the boxes
    are in the model input's grid; mmdet's ``rescale=True`` already does
    this) and the conversion's ``max_size`` downscale.

    Args:
        boxes (np.ndarray): ``(N, 4)`` xyxy boxes.
        converted_shape (tuple[int, int]): ``(rows, columns)`` of the
            converted 8-bit image (the PNG dicom2png would write).
        original_shape (tuple[int, int]): ``(rows, columns)`` of the source.
        scale_factor (tuple[float, float], optional): ``(w_scale,
            h_scale)`` of the test pipeline's ``Resize``, when ``boxes`` are
            in the resized grid.

    Returns:
        np.ndarray: float64 ``(N, 4)`` boxes, not clipped.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if scale_factor is not None:
        sx, sy = scale_factor
        boxes = boxes / np.array([sx, sy, sx, sy], dtype=np.float64)
    (h, w), (rows, cols) = converted_shape, original_shape
    return png_to_original_boxes(boxes, (w, h), (cols, rows))


def failed_result(source: str, image_id: str, reason: str) -> dict:
    """The result of an input that could not be processed."""
    return dict(
        source=source,
        image_id=image_id,
        status=FAILED,
        reason=reason,
        is_dicom=None,
        study_instance_uid=None,
        series_instance_uid=None,
        sop_instance_uid=None,
        sop_class_uid=None,
        rows=None,
        columns=None,
        pixel_spacing=None,
        p_abnormal=None,
        abnormal=None,
        rule=None,
        findings=[],
        model=None)


def make_result(source: str,
                image_id: str,
                header: dict,
                boxes: np.ndarray,
                scores: np.ndarray,
                labels: np.ndarray,
                classes: Sequence[str],
                p_abnormal: Optional[float] = None,
                rule: Optional[Tuple[float, float]] = None,
                model: Optional[dict] = None) -> dict:
    """Assemble one result dict (``FINDINGS_SCHEMA``).

    Args:
        source (str): Input path ('' for arrays).
        image_id (str): Its VinDr image id (the file stem).
        header (dict): ``is_dicom``, the four UIDs, ``rows``, ``columns``
            and ``pixel_spacing`` (row, column mm or None).
        boxes (np.ndarray): ``(N, 4)`` xyxy in the original grid.
        scores (np.ndarray): ``(N,)`` scores.
        labels (np.ndarray): ``(N,)`` class indices into ``classes``.
        classes (Sequence[str]): The detector's class names, by label.
        p_abnormal (float, optional): Classifier ensemble probability.
        rule (tuple, optional): ``(c, k)`` of the decision rule.
        model (dict, optional): ``detectors`` and ``classifiers`` names.

    Returns:
        dict: The result, findings by decreasing score.
    """
    spacing = header.get('pixel_spacing')
    findings = []
    for i in np.argsort(-np.asarray(scores), kind='stable'):
        box = [float(v) for v in boxes[i]]
        box_mm = None
        if spacing is not None:
            row_mm, col_mm = spacing
            box_mm = [
                box[0] * col_mm, box[1] * row_mm, box[2] * col_mm,
                box[3] * row_mm
            ]
        findings.append(
            dict(
                label=int(labels[i]),
                lesion_type=classes[int(labels[i])],
                score=float(scores[i]),
                bbox=box,
                bbox_mm=box_mm))
    abnormal = None
    if p_abnormal is not None and rule is not None:
        abnormal = bool(p_abnormal >= rule[0])
    result = dict(source=source, image_id=image_id, status=OK, reason='')
    for key in ('is_dicom', 'study_instance_uid', 'series_instance_uid',
                'sop_instance_uid', 'sop_class_uid', 'rows', 'columns',
                'pixel_spacing'):
        result[key] = header.get(key)
    result.update(
        p_abnormal=None if p_abnormal is None else float(p_abnormal),
        abnormal=abnormal,
        rule=None if rule is None else dict(c=rule[0], k=rule[1]),
        findings=findings,
        model=model)
    return result


def write_json(obj, path: str) -> None:
    """Write ``obj`` as JSON, atomically."""
    with atomic_write(path, 'w') as f:
        json.dump(obj, f, indent=1)


def write_findings_json(results: Sequence[dict], path: str, **info) -> None:
    """Write ``{"results": [...], **info}`` atomically."""
    write_json(dict(info, results=list(results)), path)


def findings_rows(result: dict) -> List[Dict[str, str]]:
    """The ``findings.csv`` rows of one successful result.

    One row per finding; an image without findings gets one 'No finding'
    row, as in the VinDr CSVs, so that it is still listed.
    """
    base = dict.fromkeys(FINDINGS_CSV_COLUMNS, '')
    p = result.get('p_abnormal')
    base.update(
        image_id=result['image_id'],
        study_id=result.get('study_instance_uid') or '',
        series_id=result.get('series_instance_uid') or '',
        rad_id=RAD_ID,
        p_abnormal='' if p is None else repr(float(p)))
    if not result['findings']:
        return [dict(base, lesion_type=NO_FINDING)]
    rows = []
    for f in result['findings']:
        x1, y1, x2, y2 = (repr(float(v)) for v in f['bbox'])
        rows.append(
            dict(
                base,
                lesion_type=f['lesion_type'],
                xmin=x1,
                ymin=y1,
                xmax=x2,
                ymax=y2,
                score=repr(float(f['score']))))
    return rows


def write_findings_csv(results: Sequence[dict], path: str) -> int:
    """Write the findings of the successful results; returns the rows."""
    rows = [
        row for r in sorted(results, key=lambda r: r['image_id'])
        if r['status'] == OK for row in findings_rows(r)
    ]
    with atomic_write(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, FINDINGS_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def findings_csv_to_coco_results(findings_csv: str,
                                 gt_coco: dict,
                                 meta_csv: Optional[str] = None,
                                 image_dir: Optional[str] = None
                                 ) -> List[dict]:
    """Read ``findings.csv`` back as COCO results on a PNG data set.

    :func:`~mmspine.evaluation.detections.read_findings_csv`, strict: the
    classes are the categories of ``gt_coco`` (an unknown one is an error
    naming the file, the line and the known classes), and an image that
    ``gt_coco`` lacks is an error too.

    Args:
        findings_csv (str): ``findings.csv`` of ``tools/infer.py``.
        gt_coco (dict): COCO ground truth of the PNGs.
        meta_csv (str, optional): The dicom2png report of the PNGs, for
            the original sizes when ``gt_coco`` does not give them.
        image_dir (str, optional): The PNG folder.

    Returns:
        list[dict]: COCO result dicts (``image_id``, ``category_id``,
        ``bbox`` as xywh, ``score``).
    """
    return read_findings_csv(findings_csv, gt_coco, meta_csv,
                             image_dir).check(findings_csv)


__all__ = [
    'FINDINGS_CSV_COLUMNS', 'RAD_ID', 'boxes_to_original', 'failed_result',
    'findings_csv_to_coco_results', 'findings_rows', 'make_result',
    'write_findings_csv', 'write_findings_json', 'write_json'
]
