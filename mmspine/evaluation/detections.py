"""Detection results read from files, as COCO result dicts.

One reader per format: a ``tools/test.py --out`` pickle, a COCO results
JSON (``SpineXRMetric``'s ``outfile_prefix``), ``findings.json`` and
``findings.csv`` (``tools/infer.py``). Every one gives COCO result dicts
(``image_id``, ``category_id``, ``bbox`` as xywh in the annotation file's
pixel grid, ``score``) against one COCO ground truth, so that fusion, the
report, the results visualizer and the findings evaluation read the same
file the same way.

A pickle holds label indices. They follow mmdet's ``CocoDataset``: its
``cat_ids`` are ``get_cat_ids(cat_names=classes)``, the categories of the
file whose name is one of the classes, in the file's order, and label ``i``
is ``cat_ids[i]`` (:func:`label_cat_ids`). Findings name their class;
an unknown name is an error naming the file, the row and the known
classes. Free of torch and mmdet.
"""
import csv
import json
import os.path as osp
import pickle
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from pycocotools.coco import COCO

from ..annotations.spinexr_to_coco import (original_to_png_boxes,
                                           resolve_image_sizes)
from ..metainfo import NO_FINDING

#: ``status`` of a successful result in ``findings.json``.
_OK = 'ok'


def _dataset(coco: Union[dict, COCO]) -> dict:
    return coco.dataset if isinstance(coco, COCO) else coco


def label_cat_ids(coco: Union[dict, COCO],
                  classes: Optional[Sequence[str]] = None,
                  source: str = 'the annotation file') -> List[int]:
    """COCO category id of each label index, as mmdet's CocoDataset has it.

    Args:
        coco (dict | COCO): The annotation file.
        classes (Sequence[str], optional): The dataset's classes (config
            ``metainfo``, checkpoint ``dataset_meta``). Defaults to all
            categories of the file.
        source (str): Names the annotation file in errors.

    Returns:
        list[int]: The file's categories named in ``classes``, in the
        file's order (``getCatIds(catNms=classes)``).

    Raises:
        KeyError: naming the classes the file lacks.
    """
    cats = _dataset(coco)['categories']
    if classes is None:
        return [c['id'] for c in cats]
    names = {c['name'] for c in cats}
    missing = [c for c in classes if c not in names]
    if missing:
        raise KeyError(f'{source} lacks the classes {missing}; its '
                       f'categories are {sorted(names)}')
    wanted = set(classes)
    return [c['id'] for c in cats if c['name'] in wanted]


def images_by_stem(coco: Union[dict, COCO]) -> Dict[str, dict]:
    """File name stem (the VinDr image id) -> COCO image."""
    return {
        osp.splitext(osp.basename(img['file_name']))[0]: img
        for img in _dataset(coco)['images']
    }


@dataclass
class ReadDetections:
    """What a reader found.

    Attributes:
        detections (list[dict]): COCO result dicts.
        image_paths (dict[int, str]): COCO image id -> image file, where
            the file says (a pickle's ``img_path``).
        problems (list[str]): One line per result that was left out: an
            image the annotation file lacks, a failed inference.
    """
    detections: List[dict] = field(default_factory=list)
    image_paths: Dict[int, str] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)

    def check(self, path: str) -> List[dict]:
        """The detections; raises when anything was left out."""
        if self.problems:
            listed = '; '.join(self.problems[:5])
            more = len(self.problems) - 5
            raise ValueError(f'{path}: {len(self.problems)} results left '
                             f'out: {listed}' +
                             (f' and {more} more' if more > 0 else ''))
        return self.detections


def _xyxy_to_xywh(box) -> List[float]:
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1, y2 - y1]


