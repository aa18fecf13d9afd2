"""FROC, confusion matrix and PR curves against hand computations."""

import numpy as np
import pytest

from mmspine.evaluation.functional import (ImageBoxes, coco_box_eval,
                                           coco_to_image_boxes,
                                           detection_confusion_matrix,
                                           froc_analysis, froc_curve,
                                           froc_metrics)


def _boxes(rows, with_scores=True):
    """rows: (x1, y1, x2, y2, label[, score])."""
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 6 if with_scores else 5)
    return ImageBoxes(a[:, :4], a[:, 4].astype(np.int64),
                      a[:, 5] if with_scores else None)


# Three images, four lesions (class 0: A, B, D; class 1: C), seven boxes.
GTS = {
    1: _boxes([(0, 0, 10, 10, 0), (20, 20, 30, 30, 0), (50, 50, 60, 60, 1)],
              False),
    2: _boxes([(0, 0, 10, 10, 0)], False),
    3: _boxes([], False),
}
DETS = {
    1:
    _boxes([
        (0, 0, 10, 10, 0, 0.9),  # d1: A
        (1, 1, 10, 10, 0, 0.8),  # d2: IoU .81 with A, taken: duplicate
        (20, 20, 30, 30, 1, 0.7),  # d3: on B, wrong class
        (50, 50, 60, 61, 1, 0.6),  # d4: C, IoU .91
    ]),
    2:
    _boxes([
        (5, 0, 15, 10, 0, 0.5),  # d5: IoU 1/3 with D: miss
        (0, 0, 10, 12, 0, 0.4),  # d6: D, IoU .83
    ]),
    3:
    _boxes([(0, 0, 5, 5, 1, 0.95)]),  # d7: on a normal image
}


def test_froc_overall_by_hand():
    # by score: .95 FP, .9 TP, .8 FP, .7 FP, .6 TP, .5 FP, .4 TP
    curve = froc_curve(GTS, DETS)
    assert curve.num_lesions == 4 and curve.num_images == 3
    np.testing.assert_allclose(curve.fps,
                               np.array([0, 1, 1, 2, 3, 3, 4, 4]) / 3)
    np.testing.assert_allclose(curve.sensitivity,
                               np.array([0, 0, 1, 1, 1, 2, 2, 3]) / 4)
    np.testing.assert_allclose(curve.thresholds[1:],
                               [.95, .9, .8, .7, .6, .5, .4])


def test_froc_per_class_and_read_out_by_hand():
    out = froc_analysis(GTS, DETS, ['a', 'b'], fp_rates=(0.5, 1, 2, 4))
    assert list(out) == ['a', 'b', 'overall']
    # class a: .9 TP, .8 FP, .5 FP, .4 TP over 3 lesions
    np.testing.assert_allclose(out['a']['curve'].fps,
                               [0, 0, 1 / 3, 2 / 3, 2 / 3])
    assert list(out['a']['sensitivity'].values()) == pytest.approx(
        [1 / 3, 2 / 3, 2 / 3, 2 / 3])
    # class b: .95 FP, .7 FP, .6 TP over 1 lesion
    assert list(out['b']['sensitivity'].values()) == pytest.approx(
        [0, 1, 1, 1])
    # overall: at 0.5 FP/image the last point with fps <= .5 is (1/3, 1/4)
    assert list(out['overall']['sensitivity'].values()) == pytest.approx(
        [.25, .5, .75, .75])
    # mean over 1/8 .. 8: 1/8 and 1/4 -> 0, 1/2 -> .25, 1 -> .5, then .75
    assert out['overall']['mean_sensitivity'] == pytest.approx(
        (0 + 0 + .25 + .5 + .75 * 3) / 7)


def test_froc_ties_enter_together():
    gts = {1: _boxes([(0, 0, 10, 10, 0)], False)}
    dets = {1: _boxes([(40, 40, 50, 50, 0, .5), (0, 0, 10, 10, 0, .5)])}
    curve = froc_curve(gts, dets)
    np.testing.assert_allclose(curve.fps, [0, 1])
    np.testing.assert_allclose(curve.sensitivity, [0, 1])


def test_froc_without_lesions_is_nan():
    out = froc_analysis({1: _boxes([], False)}, {}, ['a'])
    assert np.isnan(out['a']['sensitivity'][1.0])


def test_confusion_matrix_by_hand():
    gts = dict(GTS)
    dets = dict(DETS)
    # image 4: a confident wrong-class box and a right one on lesion E;
    # the right one is matched first, the wrong one is a false alarm
    gts[4] = _boxes([(0, 0, 10, 10, 1)], False)
    dets[4] = _boxes([(0, 0, 10, 10, 0, .9), (0, 0, 10, 10, 1, .6)])
    m = detection_confusion_matrix(gts, dets, num_classes=2, score_thr=0.5)
    expected = np.array([
        [1, 1, 1],  # A by d1; B by d3 (class b); D missed (d6 < .5)
        [0, 2, 0],  # C by d4, E by its right box
        [3, 1, 0],  # false alarms: d2, d5, image 4's class-a box; d7
    ])
    np.testing.assert_array_equal(m, expected)


