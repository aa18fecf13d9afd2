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


def tiny_cfg_options(config: str, root: str, max_iters: int = 16) -> Dict:
    """``--cfg-options`` that point a detector config at ``root``.

    Small images, no pretrained weights, no worker processes, a warm-up
    shorter than the run, validation and a checkpoint every half run. Only
    the hoisted names of the bases are set (``mmspine.apis.load_config``
    applies them); ``config`` is the config they are meant for.
    """
    half = max(max_iters // 2, 1)
    return {
        'data_root': osp.join(root, ''),
        'train_batch_size': 2,
        'num_workers': 0,
        'train_scales': [(128, 96), (160, 112)],
        'test_scale': (160, 128),
        'model.backbone.init_cfg': None,
        'load_from': None,
        'max_iters': max_iters,
        'val_interval': half,
        'warmup_iters': 2,
        'checkpoint_interval': half,
        'log_interval': 1,
        'log_processor.window_size': 1,
    }


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
