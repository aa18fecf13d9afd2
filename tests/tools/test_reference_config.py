"""The reference Sparse R-CNN R101 config: AutoAugment and repeat-factor
sampling in the data the Runner builds, and it trains through the tool."""
import json
import math
import os.path as osp
from collections import Counter

from conftest import REPO_ROOT, cfg_options_to_argv, run_tool_in_process
from test_train_test import logged_losses

CONFIG = osp.join(REPO_ROOT, 'configs', 'spine', 'sparse_rcnn_r101.py')


def test_train_data_is_autoaugmented_and_repeat_factor_sampled(
        tiny_coco_root, tiny_cfg_options, tmp_path, mmdet_registry):
    """The train dataset the Runner builds: DetAutoAugment in its pipeline,
    and images repeated ceil(r(I)) times, with r(I) = max over the image's
    classes c of max(1, sqrt(t / f(c))) (LVIS), f counted here from the
    annotation file."""
    from mmengine.runner import Runner

    from mmspine.apis import load_config
    opts = tiny_cfg_options(CONFIG, 2)
    # a threshold above the tiny set's class frequencies: some repeats
    thr = 0.5
    opts['train_dataloader.dataset.oversample_thr'] = thr
    cfg = load_config(CONFIG, opts, str(tmp_path), data_root=tiny_coco_root)
    # as Runner.train builds it (the model is not needed)
    dataset = Runner.build_dataloader(cfg.train_dataloader, seed=0).dataset
    assert type(dataset).__name__ == 'ClassBalancedDataset'
    assert dataset.oversample_thr == thr
    steps = [type(t).__name__ for t in dataset.dataset.pipeline.transforms]
    assert 'DetAutoAugment' in steps, steps

    with open(osp.join(tiny_coco_root, 'annotations', 'train.json')) as f:
        coco = json.load(f)
    classes_of = {}
    for ann in coco['annotations']:
        classes_of.setdefault(ann['image_id'], set()).add(ann['category_id'])
    # images without boxes are dropped from training
    assert len(dataset.dataset) == len(classes_of)
    freq = Counter(c for cats in classes_of.values() for c in cats)
    expected = {
        img:
        math.ceil(
            max(
                max(1., math.sqrt(thr / (freq[c] / len(classes_of))))
                for c in cats))
        for img, cats in classes_of.items()
    }
    assert max(expected.values()) > 1
    repeats = Counter(
        dataset.dataset.get_data_info(i)['img_id']
        for i in dataset.repeat_indices)
    assert dict(repeats) == expected
    assert len(dataset) == sum(expected.values())


def test_sparse_rcnn_r101_trains_on_cpu(tiny_coco_root, tiny_cfg_options,
                                        tmp_path):
    """The reference config itself starts and trains through
    tools/train.py: two finite losses and a checkpoint."""
    config = CONFIG
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
