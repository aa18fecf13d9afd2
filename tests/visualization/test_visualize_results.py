import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import REPO_ROOT, make_tiny_coco

from mmspine.metainfo import SPINEXR_CLASSES, SPINEXR_PALETTE
from mmspine.visualization import (build_visualizer, draw_gt_and_predictions,
                                   load_ground_truth, load_predictions,
                                   visualize_results)

SIZE = 96


def _tool():
    spec = importlib.util.spec_from_file_location(
        'visualize_results_tool',
        osp.join(REPO_ROOT, 'tools', 'visualize_results.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """A tiny COCO test split and both kinds of results for it."""
    root = str(tmp_path_factory.mktemp('vis'))
    coco = make_tiny_coco(root, 'test', 4, size=SIZE, num_empty=1, seed=3)
    ann_file = osp.join(root, 'annotations', 'test.json')
    # COCO results: each ground-truth box shifted by 2 px, one detection
    # below the threshold, one of an image the annotation file lacks.
    dets = [
        dict(
            image_id=a['image_id'],
            category_id=a['category_id'],
            bbox=[a['bbox'][0] + 2, a['bbox'][1] + 2, *a['bbox'][2:]],
            score=0.9) for a in coco['annotations']
    ]
    dets += [
        dict(image_id=1, category_id=2, bbox=[0, 0, 9, 9], score=0.1),
        dict(image_id=999, category_id=1, bbox=[0, 0, 9, 9], score=0.8)
    ]
    coco_results = osp.join(root, 'results.bbox.json')
    with open(coco_results, 'w') as f:
        json.dump(dets, f)
    # findings.json: the original DICOM grid twice the PNG size.
    by_image = {img['id']: [] for img in coco['images']}
    for a in coco['annotations']:
        x, y, w, h = a['bbox']
        by_image[a['image_id']].append(
            dict(
                label=a['category_id'] - 1,
                lesion_type=SPINEXR_CLASSES[a['category_id'] - 1],
                score=0.8,
                bbox=[2 * x, 2 * y, 2 * (x + w), 2 * (y + h)],
                bbox_mm=None))
    results = [
        dict(
            source=f'/data/{osp.splitext(img["file_name"])[0]}.dicom',
            image_id=osp.splitext(img['file_name'])[0],
            status='ok',
            rows=2 * SIZE,
            columns=2 * SIZE,
            findings=by_image[img['id']]) for img in coco['images'][:-1]
    ]
    # The last image (no ground truth) failed; another is unknown.
    results += [
        dict(image_id='nope', status='ok', rows=10, columns=10, findings=[]),
        dict(
            image_id=osp.splitext(coco['images'][-1]['file_name'])[0],
            status='failed',
            reason='not DICOM',
            findings=[])
    ]
    findings = osp.join(root, 'findings.json')
    with open(findings, 'w') as f:
        json.dump(dict(results=results), f)
    return dict(
        root=root,
        coco=coco,
        ann_file=ann_file,
        img_dir=osp.join(root, 'test_images'),
        coco_results=coco_results,
        findings=findings)


def _gt_boxes(coco, image_id):
    return [[x, y, x + w, y + h] for a in coco['annotations']
            if a['image_id'] == image_id for x, y, w, h in [a['bbox']]]


def test_load_coco_results(data):
    coco = data['coco']
    preds, problems = load_predictions(data['coco_results'], coco)
    assert set(preds) == {img['id'] for img in coco['images']}
    for img in coco['images']:
        want = np.array(_gt_boxes(coco, img['id']), np.float32) + 2
        got = preds[img['id']]
        if img['id'] == 1:
            # The low-scoring extra detection is loaded (the threshold
            # applies when drawing).
            assert got['scores'].tolist() == pytest.approx([0.9, 0.1])
            got = {k: v[:1] for k, v in got.items()}
        np.testing.assert_allclose(got['bboxes'].reshape(-1, 4),
                                   want.reshape(-1, 4))
    assert problems == [
        'image id 999: in the results but not in the annotation file'
    ]


def test_load_findings_scales_to_coco_size(data):
    coco = data['coco']
    preds, problems = load_predictions(data['findings'], coco)
    gts = load_ground_truth(coco)
    for img in coco['images']:
        np.testing.assert_allclose(preds[img['id']]['bboxes'],
                                   gts[img['id']]['bboxes'])
        np.testing.assert_array_equal(preds[img['id']]['labels'],
                                      gts[img['id']]['labels'])
    assert len(problems) == 2
    assert problems[0] == ('results[3] (nope): no image of the annotation '
                           'file has this file stem')
    assert 'inference failed (not DICOM)' in problems[1]


def test_ground_truth_of_every_category_is_kept(data):
    """A category the predictions never name is still drawn as ground
    truth, with its own label."""
    coco = json.loads(json.dumps(data['coco']))
    coco['categories'].append(dict(id=99, name='Vertebra'))
    img = coco['images'][0]
    coco['annotations'].append(
        dict(
            id=10**6,
            image_id=img['id'],
            category_id=99,
            bbox=[1, 2, 3, 4],
            area=12,
            iscrowd=0))
    gts = load_ground_truth(coco)
    assert len(coco['categories']) - 1 in gts[img['id']]['labels'].tolist()
    assert [1, 2, 4, 6] in gts[img['id']]['bboxes'].tolist()


def test_unknown_lesion_type_names_file_row_and_classes(data, tmp_path):
    with open(data['findings']) as f:
        findings = json.load(f)
    findings['results'][0]['findings'][0]['lesion_type'] = 'Vertebra'
    path = str(tmp_path / 'findings.json')
    with open(path, 'w') as f:
        json.dump(findings, f)
    with pytest.raises(ValueError) as e:
        load_predictions(path, data['coco'])
    msg = str(e.value)
    assert msg.startswith(f'{path}: results[0].findings[0]')
    assert "'Vertebra'" in msg and 'Osteophytes' in msg


def test_draw_gt_beside_predictions_in_palette():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 20, (SIZE, SIZE, 3), dtype=np.uint8)
    gt = dict(
        bboxes=np.array([[10, 20, 50, 60]], np.float32), labels=np.array([0]))
    pred = dict(
        bboxes=np.array([[30, 35, 80, 90], [0, 0, 20, 20]], np.float32),
        labels=np.array([3, 1]),
        scores=np.array([0.9, 0.1], np.float32))
    drawn = draw_gt_and_predictions(
        image, gt, pred, build_visualizer(SPINEXR_CLASSES), score_thr=0.25)
    assert drawn.shape == (SIZE, 2 * SIZE, 3)
    left, right = drawn[:, :SIZE], drawn[:, SIZE:]
    for panel, (x1, y1, x2, y2), label in ((left, gt['bboxes'][0], 0),
                                           (right, pred['bboxes'][0], 3)):
        ys, xs = np.nonzero((panel != image).any(axis=2))
        # Drawing starts at the box (lines are 3 px wide, centred).
        assert abs(xs.min() - x1) <= 2 and abs(ys.min() - y1) <= 2
        # The box edge has the class colour of the dataset palette.
        edge = panel[int((y1 + y2) / 2), int(x1)].astype(int)
        assert np.argmax(edge) == np.argmax(SPINEXR_PALETTE[label])
    # The prediction under the threshold is not drawn.
    np.testing.assert_array_equal(right[:20, :20], image[:20, :20])


@pytest.mark.parametrize('kind', ['coco_results', 'findings'])
def test_visualize_results_reports_missing_image(data, tmp_path, kind):
    img_dir = tmp_path / 'images'
    os.makedirs(img_dir)
    names = [img['file_name'] for img in data['coco']['images']]
    # All images but the first, so one is missing.
    for name in names[1:]:
        os.link(osp.join(data['img_dir'], name), img_dir / name)
    out_dir = tmp_path / 'out'
    summary = visualize_results(data[kind], data['ann_file'], str(img_dir),
                                str(out_dir))
    assert len(summary.written) == len(names) - 1
    assert summary.failed == [str(img_dir / names[0])]
    assert f'{img_dir / names[0]}: image missing' in summary.problems
    for path in summary.written:
        assert cv2.imread(path).shape == (SIZE, 2 * SIZE, 3)
    assert sorted(os.listdir(out_dir)) == sorted(
        osp.splitext(n)[0] + '.jpg' for n in names[1:])


def test_tool(data, tmp_path, capsys):
    tool = _tool()
    argv = [
        data['findings'], '--ann-file', data['ann_file'], '--img-dir',
        data['img_dir'], '--out-dir',
        str(tmp_path), '--score-thr', '0.5'
    ]
    assert tool.main(argv) == 0
    out, err = capsys.readouterr()
    n = len(data['coco']['images'])
    assert f'{n} pictures in {tmp_path}, 0 images not drawn' in out
    assert '(nope): no image of the annotation file' in err
    assert len(os.listdir(tmp_path)) == n
