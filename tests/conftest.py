"""Shared fixtures: a tiny real detection data set made on the fly."""
import json
import os
import os.path as osp
from typing import Dict

import cv2
import numpy as np
import pytest

from mmspine.metainfo import SPINEXR_CLASSES

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def make_tiny_coco(root: str,
                   split: str,
                   num_images: int,
                   size: int = 96,
                   num_empty: int = 1,
                   seed: int = 0) -> Dict:
    """Write PNGs with one bright class-coded square each, and a COCO JSON.

    Class k is drawn with grey level 60 + 25 * k, so a detector can tell the
    classes apart. The last ``num_empty`` images have no box, like
    VinDr-SpineXR's "No finding" images.
    """
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, f'{split}_images')
    ann_dir = osp.join(root, 'annotations')
    for d in (img_dir, ann_dir):
        os.makedirs(d, exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        img = rng.integers(0, 30, (size, size), dtype=np.uint8)
        image_id = i + 1
        if i < num_images - num_empty:
            label = i % len(SPINEXR_CLASSES)
            w, h = rng.integers(size // 4, size // 2, 2)
            x, y = rng.integers(0, size - w), rng.integers(0, size - h)
            img[y:y + h, x:x + w] = 60 + 25 * label
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=label + 1,
                    bbox=[float(x), float(y),
                          float(w), float(h)],
                    area=float(w * h),
                    iscrowd=0))
        name = f'{split}_{i:03d}.png'
        cv2.imwrite(osp.join(img_dir, name), img)
        images.append(
            dict(id=image_id, file_name=name, width=size, height=size))
    coco = dict(
        images=images,
        annotations=annotations,
        categories=[
            dict(id=k + 1, name=name) for k, name in enumerate(SPINEXR_CLASSES)
        ])
    with open(osp.join(ann_dir, f'{split}.json'), 'w') as f:
        json.dump(coco, f)
    return coco


@pytest.fixture(scope='session')
def tiny_coco_root(tmp_path_factory) -> str:
    """A data root with train (14 images, 2 empty) and test (8, 1 empty)."""
    root = str(tmp_path_factory.mktemp('tiny_spinexr'))
    make_tiny_coco(root, 'train', 14, num_empty=2, seed=0)
    make_tiny_coco(root, 'test', 8, num_empty=1, seed=1)
    return root


def _index_of(pipeline: list, transform: str) -> int:
    return [t['type'] for t in pipeline].index(transform)


