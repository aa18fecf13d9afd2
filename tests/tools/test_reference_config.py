"""The reference Sparse R-CNN R101 config itself trains through the tool."""
import os.path as osp

from conftest import REPO_ROOT, cfg_options_to_argv, run_tool_in_process
from test_train_test import logged_losses


def test_sparse_rcnn_r101_trains_on_cpu(tiny_coco_root, tiny_cfg_options,
                                        tmp_path):
    """The reference config itself, AutoAugment v2 and repeat-factor
    sampling included, starts and trains through tools/train.py."""
    config = osp.join(REPO_ROOT, 'configs', 'spine', 'sparse_rcnn_r101.py')
    opts = tiny_cfg_options(config, 2)
    # one checkpoint, no validation: the last iteration would validate
    opts.update({
        'train_cfg.val_begin': 3,
        'default_hooks.checkpoint.interval': 2,
        # the weights alone: Sparse R-CNN R101's AdamW state is 0.8 GB
        'default_hooks.checkpoint.save_optimizer': False,
        'train_dataloader.batch_size': 1,
    })
    run_tool_in_process('train.py', config, '--work-dir', str(tmp_path),
                        '--data-root', tiny_coco_root,
                        *cfg_options_to_argv(opts))
    losses = [loss for _, loss in logged_losses(str(tmp_path))]
    assert len(losses) == 2
    assert all(loss == loss and loss > 0 for loss in losses)
    assert osp.isfile(tmp_path / 'iter_2.pth')
