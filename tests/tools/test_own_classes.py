"""README's "Your own data and classes": a two-class data set and a short
child config, trained and tested through the tools."""
import glob
import json
import os.path as osp

import torch
from conftest import (REPO_ROOT, cfg_options_to_argv, make_tiny_coco,
                      run_tool_in_process, tiny_cfg_options)

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

    run_tool_in_process('test.py', str(config), ckpt, '--work-dir', work,
                        *opts)
    results = sorted(glob.glob(osp.join(work, '*', '*.json')))
    metrics = json.load(open(results[-1]))
    assert {'spinexr/bbox_AP50_cyst',
            'spinexr/bbox_AP50_screw'} <= set(metrics)
    assert not any('Osteophytes' in k for k in metrics)
