"""README's "Your own data and classes": a two-class data set and a short
child config, trained and tested through the tools."""
import glob
import json
import os.path as osp

import torch
from conftest import REPO_ROOT, make_tiny_coco, run_tool_in_process

CLASSES = ('cyst', 'screw')
CHILD = '''_base_ = {base!r}
data_root = {root!r}
metainfo = dict(classes={classes!r})
train_batch_size = 2
num_workers = 0
train_scales = [(96, 64)]
test_scale = (96, 64)
max_iters = 4
val_interval = 4
warmup_iters = 2
checkpoint_interval = 4
load_from = None
model = dict(
    backbone=dict(depth=18, base_channels=8, init_cfg=None),
    neck=dict(in_channels=[8, 16, 32, 64]))
'''


def test_two_classes_through_the_tools(tmp_path):
    root = str(tmp_path / 'data')
    make_tiny_coco(root, 'train', 6, size=64, num_empty=1, classes=CLASSES)
    make_tiny_coco(root, 'test', 3, size=64, num_empty=1, classes=CLASSES)
    config = tmp_path / 'two_classes.py'
    config.write_text(
        CHILD.format(
            base=osp.join(REPO_ROOT, 'configs/spine/faster_rcnn_r50_fpn.py'),
            root=osp.join(root, ''),
            classes=CLASSES))
    assert len(config.read_text().splitlines()) <= 15
    work = str(tmp_path / 'work')
    run_tool_in_process('train.py', str(config), '--work-dir', work)
    ckpt = osp.join(work, 'iter_4.pth')
    weights = torch.load(ckpt, map_location='cpu')['state_dict']
    # two classes and the background
    assert weights['roi_head.bbox_head.fc_cls.weight'].shape[0] == 3
    assert tuple(
        torch.load(
            ckpt,
            map_location='cpu')['meta']['dataset_meta']['classes']) == CLASSES

    run_tool_in_process('test.py', str(config), ckpt, '--work-dir', work)
    results = sorted(glob.glob(osp.join(work, '*', '*.json')))
    metrics = json.load(open(results[-1]))
    assert {'spinexr/bbox_AP50_cyst',
            'spinexr/bbox_AP50_screw'} <= set(metrics)
    assert not any('Osteophytes' in k for k in metrics)