def read_pickle(path: str,
                coco: Union[dict, COCO],
                classes: Optional[Sequence[str]] = None) -> ReadDetections:
    """Read a ``tools/test.py --out`` pickle (mmengine's DumpDetResults).

    Args:
        path (str): The pickle.
        coco (dict | COCO): Ground truth, for the category ids.
        classes (Sequence[str], optional): The detector's dataset classes;
            labels are numbered by :func:`label_cat_ids`. Defaults to all
            categories of the file.

    Raises:
        ValueError: naming the file and the sample that is not such an
            entry or has a label beyond the classes.
    """
    cat_ids = label_cat_ids(coco, classes)
    names = {c['id']: c['name'] for c in _dataset(coco)['categories']}
    images = {img['id'] for img in _dataset(coco)['images']}
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    out = ReadDetections()
    for n, sample in enumerate(samples):
        try:
            img_id = int(sample['img_id'])
            pred = sample['pred_instances']
            boxes = np.asarray(pred['bboxes'], np.float64).reshape(-1, 4)
            scores = np.asarray(pred['scores'], np.float64).reshape(-1)
            labels = np.asarray(pred['labels']).reshape(-1).astype(int)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'{path}: sample {n} is not a DumpDetResults '
                             f'entry: {e!r}') from None
        bad = labels[(labels < 0) | (labels >= len(cat_ids))]
        if bad.size:
            raise ValueError(
                f'{path}: sample {n} has label {int(bad[0])}, but the '
                f'classes are {[names[c] for c in cat_ids]} (labels 0-'
                f'{len(cat_ids) - 1}); give the detector\'s classes')
        if img_id not in images:
            out.problems.append(f'sample {n}: image id {img_id} is not in '
                                'the annotation file')
            continue
        if sample.get('img_path'):
            out.image_paths[img_id] = sample['img_path']
        for box, score, label in zip(boxes, scores, labels):
            out.detections.append(
                dict(
                    image_id=img_id,
                    category_id=int(cat_ids[label]),
                    bbox=_xyxy_to_xywh(box),
                    score=float(score)))
    return out


def read_coco_results(path: str,
                      coco: Union[dict, COCO],
                      data: Optional[list] = None) -> ReadDetections:
    """Read a COCO results JSON (a list of result dicts).

    Raises:
        ValueError: naming the file, the entry and the known categories
            for an entry that is malformed or of an unknown category.
    """
    if data is None:
        with open(path) as f:
            data = json.load(f)
    if not isinstance(data, list):
        raise ValueError(f'{path}: expected a list of COCO results')
    cats = {c['id']: c['name'] for c in _dataset(coco)['categories']}
    images = {img['id'] for img in _dataset(coco)['images']}
    out = ReadDetections()
    unknown = set()
    for n, det in enumerate(data):
        try:
            image_id, cat = det['image_id'], det['category_id']
            bbox = [float(v) for v in det['bbox']]
            score = float(det['score'])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'{path}: result {n} is malformed: '
                             f'{e!r}') from None
        if cat not in cats:
            raise ValueError(f'{path}: result {n} has category_id {cat!r}; '
                             f'the known categories are {cats}')
        if image_id not in images:
            unknown.add(image_id)
            continue
        out.detections.append(
            dict(image_id=image_id, category_id=cat, bbox=bbox, score=score))
    out.problems.extend(f'image id {i}: in the results but not in the '
                        'annotation file' for i in sorted(unknown, key=str))
    return out


def read_findings_json(path: str,
                       coco: Union[dict, COCO],
                       data: Optional[Union[dict,
                                            list]] = None) -> ReadDetections:
    """Read ``tools/infer.py``'s ``findings.json``.

    Results are matched to the COCO images by file stem; their boxes, in
    the source's pixel grid (``rows`` x ``columns``), are scaled to the
    COCO image's size. Failed inferences and images the annotation file
    lacks are problems; an unknown lesion type is an error.
    """
    if data is None:
        with open(path) as f:
            data = json.load(f)
    results = data.get('results') if isinstance(data, dict) else data
    if not isinstance(results, list):
        raise ValueError(f'{path}: a findings.json holds "results", a list')
    cats = {c['name']: c['id'] for c in _dataset(coco)['categories']}
    images = images_by_stem(coco)
    out = ReadDetections()
    for n, item in enumerate(results):
        stem = str(
            item.get('image_id')
            or osp.splitext(osp.basename(item.get('source') or ''))[0])
        img = images.get(stem)
        if img is None:
            out.problems.append(f'results[{n}] ({stem or "?"}): no image of '
                                'the annotation file has this file stem')
            continue
        if item.get('status', _OK) != _OK:
            out.problems.append(f'results[{n}] ({stem}): inference failed '
                                f'({item.get("reason", "")})')
            continue
        try:
            sx = img['width'] / float(item['columns'])
            sy = img['height'] / float(item['rows'])
        except (KeyError, TypeError, ZeroDivisionError) as e:
            raise ValueError(f'{path}: results[{n}] ({stem}) needs positive '
                             f'"rows" and "columns": {e!r}') from None
        for m, finding in enumerate(item.get('findings') or []):
            name = finding.get('lesion_type')
            if name not in cats:
                raise ValueError(
                    f'{path}: results[{n}].findings[{m}] ({stem}): unknown '
                    f'lesion type {name!r}; the known classes are '
                    f'{list(cats)}')
            x1, y1, x2, y2 = (float(v) for v in finding['bbox'])
            out.detections.append(
                dict(
                    image_id=img['id'],
                    category_id=cats[name],
                    bbox=[x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy],
                    score=float(finding['score'])))
    return out


