"""SpineInferencer on phantom DICOMs with tiny trained models."""
import csv
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from _tools import check_ohif, check_sr, ohif_hydrate
from ensemble_boxes import weighted_boxes_fusion

from mmspine.apis import (SpineInferencer, boxes_to_original, build_runner,
                          findings_csv_to_coco_results, infer_to_dir,
                          load_config, setup_test)
from mmspine.apis.inputs import collect_inputs
from mmspine.fusion import (DetectionEvaluator, fuse_boxes_wbf, gate_mask,
                            load_detections, load_rule, save_rule)
from mmspine.metainfo import SPINEXR_CLASSES

# one pytest-xdist worker trains the phantom models for these tests
pytestmark = pytest.mark.xdist_group('phantom_infer_models')


@pytest.fixture(scope='module')
def ensemble(phantom_infer_models, one_thread):
    """Two detectors with flip TTA and a classifier, c = 0 (all kept)."""
    m = phantom_infer_models
    return SpineInferencer(
        m['det'], m['cls'], tta=True, c=0., score_thr=0., batch_size=2)


def test_wbf_equals_ensemble_boxes():
    rng = np.random.default_rng(0)
    w, h = 300, 200
    boxes, scores, labels = [], [], []
    for n in (6, 4):
        xy = rng.uniform(0, 150, (n, 2))
        boxes.append(np.hstack([xy, xy + rng.uniform(10, 50, (n, 2))]))
        scores.append(rng.uniform(0.1, 1, n))
        labels.append(rng.integers(0, 3, n))
    # make the two models agree on one box, so something is fused
    boxes[1][0], labels[1][0] = boxes[0][0] + 2, labels[0][0]
    ours = fuse_boxes_wbf(boxes, scores, labels, (w, h), [2, 1], 0.5, 0.2)
    norm = np.array([w, h, w, h])
    ref = weighted_boxes_fusion([b / norm for b in boxes],
                                scores,
                                labels,
                                weights=[2, 1],
                                iou_thr=0.5,
                                skip_box_thr=0.2)
    np.testing.assert_allclose(ours[0], ref[0] * norm, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours[1], ref[1])
    np.testing.assert_array_equal(ours[2], ref[2])
    assert len(ours[0]) < sum(len(b) for b in boxes)
    empty = fuse_boxes_wbf([np.zeros((0, 4))], [np.zeros(0)], [np.zeros(0)],
                           (w, h))
    assert [len(x) for x in empty] == [0, 0, 0]


def test_rule_hand_checked(tmp_path):
    scores = np.array([0.9, 0.4, 0.5, 0.1])
    # called normal (0.2 < c): only boxes scoring >= k survive
    assert gate_mask(
        scores, 0.2, c=0.3, k=0.5).tolist() == [True, False, True, False]
    # called abnormal (p >= c): every box survives
    assert gate_mask(scores, 0.3, c=0.3, k=0.5).all()
    path = str(tmp_path / 'rule.json')
    save_rule(path, 0.35, 0.6, map50=0.4)
    assert load_rule(path) == (0.35, 0.6)
    with open(path, 'w') as f:
        json.dump(dict(c=1.5, k=0.5), f)
    with pytest.raises(ValueError, match='rule.json: "c"'):
        load_rule(path)


