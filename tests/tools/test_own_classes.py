"""README's "Your own data and classes": a two-class data set and a short
child config, through the tools: train -> test -> infer (DICOMs, an SR
each) -> findings.csv -> COCO evaluation, equal to tools/test.py."""
import glob
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from conftest import (REPO_ROOT, cfg_options_to_argv, make_tiny_coco,
                      run_tool_in_process, tiny_cfg_options)

from mmspine.apis import findings_csv_to_coco_results
from mmspine.dicom import build_dataset, convert_folder, write_dicom
from mmspine.fusion import DetectionEvaluator

CLASSES = ('cyst', 'screw')
CHILD = '''_base_ = {base!r}
metainfo = dict(classes={classes!r})
train_dataloader = dict(dataset=dict(dataset=dict(metainfo=metainfo)))
val_dataloader = dict(dataset=dict(metainfo=metainfo))
test_dataloader = dict(dataset=dict(metainfo=metainfo))
model = dict(
    roi_head=dict(bbox_head=dict(num_classes=2)),
    backbone=dict(depth=18, base_channels=8, init_cfg=None),
    neck=dict(in_channels=[8, 16, 32, 64]))
'''


def test_two_classes_through_the_tools(tmp_path):
    root = str(tmp_path / 'data')
    make_tiny_coco(root, 'train', 6, size=64, num_empty=1, classes=CLASSES)
    make_tiny_coco(
        root,
        'val',
        3,
        size=64,
        num_empty=1,
        classes=CLASSES,
        image_folder='train')
    make_tiny_coco(root, 'test', 3, size=64, num_empty=1, classes=CLASSES)
    # the test images as DICOMs, and the test PNGs converted from them as
    # dicom2png would, so that tools/test.py and tools/infer.py see the
    # same pixels
    dicom_dir = str(tmp_path / 'dicoms')
    os.makedirs(dicom_dir)
    test_images = osp.join(root, 'test_images')
    for png in sorted(glob.glob(osp.join(test_images, '*.png'))):
        pixels = cv2.imread(png, cv2.IMREAD_GRAYSCALE).astype(np.uint16)
        stem = osp.splitext(osp.basename(png))[0]
        write_dicom(
            osp.join(dicom_dir, f'{stem}.dicom'),
            build_dataset(pixels, bits_stored=8))
    assert convert_folder(
        dicom_dir,
        test_images,
        report=str(tmp_path / 'conversion.csv'),
        progress=False).exit_code == 0
    config = tmp_path / 'two_classes.py'
    config.write_text(
        CHILD.format(
            base=osp.join(REPO_ROOT, 'configs/spine/faster_rcnn_r50_fpn.py'),
            classes=CLASSES))
    assert len(config.read_text().splitlines()) <= 15
    opts = [
        '--data-root', root, *cfg_options_to_argv(
            tiny_cfg_options(
                str(config), 4, train_scales=[(96, 64)], test_scale=(96, 64)))
    ]
    work = str(tmp_path / 'work')
    run_tool_in_process('train.py', str(config), '--work-dir', work, *opts)
    ckpt = osp.join(work, 'iter_4.pth')
    weights = torch.load(ckpt, map_location='cpu')['state_dict']
    # two classes and the background
    assert weights['roi_head.bbox_head.fc_cls.weight'].shape[0] == 3
    assert tuple(
        torch.load(
            ckpt,
            map_location='cpu')['meta']['dataset_meta']['classes']) == CLASSES

    # every box the 4-iteration model has, so that the comparison below
    # has detections of both classes to compare
    all_boxes = [*opts, 'model.test_cfg.rcnn.score_thr=0.0']
    run_tool_in_process('test.py', str(config), ckpt, '--work-dir', work,
                        *all_boxes)
    results = sorted(glob.glob(osp.join(work, '*', '*.json')))
    metrics = json.load(open(results[-1]))
    assert {'spinexr/bbox_AP50_cyst',
            'spinexr/bbox_AP50_screw'} <= set(metrics)
    assert not any('Osteophytes' in k for k in metrics)

    # infer on the DICOMs: findings.csv back to COCO results equals
    # tools/test.py, class by class
    infer = str(tmp_path / 'infer')
    with pytest.raises(SystemExit) as exit_:
        run_tool_in_process('infer.py', dicom_dir, '--det', str(config), ckpt,
                            '--score-thr', '0', '--out-dir', infer,
                            '--no-progress', *all_boxes)
    assert exit_.value.code == 0
    ann_file = osp.join(root, 'annotations', 'test.json')
    evaluator = DetectionEvaluator(ann_file, classes=CLASSES)
    dets = findings_csv_to_coco_results(
        osp.join(infer, 'findings.csv'), evaluator.coco.dataset)
    assert dets
    ours = evaluator(dets)
    for key in ('bbox_mAP_50', 'bbox_mAP', 'bbox_AP50_cyst',
                'bbox_AP50_screw'):
        assert ours[key] == pytest.approx(
            metrics[f'spinexr/{key}'], abs=0.005, nan_ok=True)
    found = {
        f['lesion_type']
        for r in json.load(open(osp.join(infer, 'findings.json')))['results']
        for f in r['findings']
    }
    assert found and found <= set(CLASSES)

    # a findings.csv row of another class is an error naming the file,
    # the line and the known classes
    rows = open(osp.join(infer, 'findings.csv')).read().splitlines()
    n = next(i for i, row in enumerate(rows)
             if ',cyst,' in row or ',screw,' in row)
    rows[n] = rows[n].replace(',cyst,',
                              ',Osteophytes,').replace(',screw,',
                                                       ',Osteophytes,')
    bad = str(tmp_path / 'bad.csv')
    with open(bad, 'w') as f:
        f.write('\n'.join(rows) + '\n')
    with pytest.raises(ValueError) as e:
        findings_csv_to_coco_results(bad, evaluator.coco.dataset)
    assert str(e.value).startswith(f"{bad}:{n + 1}: unknown lesion_type "
                                   "'Osteophytes'")
    assert "['cyst', 'screw']" in str(e.value)

    # an SR per image, in the model's own classes (the best findings: an
    # SR of hundreds takes seconds to build)
    scores = sorted(d['score'] for d in dets)
    sr_out = str(tmp_path / 'sr_run')
    with pytest.raises(SystemExit) as exit_:
        run_tool_in_process('infer.py', dicom_dir,
                            '--det', str(config), ckpt, '--score-thr',
                            str(scores[-6]), '--sr', '--out-dir', sr_out,
                            '--no-progress', *all_boxes)
    assert exit_.value.code == 0
    from mmspine.dicom.sr import read_findings_sr
    results = json.load(open(osp.join(sr_out, 'findings.json')))['results']
    assert sorted(os.listdir(osp.join(sr_out, 'sr'))) == sorted(
        f'{r["image_id"]}.dcm' for r in results) and len(results) == 3
    assert sum(len(r['findings']) for r in results) >= 6
    for r in results:
        sr = read_findings_sr(osp.join(sr_out, 'sr', f'{r["image_id"]}.dcm'))
        assert sorted(f['lesion_type'] for f in sr['findings']) == sorted(
            f['lesion_type'] for f in r['findings'])
