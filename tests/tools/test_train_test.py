"""A real short training, a test and a resume through the tools."""
import glob
import json
import os
import os.path as osp
import re

import pytest
from conftest import (TINY_DETECTOR_ITERS, cfg_options_to_argv,
                      run_tool_in_process)

# one pytest-xdist worker trains the shared detector for these tests
pytestmark = pytest.mark.xdist_group('tiny_detector')


def scalars(work_dir):
    """The json lines mmengine logs under work_dir/<timestamp>/vis_data."""
    records = []
    for root, _, files in os.walk(work_dir):
        for name in files:
            if name == 'scalars.json':
                with open(osp.join(root, name)) as f:
                    records += [json.loads(line) for line in f]
    return records


def test_train_logs_metrics_and_loss_goes_down(tiny_detector):
    """tools/train.py in a subprocess (the shared detector's training)."""
    records = scalars(tiny_detector.work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 8
    # seeded (randomness.seed=0): the same losses on every run
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2
    val = [r for r in records if 'spinexr/bbox_mAP_50' in r]
    assert [r['step'] for r in val] == [4, 8]
    assert {'spinexr/bbox_mAP',
            'spinexr/bbox_AP50_Osteophytes'} <= set(val[-1])
    assert osp.isfile(osp.join(tiny_detector.work_dir, 'iter_4.pth'))
    assert osp.isfile(tiny_detector.checkpoint)


def test_test_tool_reports_metrics(tiny_detector_test):
    """tools/test.py with --data-root, --out and --show-dir."""
    log = tiny_detector_test.log
    assert 'spinexr/bbox_mAP_50' in log
    assert 'Other lesions' in log  # the per-class table
    assert osp.getsize(tiny_detector_test.preds) > 0
    drawn = [
        f for _, _, fs in os.walk(tiny_detector_test.work_dir) for f in fs
        if f.endswith('.png')
    ]
    assert len(drawn) == 8


def logged_losses(work_dir):
    """``(iteration, loss)`` of the training lines of the text log.

    In-process runs read the log, not scalars.json: mmengine keeps one
    visualizer per process, which may write to an earlier run's folder.
    """
    text = open(glob.glob(osp.join(work_dir, '*', '*.log'))[0]).read()
    return [(int(i), float(loss)) for i, loss in re.findall(
        r'Iter\(train\) \[\s*(\d+)/\d+\].*? loss: ([\d.]+)', text)]


def test_resume_continues_from_saved_iteration(tiny_detector, tmp_path):
    opts = {
        **tiny_detector.cfg_options,
        # what is resumed is training: no validation, no checkpoint
        'train_cfg.val_begin':
        TINY_DETECTOR_ITERS + 1,
        'default_hooks.checkpoint.interval':
        TINY_DETECTOR_ITERS + 1,
        'default_hooks.checkpoint.save_last':
        False,
    }
    run_tool_in_process('train.py', tiny_detector.config, '--work-dir',
                        str(tmp_path), '--resume',
                        osp.join(tiny_detector.work_dir, 'iter_4.pth'),
                        '--data-root', tiny_detector.data_root,
                        *cfg_options_to_argv(opts))
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert re.search(r'resumed epoch: \d+, iter: 4', log), log[-2000:]
    assert [i for i, _ in logged_losses(str(tmp_path))] == [5, 6, 7, 8]