def test_preprocessing_and_box_round_trip(phantom_infer_models, ensemble):
    """The model sees the training PNG's pixels; GT boxes map back."""
    m = phantom_infer_models
    det = ensemble.detectors[0]
    assert det.max_size == m['max_size'] and det.mode == 'reference'
    coco = json.load(open(osp.join(m['root'], 'annotations', 'test.json')))
    by_name = {img['file_name']: img for img in coco['images']}
    with open(osp.join(m['root'], 'annotations', 'test.csv')) as f:
        csv_rows = [
            r for r in csv.DictReader(f) if r['lesion_type'] in SPINEXR_CLASSES
        ]
    checked = 0
    for item in collect_inputs([m['dicom_dir']]):
        loaded = ensemble.load(item)
        png = cv2.imread(
            osp.join(m['root'], 'test_images', f'{item.image_id}.png'),
            cv2.IMREAD_GRAYSCALE)
        data, shapes = ensemble._inputs(det, [loaded], {})
        # exactly the training pixels, resized by the test pipeline
        assert shapes[0] == png.shape
        assert loaded.header['columns'] > png.shape[1]
        meta = data[0]['data_samples'].metainfo
        img = by_name[f'{item.image_id}.png']
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']]
        rows = [r for r in csv_rows if r['image_id'] == item.image_id]
        assert len(anns) == len(rows)
        for ann, row in zip(anns, rows):
            x, y, w, h = ann['bbox']
            sx, sy = meta['scale_factor']
            # the box as the model would predict it on its input grid
            in_model = np.array([[x * sx, y * sy, (x + w) * sx, (y + h) * sy]])
            back = boxes_to_original(in_model, png.shape,
                                     (loaded.header['rows'],
                                      loaded.header['columns']),
                                     meta['scale_factor'])
            truth = [float(row[k]) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            np.testing.assert_allclose(back[0], truth, atol=1.0)
            checked += 1
    assert checked > 0


def test_ensemble_outputs(phantom_infer_models, ensemble, tmp_path):
    m = phantom_infer_models
    out = str(tmp_path / 'out')
    # two images: batch 2 pads one to the other's size
    sources = [i.source for i in collect_inputs([m['dicom_dir']])[:2]]
    summary = infer_to_dir(ensemble, sources, out, progress=False)
    assert summary.exit_code == 0 and summary.counts == {'done': 2}
    found = json.load(open(osp.join(out, 'findings.json')))['results']
    assert [r['source'] for r in found] == sources
    for r in found:
        assert r['status'] == 'ok' and r['is_dicom']
        assert r['study_instance_uid'] and r['sop_instance_uid']
        assert r['model']['detectors'] == ['faster_rcnn_r18_phantom'] * 2
        assert 0 < r['p_abnormal'] < 1 and r['abnormal'] is True
        assert r['rule'] == dict(c=0., k=0.5)
        row_mm, col_mm = r['pixel_spacing']
        for f in r['findings']:
            x1, y1, x2, y2 = f['bbox']
            # fused boxes are clipped to the original grid
            assert 0 <= x1 <= x2 <= r['columns']
            assert 0 <= y1 <= y2 <= r['rows']
            np.testing.assert_allclose(
                f['bbox_mm'],
                [x1 * col_mm, y1 * row_mm, x2 * col_mm, y2 * row_mm])
        assert osp.isfile(osp.join(out, 'overlays', f'{r["image_id"]}.png'))
    with open(osp.join(out, 'findings.csv')) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(max(1, len(r['findings'])) for r in found)
    # c = 1: every image is called normal and keeps only boxes >= k = 0.5
    ensemble.c = 1.
    strict = ensemble([found[0]['source']])[0]
    ensemble.c = 0.
    assert strict['abnormal'] is False
    assert [f for f in found[0]['findings'] if f['score'] >= 0.5] == \
        strict['findings']


def test_map_equals_tools_test(phantom_infer_models, one_thread, tmp_path):
    """findings.csv -> spinexr2coco -> metric == tools/test.py's mAP."""
    m = phantom_infer_models
    config, checkpoint = m['det'][0]
    cfg = load_config(
        config, work_dir=str(tmp_path / 'test'), data_root=m['root'])
    runner = build_runner(setup_test(cfg, checkpoint))
    from mmspine.apis import add_dump_results
    pkl = str(tmp_path / 'preds.pkl')
    add_dump_results(runner, pkl)
    metrics = runner.test()

    # the same model on the DICOMs; the model's own score threshold only
    inferencer = SpineInferencer([m['det'][0]], score_thr=0.)
    out = str(tmp_path / 'infer')
    infer_to_dir(
        inferencer, [m['dicom_dir']], out, overlays=False, progress=False)
    ann_file = osp.join(m['root'], 'annotations', 'test.json')
    evaluator = DetectionEvaluator(ann_file)
    dets = findings_csv_to_coco_results(
        osp.join(out, 'findings.csv'),
        evaluator.coco.dataset,
        meta_csv=osp.join(m['root'], 'test_images', 'conversion_report.csv'))
    ours = evaluator(dets)
    for key in ('bbox_mAP_50', 'bbox_mAP'):
        assert abs(ours[key] - metrics[f'spinexr/{key}']) <= 0.005
    # and box by box, so that the check holds whatever the mAP
    theirs = load_detections(pkl, evaluator.coco)
    assert len(dets) == len(theirs) > 0

    def key(d):
        return (d['image_id'], d['category_id'], round(d['score'], 5))

    for a, b in zip(sorted(dets, key=key), sorted(theirs, key=key)):
        assert key(a) == key(b)
        np.testing.assert_allclose(a['bbox'], b['bbox'], atol=1e-3)


def test_arrays_and_pngs(phantom_infer_models, ensemble, tmp_path):
    """8-bit inputs are the original grid; colour ones fail by name."""
    m = phantom_infer_models
    png = sorted(glob.glob(osp.join(m['root'], 'test_images', '*.png')))[0]
    grey = cv2.imread(png, cv2.IMREAD_GRAYSCALE)
    colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    colour[0, 0] = (0, 0, 255)
    from_array, from_file, bad = ensemble([grey, png, colour])
    assert from_array['image_id'] == 'array_0' and from_array['source'] == ''
    assert from_file['image_id'] == osp.splitext(osp.basename(png))[0]
    for r in (from_array, from_file):
        assert r['status'] == 'ok' and r['is_dicom'] is False
        assert (r['rows'], r['columns']) == grey.shape
        assert r['pixel_spacing'] is None
    assert from_array['findings'] == from_file['findings']
    assert bad['status'] == 'failed' and 'colour' in bad['reason']


def test_sr_per_dicom(phantom_infer_models, ensemble, tmp_path):
    """One SR per DICOM, in the source's study, equal to findings.json."""
    from mmspine.dicom.sr import read_findings_sr
    m = phantom_infer_models
    source = collect_inputs([m['dicom_dir']])[0].source
    out = str(tmp_path / 'out')
    # the five best findings: an SR of hundreds takes seconds to build
    scores = [f['score'] for f in ensemble([source])[0]['findings']]
    ensemble.score_thr = sorted(scores)[-5]
    try:
        infer_to_dir(ensemble, [source], out, sr=True, progress=False)
    finally:
        ensemble.score_thr = 0.
    result = json.load(open(osp.join(out, 'findings.json')))['results'][0]
    sr = read_findings_sr(osp.join(out, 'sr', f'{result["image_id"]}.dcm'))
    assert sr['study_instance_uid'] == result['study_instance_uid']
    assert sr['series_instance_uid'] != result['series_instance_uid']
    assert sr['referenced_sop_instance_uids'] == [result['sop_instance_uid']]
    assert sr['abnormal'] is result['abnormal']
    assert abs(sr['p_abnormal'] - result['p_abnormal']) < 1e-6
    assert len(sr['findings']) == len(result['findings']) >= 5
    for a, b in zip(
            sorted(sr['findings'], key=lambda f: -f['score']),
            result['findings']):
        assert a['lesion_type'] == b['lesion_type']
        np.testing.assert_allclose(a['bbox'], b['bbox'], atol=1e-3)
    path = osp.join(out, 'sr', f'{result["image_id"]}.dcm')
    check_sr(path)
    check_ohif(ohif_hydrate([path])[0], result)


def test_preprocess_from_config():
    """PNG-trained configs name it in preprocess, DICOM-trained ones in
    their loader."""
    from mmengine.config import Config

    from mmspine.apis.inferencer import preprocess_of
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    base = osp.join(root, 'configs', '_base_', 'datasets')
    assert preprocess_of(
        Config.fromfile(osp.join(base, 'spinexr_detection.py'))) == dict(
            mode='reference', max_size=None)
    phantom = Config.fromfile(
        osp.join(root, 'configs', 'spine', 'phantom',
                 'faster_rcnn_r18_phantom.py'))
    assert preprocess_of(phantom)['max_size'] == 512
    dicom = Config.fromfile(osp.join(base, 'spinexr_detection_dicom.py'))
    dicom.test_dataloader.dataset.pipeline[0].max_size = 640
    assert preprocess_of(dicom) == dict(mode='reference', max_size=640)