def read_findings_csv(path: str,
                      coco: Union[dict, COCO],
                      meta_csv: Optional[str] = None,
                      image_dir: Optional[str] = None) -> ReadDetections:
    """Read ``tools/infer.py``'s ``findings.csv`` (the VinDr CSV layout
    with a ``score`` column).

    Boxes are in the original (DICOM) grid and are scaled to the COCO
    image's size and clipped to it, as the conversion does annotations.
    The original size is the image's ``original_width`` and
    ``original_height`` (written by ``spinexr2coco``), else the one
    ``meta_csv`` (dicom2png or metadata report) gives, else the COCO
    image's own. 'No finding' rows only list an image.

    Raises:
        ValueError: naming the file, the line and the known classes for an
            unknown lesion type; naming the line for a malformed row.
    """
    cats = {c['name']: c['id'] for c in _dataset(coco)['categories']}
    images = images_by_stem(coco)
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = {
            'image_id', 'lesion_type', 'xmin', 'ymin', 'xmax', 'ymax', 'score'
        } - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f'{path}: missing columns {sorted(missing)}')
        rows = list(enumerate(reader, start=2))
    stems = sorted({r['image_id'] for _, r in rows} - {''})
    sizes = {}
    if meta_csv is not None or image_dir is not None:
        sizes, _ = resolve_image_sizes(stems, meta_csv, image_dir)
    out = ReadDetections()
    unknown = set()
    for line, row in rows:
        stem, name = row['image_id'], row['lesion_type']
        if name != NO_FINDING and name not in cats:
            raise ValueError(f'{path}:{line}: unknown lesion_type {name!r} '
                             f'(image {stem!r}); the known classes are '
                             f'{list(cats)}')
        img = images.get(stem)
        if img is None:
            unknown.add(stem)
            continue
        if name == NO_FINDING:
            continue
        try:
            box = np.array(
                [float(row[k]) for k in ('xmin', 'ymin', 'xmax', 'ymax')])
            score = float(row['score'])
        except (TypeError, ValueError) as e:
            raise ValueError(f'{path}:{line}: malformed box or score: '
                             f'{e!r}') from None
        png = (img['width'], img['height'])
        if 'original_width' in img and 'original_height' in img:
            original = (img['original_width'], img['original_height'])
        elif stem in sizes:
            original = (sizes[stem].original_width,
                        sizes[stem].original_height)
        else:
            original = png
        box = np.clip(original_to_png_boxes(box, png, original), 0, png * 2)
        out.detections.append(
            dict(
                image_id=img['id'],
                category_id=cats[name],
                bbox=_xyxy_to_xywh(box),
                score=score))
    out.problems.extend(f'{s}: in the results but no image of the '
                        'annotation file has this file stem'
                        for s in sorted(unknown))
    return out


def read_detections(path: str,
                    coco: Union[dict, COCO],
                    classes: Optional[Sequence[str]] = None,
                    meta_csv: Optional[str] = None,
                    image_dir: Optional[str] = None) -> ReadDetections:
    """Read any results file, by its name and content.

    Args:
        path (str): ``.pkl``/``.pickle`` (tools/test.py), ``.json`` (COCO
            results list, or findings with ``results``) or ``.csv``
            (findings.csv).
        coco (dict | COCO): The ground truth.
        classes (Sequence[str], optional): A pickle's label order (see
            :func:`read_pickle`).
        meta_csv, image_dir (str, optional): Image sizes of a findings.csv
            (see :func:`read_findings_csv`).
    """
    if path.endswith(('.pkl', '.pickle')):
        return read_pickle(path, coco, classes)
    if path.endswith('.csv'):
        return read_findings_csv(path, coco, meta_csv, image_dir)
    if not path.endswith('.json'):
        raise ValueError(f'{path}: expected a .pkl, .json or .csv file')
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not JSON ({e})') from None
    if isinstance(data, dict) or (data and isinstance(data[0], dict)
                                  and 'findings' in data[0]):
        return read_findings_json(path, coco, data)
    return read_coco_results(path, coco, data)


__all__ = [
    'ReadDetections', 'images_by_stem', 'label_cat_ids', 'read_coco_results',
    'read_detections', 'read_findings_csv', 'read_findings_json', 'read_pickle'
]
