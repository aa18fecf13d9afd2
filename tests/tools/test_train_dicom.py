"""Training straight from DICOMs through tools/train.py: no PNG step."""
import os
import os.path as osp

from conftest import (REPO_ROOT, TINY_FASTER_RCNN, cfg_options_to_argv,
                      run_tool_in_process)
from test_train_test import scalars

from mmspine.annotations import convert_spinexr_to_coco
from mmspine.dicom import parse_folder_metadata
from mmspine.phantom import make_phantom

BASES = osp.join(REPO_ROOT, 'configs', '_base_')


def dicom_config(path):
    """Faster R-CNN on the DICOM dataset base, as a user's config lists
    it."""
    bases = [
        'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
        osp.join(BASES, 'datasets', 'spinexr_detection_dicom.py'),
        osp.join(BASES, 'schedules', 'schedule_50k.py'),
        osp.join(BASES, 'default_runtime.py')
    ]
    with open(path, 'w') as f:
        f.write(f'_base_ = {bases!r}\n'
                'model = dict(roi_head=dict(bbox_head=dict(num_classes=7)))\n')
    return path


def test_train_from_dicoms(tmp_path, tiny_cfg_options):
    root = str(tmp_path / 'vindr')
    make_phantom(root, 6, 2, seed=2, size=112)
    for split in ('train', 'test'):
        meta = parse_folder_metadata(
            osp.join(root, f'{split}_images'),
            osp.join(root, f'meta_{split}.csv'),
            progress=False)
        assert meta.exit_code == 0
        convert_spinexr_to_coco(
            osp.join(root, 'annotations', f'{split}.csv'),
            osp.join(root, 'annotations', f'{split}.json'),
            meta_csv=meta.csv,
            img_suffix='.dicom')
    assert not [
        n for _, _, names in os.walk(root) for n in names if n.endswith('.png')
    ]
    config = dicom_config(str(tmp_path / 'faster_rcnn_dicom.py'))
    work_dir = str(tmp_path / 'work')
    opts = {**tiny_cfg_options(config, 2), **TINY_FASTER_RCNN}
    # Neither validation nor an intermediate checkpoint in two iterations
    # (the val loader reads the test split: no val split made here).
    opts.update({
        'train_cfg.val_begin': 10,
        'default_hooks.checkpoint.interval': 10,
        'val_dataloader.dataset.ann_file': 'annotations/test.json',
        'val_dataloader.dataset.data_prefix.img': 'test_images/',
        'val_evaluator.ann_file': osp.join(root, 'annotations', 'test.json'),
    })
    # in-process: the subprocess run of tools/train.py is the shared
    # detector's (tests/conftest.py)
    run_tool_in_process('train.py', config, '--work-dir', work_dir,
                        '--data-root', root, *cfg_options_to_argv(opts))
    losses = [r['loss'] for r in scalars(work_dir) if 'loss' in r]
    assert len(losses) == 2
    assert all(loss == loss and loss > 0 for loss in losses)
