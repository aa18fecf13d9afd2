"""A real short training, a test and a resume through the tools."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'configs', 'spine', 'faster_rcnn_r50_fpn.py')
# ResNet-18 keeps the real config's structure at a fraction of the cost
SMALL_BACKBONE = {
    'model.backbone.depth': 18,
    'model.neck.in_channels': [64, 128, 256, 512],
}


def run_tool(tool, *args):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='2')
    proc = subprocess.run(
        [sys.executable,
         osp.join(REPO_ROOT, 'tools', tool), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def scalars(work_dir):
    """The json lines mmengine logs under work_dir/<timestamp>/vis_data."""
    records = []
    for root, _, files in os.walk(work_dir):
        for name in files:
            if name == 'scalars.json':
                with open(osp.join(root, name)) as f:
                    records += [json.loads(line) for line in f]
    return records


@pytest.fixture(scope='module')
def trained(tiny_coco_root, tiny_cfg_options, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('train'))
    opts = {**tiny_cfg_options(CONFIG, tiny_coco_root, 8), **SMALL_BACKBONE}
    log = run_tool('train.py', CONFIG, '--work-dir', work_dir,
                   *cfg_options_argv(opts))
    return work_dir, opts, log


def cfg_options_argv(opts):
    from conftest import cfg_options_to_argv
    return cfg_options_to_argv(opts)


def test_train_logs_metrics_and_loss_goes_down(trained):
    work_dir, _, _ = trained
    records = scalars(work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 8
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2
    val = [r for r in records if 'spinexr/bbox_mAP_50' in r]
    assert [r['step'] for r in val] == [4, 8]
    assert {'spinexr/bbox_mAP',
            'spinexr/bbox_AP50_Osteophytes'} <= set(val[-1])
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    assert osp.isfile(osp.join(work_dir, 'iter_8.pth'))


def test_test_tool_reports_metrics(trained, tmp_path):
    work_dir, opts, _ = trained
    out = str(tmp_path / 'preds.pkl')
    log = run_tool('test.py', CONFIG, osp.join(work_dir,
                                               'iter_8.pth'), '--work-dir',
                   str(tmp_path), '--out', out, '--show-dir', 'vis',
                   *cfg_options_argv(opts))
    assert 'spinexr/bbox_mAP_50' in log
    assert 'Other lesions' in log  # the per-class table
    assert osp.getsize(out) > 0
    drawn = [
        f for _, _, fs in os.walk(tmp_path) for f in fs if f.endswith('.png')
    ]
    assert len(drawn) == 8


def test_resume_continues_from_saved_iteration(trained, tmp_path):
    work_dir, opts, _ = trained
    log = run_tool('train.py', CONFIG, '--work-dir', str(tmp_path), '--resume',
                   osp.join(work_dir, 'iter_4.pth'), *cfg_options_argv(opts))
    assert re.search(r'resumed epoch: \d+, iter: 4', log), log[-2000:]
    steps = [r['step'] for r in scalars(str(tmp_path)) if 'loss' in r]
    assert steps == [5, 6, 7, 8]


def test_sparse_rcnn_r101_trains_on_cpu(tiny_coco_root, tiny_cfg_options,
                                        tmp_path):
    """The reference config itself, AutoAugment v2 and repeat-factor
    sampling included, starts and trains through tools/train.py."""
    config = osp.join(REPO_ROOT, 'configs', 'spine', 'sparse_rcnn_r101.py')
    opts = tiny_cfg_options(config, tiny_coco_root, 2)
    opts['train_cfg.val_interval'] = 10  # no validation in two iterations
    run_tool('train.py', config, '--work-dir', str(tmp_path),
             *cfg_options_argv(opts))
    losses = [r['loss'] for r in scalars(str(tmp_path)) if 'loss' in r]
    assert len(losses) == 2
    assert all(loss == loss and loss > 0 for loss in losses)
    assert osp.isfile(tmp_path / 'iter_2.pth')
