"""Box AP and precision-recall curves with pycocotools, as VinDr-SpineXR
reports them.

One COCOeval run (:func:`coco_box_eval`) gives both the APs and the curves;
:class:`~mmspine.evaluation.SpineXRMetric` (tools/test.py), the fusion tools
and the report all call it, so that they give the same numbers. Free of
torch and mmdet.
"""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from terminaltables import AsciiTable

#: IoU thresholds of the VinDr-SpineXR reference evaluation: 0.20:0.05:0.50.
SPINEXR_IOU_THRS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
#: COCOeval's 101 recall points.
RECALL_POINTS = np.linspace(0., 1., 101)


def as_coco(ann: Union[str, dict, COCO]) -> COCO:
    """A pycocotools COCO from a file name, a loaded dict or a COCO,
    without pycocotools' progress lines."""
    if isinstance(ann, COCO):
        return ann
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(ann, str):
            return COCO(ann)
        coco = COCO()
        coco.dataset = ann
        coco.createIndex()
    return coco


def _mean_valid(p: np.ndarray) -> float:
    p = p[p > -1]
    return float(np.mean(p)) if p.size else float('nan')


def coco_box_eval(coco_gt: Union[str, dict, COCO],
                  detections: Sequence[dict],
                  cat_ids: Optional[Sequence[int]] = None,
                  img_ids: Optional[Sequence[int]] = None,
                  iou_thrs: Sequence[float] = SPINEXR_IOU_THRS,
                  headline_iou: float = 0.5,
                  max_dets: int = 100) -> Dict[str, object]:
    """Run COCOeval once: per-class APs and the PR curves.

    Args:
        coco_gt (str | dict | COCO): Ground truth.
        detections (Sequence[dict]): COCO results (image_id, category_id,
            bbox as x, y, w, h, score); not modified.
        cat_ids (Sequence[int], optional): Categories, in label order.
            Defaults to all of ``coco_gt``, in the file's order.
        img_ids (Sequence[int], optional): Images. Defaults to all.
        iou_thrs (Sequence[float]): IoU thresholds averaged into ``ap``;
            must contain ``headline_iou``.
        headline_iou (float): IoU of ``ap50`` and of the curves.
        max_dets (int): Detections kept per image.

    Returns:
        dict: ``classes`` (names), ``cat_ids``, ``recall`` (101 points),
        ``precision`` (K, 101) at ``headline_iou`` (-1 where a class has no
        lesion), ``scores`` (K, 101) the score at each recall point,
        ``ap50`` (K,) and ``ap`` (K,) averaged over ``iou_thrs`` (NaN
        without lesions), ``num_gts`` (K,), and the means ``map50`` and
        ``map`` over the classes with lesions.
    """
    coco_gt = as_coco(coco_gt)
    iou_thrs = np.asarray(iou_thrs, dtype=np.float64)
    matches = np.flatnonzero(np.isclose(iou_thrs, headline_iou))
    if matches.size != 1:
        raise ValueError(f'headline_iou={headline_iou} must be one of '
                         f'iou_thrs={iou_thrs.tolist()}')
    h = int(matches[0])
    cat_ids = list(coco_gt.getCatIds() if cat_ids is None else cat_ids)
    img_ids = list(coco_gt.getImgIds() if img_ids is None else img_ids)
    # lesions COCOeval counts: of the evaluated images, not crowd
    num_gts = np.array([
        len(coco_gt.getAnnIds(imgIds=img_ids, catIds=[cat], iscrowd=False))
        for cat in cat_ids
    ])
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
        # (iou, recall, class, area range, max dets); area index 0 is
        # 'all', max dets index -1 the largest
        precision = coco_eval.eval['precision'][:, :, :, 0, -1]
        scores = coco_eval.eval['scores'][:, :, :, 0, -1]
    else:
        # as COCOeval: 0 where there were lesions to find, -1 (left out of
        # the means) for a class without any
        precision = np.zeros((len(iou_thrs), 101, len(cat_ids)))
        precision[:, :, num_gts == 0] = -1
        scores = np.zeros_like(precision)
    return dict(
        classes=[c['name'] for c in coco_gt.loadCats(cat_ids)],
        cat_ids=cat_ids,
        recall=RECALL_POINTS,
        precision=precision[h].T.copy(),
        scores=scores[h].T.copy(),
        ap50=np.array(
            [_mean_valid(precision[h, :, k]) for k in range(len(cat_ids))]),
        ap=np.array(
            [_mean_valid(precision[:, :, k]) for k in range(len(cat_ids))]),
        num_gts=num_gts,
        map50=_mean_valid(precision[h]),
        map=_mean_valid(precision),
        iou_thrs=iou_thrs,
        headline_iou=headline_iou)


def box_ap_metrics(evaluated: Dict[str, object]) -> Dict[str, float]:
    """``bbox_mAP_50``, ``bbox_mAP`` and per class ``bbox_AP50_<name>``
    and ``bbox_AP_<name>`` of a :func:`coco_box_eval` result."""
    results = OrderedDict()
    results['bbox_mAP_50'] = evaluated['map50']
    results['bbox_mAP'] = evaluated['map']
    for k, name in enumerate(evaluated['classes']):
        results[f'bbox_AP50_{name}'] = float(evaluated['ap50'][k])
        results[f'bbox_AP_{name}'] = float(evaluated['ap'][k])
    return results


def box_ap_table(evaluated: Dict[str, object]) -> str:
    """The per-class APs of a :func:`coco_box_eval` result as a table."""
    iou_thrs = evaluated['iou_thrs']
    lo, hi = iou_thrs[0], iou_thrs[-1]
    rows = [[
        'class', f'AP@{evaluated["headline_iou"]:g}', f'AP@[{lo:g}:{hi:g}]',
        'gts'
    ]]
    for k, name in enumerate(evaluated['classes']):
        rows.append([
            name, f'{evaluated["ap50"][k]:.4f}', f'{evaluated["ap"][k]:.4f}',
            int(evaluated['num_gts'][k])
        ])
    rows.append([
        'mean', f'{evaluated["map50"]:.4f}', f'{evaluated["map"]:.4f}',
        int(np.sum(evaluated['num_gts']))
    ])
    table = AsciiTable(rows)
    table.inner_footing_row_border = True
    return table.table


def coco_box_ap(coco_gt: Union[str, dict, COCO],
                detections: Sequence[dict],
                cat_ids: Optional[Sequence[int]] = None,
                img_ids: Optional[Sequence[int]] = None,
                iou_thrs: Sequence[float] = SPINEXR_IOU_THRS,
                headline_iou: float = 0.5,
                max_dets: int = 100) -> Tuple[Dict[str, float], str]:
    """AP of COCO-format detections against ``coco_gt``.

    The arguments are those of :func:`coco_box_eval`.

    Returns:
        tuple: :func:`box_ap_metrics` and :func:`box_ap_table` of the one
        COCOeval run.
    """
    evaluated = coco_box_eval(coco_gt, detections, cat_ids, img_ids, iou_thrs,
                              headline_iou, max_dets)
    return box_ap_metrics(evaluated), box_ap_table(evaluated)
