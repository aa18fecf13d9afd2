"""Shared fixtures: a tiny real detection data set made on the fly, a tiny
detector trained on it once per session, and ways to run the tools."""
import json
import os
import os.path as osp
import runpy
import subprocess
import sys
from types import SimpleNamespace
from typing import Dict, NamedTuple, Optional, Sequence

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
                   seed: int = 0,
                   classes: Sequence[str] = SPINEXR_CLASSES,
                   image_folder: Optional[str] = None) -> Dict:
    """Write PNGs with one bright class-coded square each, and a COCO JSON
    (``annotations/<split>.json``).

    Class k is drawn with grey level 60 + 25 * k, so a detector can tell the
    classes apart. The last ``num_empty`` images have no box, like
    VinDr-SpineXR's "No finding" images. The images go to
    ``<image_folder or split>_images/`` (the val split lives in
    ``train_images/``, as the converters write it).
    """
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, f'{image_folder or split}_images')
    ann_dir = osp.join(root, 'annotations')
    for d in (img_dir, ann_dir):
        os.makedirs(d, exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        img = rng.integers(0, 30, (size, size), dtype=np.uint8)
        image_id = i + 1
        if i < num_images - num_empty:
            label = i % len(classes)
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
            dict(id=k + 1, name=name) for k, name in enumerate(classes)
        ])
    with open(osp.join(ann_dir, f'{split}.json'), 'w') as f:
        json.dump(coco, f)
    return coco


#: What runs first, longest first: the pytest-xdist groups of tests that
#: share a trained model (each on one worker), then the longest single
#: tests; the short tests fill in around them, so that the workers finish
#: together (``make test`` runs ``--dist loadgroup``).
LONG_GROUPS = ('node', 'tiny_detector', 'phantom_infer_models')
LONG_MODULES = ('tools/test_reference_config.py', 'tools/test_own_classes.py',
                'apis/test_demo.py', 'configs/test_detector_configs.py',
                'tools/test_train_dicom.py')


def pytest_collection_modifyitems(config, items):
    """Order the tests as :data:`LONG_GROUPS` and :data:`LONG_MODULES` say,
    keeping the order within each."""
    tests_dir = osp.dirname(osp.abspath(__file__))

    def rank(item):
        for mark in item.iter_markers('xdist_group'):
            name = mark.args[0] if mark.args else mark.kwargs.get('name')
            if name in LONG_GROUPS:
                return LONG_GROUPS.index(name)
        module = osp.relpath(str(item.path), tests_dir)
        if module in LONG_MODULES:
            return len(LONG_GROUPS) + LONG_MODULES.index(module)
        return len(LONG_GROUPS) + len(LONG_MODULES)

    items.sort(key=rank)