def _coco_case():
    images = [
        dict(id=i, file_name=f'{i}.png', width=100, height=100)
        for i in (1, 2, 3)
    ]
    anns, dets = [], []
    for img, gt in GTS.items():
        for (x1, y1, x2, y2), label in zip(gt.boxes, gt.labels):
            anns.append(
                dict(
                    id=len(anns) + 1,
                    image_id=img,
                    category_id=int(label) + 1,
                    iscrowd=0,
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=(x2 - x1) * (y2 - y1)))
    for img, det in DETS.items():
        for (x1, y1, x2, y2), label, s in zip(det.boxes, det.labels,
                                              det.scores):
            dets.append(
                dict(
                    image_id=img,
                    category_id=int(label) + 1,
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    score=s))
    cats = [dict(id=1, name='a'), dict(id=2, name='b')]
    return dict(images=images, annotations=anns, categories=cats), dets


def test_froc_metrics_from_coco_dicts():
    coco, dets = _coco_case()
    gts, by_img = coco_to_image_boxes(coco, dets)
    assert by_img[1].labels.tolist() == [0, 0, 1, 1]
    assert froc_metrics(coco, dets) == pytest.approx({
        'froc_sens@0.5fp': .25,
        'froc_sens@1fp': .5,
        'froc_sens@2fp': .75,
        'froc_sens@4fp': .75
    })


def test_froc_counts_at_most_max_dets_per_image_and_class():
    coco, dets = _coco_case()
    # image 1: A found by d1 (class 0), C by d4 (class 1), both weak now
    for d in dets:
        if d['image_id'] == 1:
            d['score'] = d['score'] / 10
    extra = [
        dict(image_id=1, category_id=1, bbox=[70., 70., 5., 5.], score=0.5)
        for _ in range(3)
    ]
    _, capped = coco_to_image_boxes(coco, dets + extra, max_dets=3)
    # class 0 keeps the three extra boxes (d1, d2 dropped); class 1 its two
    np.testing.assert_allclose(
        sorted(capped[1].scores), [.06, .07, .5, .5, .5])
    assert sorted(capped[1].labels.tolist()) == [0, 0, 0, 1, 1]
    _, every = coco_to_image_boxes(coco, dets + extra, max_dets=None)
    assert len(every[1].labels) == 7
    # A is lost with d1: 2 of 4 lesions found instead of 3
    assert froc_metrics(coco, dets + extra, max_dets=3)['froc_sens@4fp'] \
        == pytest.approx(.5)
    assert froc_metrics(
        coco, dets + extra,
        max_dets=None)['froc_sens@4fp'] == pytest.approx(.75)


def test_pr_curves_by_hand():
    coco, dets = _coco_case()
    pr = coco_box_eval(coco, dets)
    assert pr['classes'] == ['a', 'b'] and pr['num_gts'].tolist() == [3, 1]
    # class b at IoU .5: .95 FP, .7 FP, .6 TP -> recall 1 at precision 1/3
    np.testing.assert_allclose(pr['precision'][1], 1 / 3)
    assert pr['ap50'][1] == pytest.approx(1 / 3)
    # class a: .9 TP (p 1, r 1/3), .8 FP, .5 FP, .4 TP (p 1/2, r 2/3)
    r = pr['recall']
    expected = np.where(r <= 1 / 3 + 1e-9, 1., np.where(r <= 2 / 3, .5, 0))
    np.testing.assert_allclose(pr['precision'][0], expected)
    # the AP is the mean of that curve's 101 points, as COCOeval's
    assert pr['ap50'][0] == pytest.approx(expected.mean())
    assert pr['map50'] == pytest.approx((expected.mean() + 1 / 3) / 2)


def test_box_ap_without_detections_matches_cocoeval_convention():
    """0 for a class with lesions, NaN (left out of the mean) for one
    without, as when COCOeval runs on detections."""
    from mmspine.evaluation.functional import as_coco, coco_box_ap
    dataset, dets = _coco_case()
    dataset['categories'].append(dict(id=3, name='no lesions'))
    coco = as_coco(dataset)
    empty, _ = coco_box_ap(coco, [])
    with_dets, _ = coco_box_ap(coco, dets)
    for results in (empty, with_dets):
        assert np.isnan(results['bbox_AP50_no lesions'])
    assert empty['bbox_AP50_a'] == 0 and empty['bbox_mAP_50'] == 0
    assert with_dets['bbox_AP50_a'] > 0
