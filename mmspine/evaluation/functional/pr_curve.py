"""Per-class precision-recall curves and APs from pycocotools' COCOeval."""
import contextlib
import io
from typing import Dict, Optional, Sequence, Union

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

#: COCOeval's 101 recall points.
RECALL_POINTS = np.linspace(0., 1., 101)


def as_coco(ann: Union[str, dict, COCO]) -> COCO:
    """A pycocotools COCO from a file name, a loaded dict or a COCO."""
    if isinstance(ann, COCO):
        return ann
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(ann, str):
            return COCO(ann)
        coco = COCO()
        coco.dataset = ann
        coco.createIndex()
    return coco


def coco_pr_curves(ann: Union[str, dict, COCO],
                   detections: Sequence[dict],
                   iou_thrs: Sequence[float] = (0.2, 0.25, 0.3, 0.35, 0.4,
                                                0.45, 0.5),
                   headline_iou: float = 0.5,
                   max_dets: int = 100,
                   cat_ids: Optional[Sequence[int]] = None
                   ) -> Dict[str, np.ndarray]:
    """Run COCOeval once; return PR curves at ``headline_iou`` and APs.

    The defaults are those of ``SpineXRMetric`` (IoU 0.20:0.05:0.50, AP at
    0.5 as the headline), so the APs agree with ``tools/test.py``.

    Returns:
        dict: ``classes`` (names), ``cat_ids``, ``recall`` (101 points),
        ``precision`` (K, 101) at ``headline_iou`` (-1 where a class has no
        lesion), ``scores`` (K, 101) the score at each recall point, ``ap50``
        (K,) and ``ap`` (K,) averaged over ``iou_thrs`` (nan without
        lesions), ``num_gts`` (K,).
    """
    coco = as_coco(ann)
    if cat_ids is None:
        cat_ids = sorted(coco.getCatIds())
    iou_thrs = np.asarray(iou_thrs, dtype=np.float64)
    headline = np.flatnonzero(np.isclose(iou_thrs, headline_iou))
    if headline.size != 1:
        raise ValueError(f'headline_iou={headline_iou} must be one of '
                         f'iou_thrs={iou_thrs.tolist()}')
    num = len(cat_ids)
    precision = np.full((len(iou_thrs), 101, num), -1.)
    scores = np.zeros((len(iou_thrs), 101, num))
    if detections:
        with contextlib.redirect_stdout(io.StringIO()):
            # loadRes adds keys to the dicts it gets: pass copies
            ev = COCOeval(coco, coco.loadRes([dict(d) for d in detections]),
                          'bbox')
            ev.params.catIds = list(cat_ids)
            ev.params.imgIds = sorted(coco.getImgIds())
            ev.params.iouThrs = iou_thrs
            ev.params.maxDets = [1, 10, max_dets]
            ev.evaluate()
            ev.accumulate()
        # (iou, recall, class, area 'all', the largest max dets)
        precision = ev.eval['precision'][:, :, :, 0, -1]
        scores = ev.eval['scores'][:, :, :, 0, -1]
    num_gts = np.array(
        [len(coco.getAnnIds(catIds=[c], iscrowd=False)) for c in cat_ids])
    if not detections:
        precision[:, :, num_gts > 0] = 0.

    def mean_valid(p: np.ndarray) -> float:
        p = p[p > -1]
        return float(np.mean(p)) if p.size else float('nan')

    h = int(headline[0])
    return dict(
        classes=[c['name'] for c in coco.loadCats(list(cat_ids))],
        cat_ids=list(cat_ids),
        recall=RECALL_POINTS,
        precision=precision[h].T.copy(),
        scores=scores[h].T.copy(),
        ap50=np.array([mean_valid(precision[h, :, k]) for k in range(num)]),
        ap=np.array([mean_valid(precision[:, :, k]) for k in range(num)]),
        num_gts=num_gts)