def tiny_cfg_options(config: str, root: str, max_iters: int = 16) -> Dict:
    """``--cfg-options`` that point a detector config at ``root``.

    Small images, no pretrained weights, no worker processes, a warm-up
    shorter than the run, validation and a checkpoint every half run.
    """
    from mmengine import Config
    cfg = Config.fromfile(config)
    train_pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    resize = _index_of(train_pipeline, 'RandomChoiceResize')
    test_resize = _index_of(test_pipeline, 'Resize')
    half = max(max_iters // 2, 1)
    opts = {
        'train_dataloader.dataset.dataset.data_root':
        root,
        'train_dataloader.batch_size':
        2,
        f'train_dataloader.dataset.dataset.pipeline.{resize}.scales':
        [(128, 96), (160, 112)],
        'model.backbone.init_cfg':
        None,
        'load_from':
        None,
        'train_cfg.max_iters':
        max_iters,
        'train_cfg.val_interval':
        half,
        'param_scheduler.0.end':
        2,
        'default_hooks.checkpoint.interval':
        half,
        'default_hooks.logger.interval':
        1,
        'log_processor.window_size':
        1,
        'val_evaluator.ann_file':
        osp.join(root, 'annotations/test.json'),
        'test_evaluator.ann_file':
        osp.join(root, 'annotations/test.json'),
    }
    for loader in ('train', 'val', 'test'):
        opts[f'{loader}_dataloader.num_workers'] = 0
        opts[f'{loader}_dataloader.persistent_workers'] = False
    for loader in ('val', 'test'):
        opts[f'{loader}_dataloader.dataset.data_root'] = root
        opts[f'{loader}_dataloader.dataset.pipeline.{test_resize}.scale'] = \
            (160, 128)
    return opts


def cfg_options_to_argv(opts: Dict) -> list:
    """Render options as ``--cfg-options`` arguments of the tools."""

    def render(v):
        if isinstance(v, list):
            return '[' + ','.join(render(x) for x in v) + ']'
        if isinstance(v, tuple):
            return '(' + ','.join(render(x) for x in v) + ')'
        return str(v)

    return ['--cfg-options'] + [f'{k}={render(v)}' for k, v in opts.items()]


@pytest.fixture(scope='session', name='tiny_cfg_options')
def tiny_cfg_options_fixture():
    """:func:`tiny_cfg_options`, for tests in other folders."""
    return tiny_cfg_options


@pytest.fixture(scope='session')
def mmdet_registry():
    """Register mmdet's and mmspine's modules, scope 'mmdet'."""
    from mmspine.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def _infer_cfg_options(root: str, work_dir: str, max_iters: int,
                       seed: int) -> Dict:
    """Options that train a phantom config on ``root``'s test split."""
    opts = {
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_begin': max_iters + 1,
        'default_hooks.checkpoint.interval': max_iters,
        'default_hooks.logger.interval': 1,
        'randomness': dict(seed=seed),
        'work_dir': work_dir,
    }
    for loader in ('train', 'val', 'test'):
        opts[f'{loader}_dataloader.num_workers'] = 0
        opts[f'{loader}_dataloader.persistent_workers'] = False
    return opts


@pytest.fixture(scope='session')
def phantom_infer_models(tmp_path_factory, mmdet_registry) -> Dict:
    """A phantom (4 test DICOMs, 256 px, PNGs at --max-size 160) and, trained
    2 iterations each on it, two Faster R-CNNs and one DenseNet classifier.

    Returns ``root``, ``dicom_dir``, ``max_size``, ``det`` (two ``(config,
    checkpoint)`` pairs) and ``cls`` (one pair); the configs are the ones
    the Runner dumped, with the training options merged in.
    """
    import torch

    from mmspine.apis import build_runner, load_config, set_data_root
    from mmspine.phantom import prepare_phantom_dataset

    root = str(tmp_path_factory.mktemp('phantom_infer'))
    max_size = 160
    prepare_phantom_dataset(root, 0, 4, seed=0, size=256, max_size=max_size)
    det_config = osp.join(REPO_ROOT, 'configs', 'spine', 'phantom',
                          'faster_rcnn_r18_phantom.py')
    cls_config = osp.join(REPO_ROOT, 'configs', 'spine_cls',
                          'densenet121_phantom.py')
    # the test split trains too: this is about plumbing, not accuracy
    det_opts = {
        'preprocess.max_size': max_size,
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.dataset.ann_file': 'annotations/test.json',
        'train_dataloader.dataset.dataset.data_prefix.img': 'test_images/',
        'train_dataloader.dataset.dataset.pipeline.2.scales': [(160, 128)],
        'param_scheduler.0.end': 1,
    }
    for loader in ('val', 'test'):
        det_opts[f'{loader}_dataloader.dataset.pipeline.1.scale'] = (160, 128)
    cls_opts = {
        'preprocess.max_size': max_size,
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.ann_file': 'annotations/test.csv',
        'train_dataloader.dataset.data_prefix.img': 'test_images/',
    }
    threads = torch.get_num_threads()
    # one thread: on a loaded machine two threads wait on each other
    torch.set_num_threads(1)
    try:
        models = {}
        for name, config, opts, seed in (('det0', det_config, det_opts, 0),
                                         ('det1', det_config, det_opts, 1),
                                         ('cls0', cls_config, cls_opts, 0)):
            cfg = load_config(
                config,
                dict(opts,
                     **_infer_cfg_options(root, osp.join(root, name), 2,
                                          seed)))
            set_data_root(cfg, root)
            build_runner(cfg).train()
            # the config the Runner dumps has the options merged in
            models[name] = (osp.join(root, name, osp.basename(config)),
                            osp.join(root, name, 'iter_2.pth'))
    finally:
        torch.set_num_threads(threads)
    return dict(
        root=root,
        dicom_dir=osp.join(root, 'dicom', 'test_images'),
        max_size=max_size,
        det=[models['det0'], models['det1']],
        cls=[models['cls0']])