def threads_per_worker() -> int:
    """CPU threads for one test process: the cores shared among
    pytest-xdist's workers (``make test`` runs one per core)."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    return max(1, (os.cpu_count() or 1) // workers)


@pytest.fixture(scope='session', autouse=True)
def torch_threads():
    """Two workers each running two threads on two cores wait on each
    other: every worker gets its share of the cores."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(min(threads, threads_per_worker()))
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def one_thread():
    """One torch thread for a module of tiny models: on a shared 2-core
    machine two threads wait on each other."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def tiny_coco_root(tmp_path_factory) -> str:
    """A data root with train (14 images, 2 empty), val (6, 1 empty, in
    train_images/) and test (8, 1 empty)."""
    root = str(tmp_path_factory.mktemp('tiny_spinexr'))
    make_tiny_coco(root, 'train', 14, num_empty=2, seed=0)
    make_tiny_coco(root, 'val', 6, num_empty=1, seed=2, image_folder='train')
    make_tiny_coco(root, 'test', 8, num_empty=1, seed=1)
    return root


def _index_of(pipeline, kind: str) -> int:
    types = [t['type'] for t in pipeline]
    return types.index(kind)


def tiny_cfg_options(
    config: str,
    max_iters: int = 16,
    train_scales=((128, 96), (160, 112)),
    test_scale=(160, 128)
) -> Dict:
    """``--cfg-options`` that make a detector config tiny, as a user writes
    them: explicit keys of the config (point it at data with
    ``--data-root``).

    Small images (in the pipelines and the dataloaders that use them), no
    pretrained weights, no worker processes, a warm-up shorter than the
    run, validation and a checkpoint every half run.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    half = max(max_iters // 2, 1)
    opts = {
        'train_dataloader.batch_size': 2,
        'model.backbone.init_cfg': None,
        'load_from': None,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': half,
        'default_hooks.checkpoint.interval': half,
        'default_hooks.logger.interval': 1,
        'log_processor.window_size': 1,
    }
    for loader in ('train', 'val', 'test'):
        opts[f'{loader}_dataloader.num_workers'] = 0
        opts[f'{loader}_dataloader.persistent_workers'] = False
    for i, sched in enumerate(cfg.param_scheduler):
        if sched['type'] == 'LinearLR':
            opts[f'param_scheduler.{i}.end'] = 2
        else:
            opts[f'param_scheduler.{i}.end'] = max_iters
            opts[f'param_scheduler.{i}.milestones'] = [max_iters - 1]
    resize = _index_of(cfg.train_pipeline, 'RandomChoiceResize')
    scales = [tuple(s) for s in train_scales]
    opts[f'train_pipeline.{resize}.scales'] = scales
    opts[f'train_dataloader.dataset.dataset.pipeline.{resize}.scales'] = \
        scales
    resize = _index_of(cfg.test_pipeline, 'Resize')
    for where in ('test_pipeline', 'tta_pipeline',
                  'val_dataloader.dataset.pipeline',
                  'test_dataloader.dataset.pipeline'):
        opts[f'{where}.{resize}.scale'] = tuple(test_scale)
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


def run_tool(tool: str, *args: str, timeout: int = 900) -> str:
    """Run ``tools/<tool>`` in a subprocess, as a user would; its output.

    Keep this for one run of each tool: it proves the script runs on its
    own (imports, registration, argv). Other runs use
    :func:`run_tool_in_process`, which skips the interpreter start.
    """
    env = dict(
        os.environ,
        PYTHONPATH=REPO_ROOT,
        OMP_NUM_THREADS=str(threads_per_worker()))
    proc = subprocess.run(
        [sys.executable,
         osp.join(REPO_ROOT, 'tools', tool), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def run_tool_in_process(tool: str, *args: str) -> None:
    """Run ``tools/<tool>``'s ``main`` in this process with ``args``."""
    argv = sys.argv
    sys.argv = [tool, *args]
    try:
        runpy.run_path(osp.join(REPO_ROOT, 'tools', tool), run_name='__main__')
    finally:
        sys.argv = argv


#: The shared detector: mmdet's Faster R-CNN R50-FPN config with ResNet-18.
TINY_DETECTOR_CONFIG = osp.join(REPO_ROOT, 'configs', 'spine',
                                'faster_rcnn_r50_fpn.py')
TINY_DETECTOR_ITERS = 8

#: Options that make Faster R-CNN R50-FPN cheap and keep its structure.
TINY_FASTER_RCNN = {
    # ResNet-18 keeps the real config's structure at a fraction of the cost
    'model.backbone.depth': 18,
    'model.neck.in_channels': [64, 128, 256, 512],
    # the box head's two 1024-wide layers over 512 sampled RoIs were most
    # of an iteration's time; narrower, the same code runs
    'model.roi_head.bbox_head.fc_out_channels': 128,
    'model.train_cfg.rcnn.sampler.num': 128,
    # an untrained RPN's 1000 proposals, most of them large, made RoI Align
    # (adaptive sampling) most of a prediction's time
    'model.test_cfg.rpn.max_per_img': 100,
    'model.train_cfg.rpn_proposal.max_per_img': 300,
    'model.roi_head.bbox_roi_extractor.roi_layer.sampling_ratio': 2,
}


class TinyDetector(NamedTuple):
    """A trained detector: what a test needs to test, resume or infer."""
    config: str
    cfg_options: Dict
    work_dir: str
    checkpoint: str
    data_root: str
    train_log: str


@pytest.fixture(scope='session')
def tiny_detector(tiny_coco_root, tmp_path_factory) -> TinyDetector:
    """Faster R-CNN with a ResNet-18 trained for 8 iterations (seeded) on
    :func:`tiny_coco_root` by ``tools/train.py --tensorboard`` in a
    subprocess; checkpoints at iterations 4 and 8, validation at both.

    Shared by the tools, fusion, report and inference tests: train it once.
    Its ``cfg_options`` load the same model for testing elsewhere (with
    ``--data-root``; :func:`tiny_cfg_options` makes other scales).
    """
    work_dir = str(tmp_path_factory.mktemp('tiny_detector'))
    opts = tiny_cfg_options(TINY_DETECTOR_CONFIG, TINY_DETECTOR_ITERS)
    opts.update(TINY_FASTER_RCNN, **{'randomness.seed': 0})
    log = run_tool('train.py', TINY_DETECTOR_CONFIG, '--work-dir', work_dir,
                   '--data-root', tiny_coco_root, '--tensorboard',
                   *cfg_options_to_argv(opts))
    checkpoint = osp.join(work_dir, f'iter_{TINY_DETECTOR_ITERS}.pth')
    assert osp.isfile(checkpoint), log[-2000:]
    return TinyDetector(TINY_DETECTOR_CONFIG, opts, work_dir, checkpoint,
                        tiny_coco_root, log)


@pytest.fixture(scope='session')
def tiny_detector_test(tiny_detector, tmp_path_factory) -> SimpleNamespace:
    """``tools/test.py`` (in this process) on :func:`tiny_detector`'s last
    checkpoint with ``--data-root``, ``--out`` and ``--show-dir``; shared by
    the tool's and the report's tests: its ``work_dir``, ``log`` (text),
    ``preds`` (the pickle) and ``ann_file``."""
    work_dir = str(tmp_path_factory.mktemp('tiny_detector_test'))
    preds = osp.join(work_dir, 'preds.pkl')
    opts = dict(tiny_detector.cfg_options)
    run_tool_in_process('test.py', tiny_detector.config,
                        tiny_detector.checkpoint, '--work-dir', work_dir,
                        '--out', preds, '--show-dir', 'vis', '--data-root',
                        tiny_detector.data_root, *cfg_options_to_argv(opts))
    logs = [
        osp.join(root, name) for root, _, names in os.walk(work_dir)
        for name in names if name.endswith('.log')
    ]
    assert len(logs) == 1, logs
    with open(logs[0]) as f:
        log = f.read()
    return SimpleNamespace(
        work_dir=work_dir,
        log=log,
        preds=preds,
        ann_file=osp.join(tiny_detector.data_root, 'annotations', 'test.json'))


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

    from mmspine.apis import build_runner, load_config
    from mmspine.phantom import prepare_phantom_dataset

    root = str(tmp_path_factory.mktemp('phantom_infer'))
    max_size = 160
    prepare_phantom_dataset(root, 0, 4, seed=0, size=256, max_size=max_size)
    det_config = osp.join(REPO_ROOT, 'configs', 'spine', 'phantom',
                          'faster_rcnn_r18_phantom.py')
    cls_config = osp.join(REPO_ROOT, 'configs', 'spine_cls',
                          'densenet121_phantom.py')
    # the test split trains and validates too: this is about plumbing, not
    # accuracy
    det_opts = {
        'preprocess.max_size': max_size,
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.dataset.ann_file': 'annotations/test.json',
        'train_dataloader.dataset.dataset.data_prefix.img': 'test_images/',
        'train_pipeline.2.scales': [(160, 128)],
        'train_dataloader.dataset.dataset.pipeline.2.scales': [(160, 128)],
        'val_dataloader.dataset.ann_file': 'annotations/test.json',
        'val_dataloader.dataset.data_prefix.img': 'test_images/',
        'val_evaluator.ann_file': osp.join(root, 'annotations', 'test.json'),
        'param_scheduler.0.end': 1,
    }
    for where in ('test_pipeline', 'tta_pipeline',
                  'val_dataloader.dataset.pipeline',
                  'test_dataloader.dataset.pipeline'):
        det_opts[f'{where}.1.scale'] = (160, 128)
    cls_opts = {
        'preprocess.max_size': max_size,
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.ann_file': 'annotations/test.csv',
        'train_dataloader.dataset.data_prefix.img': 'test_images/',
        'val_dataloader.dataset.ann_file': 'annotations/test.csv',
        'val_dataloader.dataset.data_prefix.img': 'test_images/',
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
                                          seed)),
                data_root=root)
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
