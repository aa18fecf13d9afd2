"""Box AP with pycocotools, as VinDr-SpineXR reports it.

Shared by :class:`~mmspine.evaluation.SpineXRMetric` (tools/test.py) and
the fusion tools, so that both give the same numbers; free of torch and
mmdet.
"""
import contextlib
import io
import pickle
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from terminaltables import AsciiTable

#: IoU thresholds of the VinDr-SpineXR reference evaluation: 0.20:0.05:0.50.
SPINEXR_IOU_THRS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def load_coco(ann_file: str) -> COCO:
    """A COCO ground truth, without pycocotools' progress lines."""
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(ann_file)


def category_ids(coco_dataset: dict, classes: Sequence[str]) -> List[int]:
    """COCO category id of each of ``classes``, in ``classes``' order.

    Raises:
        KeyError: naming the classes the annotation file lacks.
    """
    by_name = {c['name']: c['id'] for c in coco_dataset['categories']}
    missing = [c for c in classes if c not in by_name]
    if missing:
        raise KeyError(f'the annotation file lacks the classes {missing}')
    return [by_name[c] for c in classes]


def dump_to_coco_results(path: str, cat_ids: Sequence[int]
                         ) -> Tuple[List[dict], Dict[int, str]]:
    """Read a ``tools/test.py --out`` pickle as COCO result dicts.

    Args:
        path (str): The pickle of mmengine's ``DumpDetResults``.
        cat_ids (Sequence[int]): COCO category id of each label index.

    Returns:
        tuple: the detections (``bbox`` as xywh) and COCO image id -> image
        path (the samples' ``img_path``, where they have one).

    Raises:
        ValueError: naming the file and the sample that is not such an
            entry.
    """
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    dets, paths = [], {}
    for n, sample in enumerate(samples):
        try:
            img_id = int(sample['img_id'])
            pred = sample['pred_instances']
            boxes = np.asarray(pred['bboxes'], np.float64).reshape(-1, 4)
            scores = np.asarray(pred['scores'], np.float64).reshape(-1)
            labels = np.asarray(pred['labels']).reshape(-1)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'{path}: sample {n} is not a DumpDetResults '
                             f'entry: {e!r}') from None
        if sample.get('img_path'):
            paths[img_id] = sample['img_path']
        for (x1, y1, x2, y2), score, label in zip(boxes, scores, labels):
            dets.append(
                dict(
                    image_id=img_id,
                    category_id=int(cat_ids[int(label)]),
                    bbox=[
                        float(x1),
                        float(y1),
                        float(x2 - x1),
                        float(y2 - y1)
                    ],
                    score=float(score)))
    return dets, paths


def _mean_valid(p: np.ndarray) -> float:
    p = p[p > -1]
    return float(np.mean(p)) if p.size else float('nan')


def coco_box_ap(coco_gt: COCO,
                detections: Sequence[dict],
                cat_ids: Optional[Sequence[int]] = None,
                img_ids: Optional[Sequence[int]] = None,
                iou_thrs: Sequence[float] = SPINEXR_IOU_THRS,
                headline_iou: float = 0.5,
                max_dets: int = 100) -> Tuple[Dict[str, float], str]:
    """AP of COCO-format detections against ``coco_gt``.

    Args:
        coco_gt (COCO): Ground truth.
        detections (Sequence[dict]): COCO results (image_id, category_id,
            bbox as x, y, w, h, score); not modified.
        cat_ids (Sequence[int], optional): Categories, in label order.
            Defaults to all of ``coco_gt``.
        img_ids (Sequence[int], optional): Images. Defaults to all.
        iou_thrs (Sequence[float]): IoU thresholds averaged into
            ``bbox_mAP``; must contain ``headline_iou``.
        headline_iou (float): IoU of ``bbox_mAP_50``.
        max_dets (int): Detections kept per image.

    Returns:
        tuple: ``bbox_mAP_50``, ``bbox_mAP`` and per class
        ``bbox_AP50_<name>`` and ``bbox_AP_<name>``; and the per-class
        table as text.
    """
    iou_thrs = np.asarray(iou_thrs, dtype=np.float64)
    matches = np.flatnonzero(np.isclose(iou_thrs, headline_iou))
    if matches.size != 1:
        raise ValueError(f'headline_iou={headline_iou} must be one of '
                         f'iou_thrs={list(iou_thrs)}')
    headline = int(matches[0])
    cat_ids = list(coco_gt.getCatIds() if cat_ids is None else cat_ids)
    img_ids = list(coco_gt.getImgIds() if img_ids is None else img_ids)
    names = [c['name'] for c in coco_gt.loadCats(cat_ids)]
    # lesions COCOeval counts: of the evaluated images, not crowd
    num_gts = {
        cat: len(coco_gt.getAnnIds(imgIds=img_ids, catIds=[cat],
                                   iscrowd=False))
        for cat in cat_ids
    }
    if detections:
        # COCOeval prints its progress; loadRes adds keys to the dicts
        with contextlib.redirect_stdout(io.StringIO()):
            coco_eval = COCOeval(
                coco_gt, coco_gt.loadRes([dict(d) for d in detections]),
                'bbox')
            coco_eval.params.catIds = cat_ids
            coco_eval.params.imgIds = img_ids
            coco_eval.params.maxDets = [1, 10, max_dets]
            coco_eval.params.iouThrs = iou_thrs
            coco_eval.evaluate()
            coco_eval.accumulate()
        # precision: (iou, recall, class, area range, max dets); area index
        # 0 is 'all', max dets index -1 the largest.
        precision = coco_eval.eval['precision'][:, :, :, 0, -1]
    else:
        # as COCOeval: 0 where there were lesions to find, -1 (left out of
        # the means) for a class without any
        precision = np.zeros((len(iou_thrs), 101, len(names)))
        precision[:, :, [num_gts[c] == 0 for c in cat_ids]] = -1

    results = OrderedDict()
    results['bbox_mAP_50'] = _mean_valid(precision[headline])
    results['bbox_mAP'] = _mean_valid(precision)
    lo, hi = iou_thrs[0], iou_thrs[-1]
    rows = [['class', f'AP@{headline_iou:g}', f'AP@[{lo:g}:{hi:g}]', 'gts']]
    for k, (cat, name) in enumerate(zip(cat_ids, names)):
        ap50 = _mean_valid(precision[headline, :, k])
        ap = _mean_valid(precision[:, :, k])
        results[f'bbox_AP50_{name}'] = ap50
        results[f'bbox_AP_{name}'] = ap
        rows.append([name, f'{ap50:.4f}', f'{ap:.4f}', num_gts[cat]])
    rows.append([
        'mean', f'{results["bbox_mAP_50"]:.4f}', f'{results["bbox_mAP"]:.4f}',
        sum(num_gts.values())
    ])
    table = AsciiTable(rows)
    table.inner_footing_row_border = True
    return results, table.table
