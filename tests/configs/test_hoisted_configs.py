"""Every config loads through the documented loader with its hoisted names
applied, and a child config that sets them gets them everywhere."""
import glob
import os.path as osp

import pytest
from mmengine import Config

from mmspine.apis import load_config
from mmspine.utils import HoistedConfigError, apply_hoisted

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ALL_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True))
LEAF_CONFIGS = [c for c in ALL_CONFIGS if '_base_' not in c]
SPARSE_R50 = osp.join(REPO_ROOT, 'configs', 'spine', 'sparse_rcnn_r50.py')


def rel(path: str) -> str:
    return osp.relpath(path, REPO_ROOT)


def resize_scale(pipeline) -> tuple:
    scales = [tuple(t['scale']) for t in pipeline if t['type'] == 'Resize']
    assert len(scales) == 1, pipeline
    return scales[0]


def child(tmp_path, body: str, base: str = SPARSE_R50) -> str:
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = {base!r}\n{body}')
    return str(path)


@pytest.fixture(scope='module')
def loaded():
    return {c: load_config(c) for c in ALL_CONFIGS}


def test_every_config_settles(loaded):
    assert len(LEAF_CONFIGS) >= 10
    for config, cfg in loaded.items():
        # nothing left to re-derive: load_config applied every name
        assert apply_hoisted(cfg) == [], rel(config)


def test_tta_and_test_pipelines_agree_on_scale(loaded):
    """The phantom's test scale once never reached the inherited TTA
    pipeline (1333 x 800): mAP@0.5 0.000 with --tta, 0.896 without."""
    checked = 0
    for config, cfg in loaded.items():
        if 'tta_pipeline' not in cfg or 'test_dataloader' not in cfg:
            continue
        assert resize_scale(cfg.tta_pipeline) == resize_scale(
            cfg.test_dataloader.dataset.pipeline), rel(config)
        checked += 1
    assert checked >= 7


def test_heads_follow_the_classes(loaded):
    for config, cfg in loaded.items():
        if 'metainfo' not in cfg or 'model' not in cfg:
            continue
        n = len(cfg.metainfo.classes)
        model = str(cfg.model.to_dict())
        assert f"'num_classes': {n}" in model, rel(config)
        assert "'num_classes': 80" not in model, rel(config)


def test_phantom_tta_at_phantom_scale(loaded):
    config = osp.join(REPO_ROOT, 'configs/spine/phantom/'
                      'faster_rcnn_r18_phantom.py')
    assert resize_scale(loaded[config].tta_pipeline) == (320, 256)
    # the raw mmengine load shows why the loader is needed
    assert resize_scale(Config.fromfile(config).tta_pipeline) == (1333, 800)


def test_issue_example_child(tmp_path):
    cfg = load_config(
        child(tmp_path, "data_root = '/my/data/'\ntrain_batch_size = 2\n"))
    train = cfg.train_dataloader
    assert train.batch_size == 2
    assert train.dataset.type == 'ClassBalancedDataset'
    assert train.dataset.dataset.data_root == '/my/data/'
    # the child's train pipeline (AutoAugment) survives
    assert 'DetAutoAugment' in [t.type for t in train.dataset.dataset.pipeline]
    for name in ('val', 'test'):
        assert cfg[f'{name}_dataloader'].dataset.data_root == '/my/data/'
        assert cfg[f'{name}_evaluator'].ann_file == \
            '/my/data/annotations/test.json'


def test_cfg_options_and_data_root_argument(tmp_path):
    cfg = load_config(
        SPARSE_R50, {
            'test_short_edge': 512,
            'num_workers': 0
        },
        data_root=str(tmp_path))
    root = osp.join(str(tmp_path), '')
    assert cfg.train_dataloader.dataset.dataset.data_root == root
    assert cfg.test_evaluator.ann_file == root + 'annotations/test.json'
    assert cfg.test_scale == (1333, 512)
    assert resize_scale(cfg.tta_pipeline) == (1333, 512)
    assert resize_scale(cfg.val_dataloader.dataset.pipeline) == (1333, 512)
    assert cfg.train_dataloader.persistent_workers is False


def test_child_that_contradicts_itself_is_an_error(tmp_path):
    config = child(
        tmp_path, 'train_batch_size = 2\n'
        'train_dataloader = dict(batch_size=8)\n')
    with pytest.raises(HoistedConfigError) as err:
        load_config(config)
    assert 'train_dataloader.batch_size is set to 8' in str(err.value)
    assert 'train_dataloader.batch_size=2' in str(err.value)


def test_own_classes_reach_heads_datasets_and_palette(tmp_path):
    cfg = load_config(
        child(tmp_path, "metainfo = dict(classes=('cyst', 'screw'))\n"))
    assert cfg.model.roi_head.bbox_head.num_classes == 2
    for name in ('train', 'val', 'test'):
        dataset = cfg[f'{name}_dataloader'].dataset
        meta = dataset.get('dataset', dataset).metainfo
        assert tuple(meta.classes) == ('cyst', 'screw')
        assert len(meta.palette) == 2


def test_own_classes_and_a_stale_head_conflict(tmp_path):
    config = child(
        tmp_path, "metainfo = dict(classes=('cyst', 'screw'))\n"
        'model = dict(roi_head=dict(bbox_head=dict(num_classes=5)))\n')
    with pytest.raises(HoistedConfigError, match='num_classes is set to 5'):
        load_config(config)


def test_direct_options_win_and_names_spread():
    phantom = osp.join(REPO_ROOT,
                       'configs/spine/phantom/faster_rcnn_r18_phantom.py')
    # the phantom sets max_iters itself; a key set directly still wins
    cfg = load_config(phantom, {'train_cfg.max_iters': 2})
    assert cfg.train_cfg.max_iters == 2
    cfg = load_config(phantom, {'max_iters': 2, 'train_batch_size': 1})
    assert cfg.train_cfg.max_iters == 2
    assert cfg.param_scheduler[1].end == 2
    assert cfg.train_dataloader.batch_size == 1
