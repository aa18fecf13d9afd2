"""Every shipped config means the same under plain mmengine loading as under
mmspine's tools, and a child that sets a name nothing reads fails before
training under any launcher (mmspine's tools, ``Runner.from_cfg``, mmdet's
own train script), naming what to write."""
import glob
import os
import os.path as osp
import re
import runpy
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmspine.apis import load_config
from mmspine.utils import ConfigSettingError, check_config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ALL_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True))
LEAF_CONFIGS = [c for c in ALL_CONFIGS if '_base_' not in c]
PHANTOM = osp.join(REPO_ROOT, 'configs', 'spine', 'phantom',
                   'faster_rcnn_r18_phantom.py')


def rel(path: str) -> str:
    return osp.relpath(path, REPO_ROOT)


class _NoRun:
    """What the patched ``build_runner`` returns: the tool ends there."""

    def train(self):
        pass

    def test(self):
        pass


def tool_config(tool: str, *argv: str) -> Config:
    """The config that ``tools/<tool>`` hands to the Runner for ``argv``."""
    ns = runpy.run_path(osp.join(REPO_ROOT, 'tools', tool))
    seen = []
    ns['main'].__globals__['build_runner'] = \
        lambda cfg: seen.append(cfg) or _NoRun()
    old = sys.argv
    sys.argv = [tool, *argv]
    try:
        ns['main']()
    finally:
        sys.argv = old
    assert len(seen) == 1
    return seen[0]


def plain_config(path: str) -> Config:
    """``Config.fromfile`` with what mmdet's train script adds."""
    cfg = Config.fromfile(path)
    cfg.launcher = 'none'
    cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def test_there_are_configs():
    assert len(LEAF_CONFIGS) == 16
    assert {'_base_', 'spine',
            'spine_cls'} <= {rel(c).split(os.sep)[1]
                             for c in ALL_CONFIGS}


@pytest.mark.parametrize('config', ALL_CONFIGS, ids=rel)
def test_every_config_passes_the_check(config):
    check_config(Config.fromfile(config))


@pytest.mark.parametrize('config', LEAF_CONFIGS, ids=rel)
def test_train_tool_hands_the_runner_the_plain_config(config):
    """Model, dataloaders (dataset, pipeline, sampler, batch size),
    schedule, optimizer, evaluators and hooks: the config the tool hands to
    ``build_runner`` is the plain one. (``build_runner`` itself only names
    the run and unnames the visualizer; the parts the Runner builds are
    compared in the next test.)"""
    plain = plain_config(config).to_dict()
    tool = tool_config('train.py', config).to_dict()
    assert tool == plain
    # and the check hook is among the hooks of every run
    assert tool['default_hooks']['config_check']['type'] == 'ConfigCheckHook'


def test_test_tool_hands_the_runner_the_plain_config():
    cfg = plain_config(PHANTOM)
    cfg.load_from = 'x.pth'
    assert tool_config('test.py', PHANTOM, 'x.pth').to_dict() == cfg.to_dict()


def test_test_tool_switches_keep_the_config_consistent():
    """--tta tests with the TTA pipeline, --split val on the val data and
    annotations: ConfigCheckHook accepts both."""
    cfg = tool_config('test.py', PHANTOM, 'x.pth', '--tta')
    assert cfg.model.type == 'DetTTAModel'
    assert cfg.test_dataloader.dataset.pipeline == cfg.tta_pipeline
    check_config(cfg)
    cfg = tool_config('test.py', PHANTOM, 'x.pth', '--split', 'val')
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/val.json'
    assert cfg.test_dataloader.dataset.data_prefix.img == 'train_images/'
    assert cfg.test_evaluator.ann_file == cfg.val_evaluator.ann_file
    check_config(cfg)


def test_runner_from_plain_config_builds_the_same_parts(tiny_coco_root):
    """What the Runner builds from both: the model's parameters, the
    dataloaders' datasets, transforms, samplers and batch sizes, the
    optimizer, schedulers, evaluators and hooks."""
    from mmengine.runner import Runner

    from mmspine.apis import build_runner, set_data_root

    def parts(runner, cfg):
        model = {
            k: tuple(v.shape)
            for k, v in runner.model.state_dict().items()
        }
        loaders = {}
        for split in ('train', 'val', 'test'):
            loader = Runner.build_dataloader(cfg[f'{split}_dataloader'])
            ds = loader.dataset
            inner = getattr(ds, 'dataset', ds)
            loaders[split] = (type(ds).__name__, len(ds), inner.ann_file,
                              repr(inner.pipeline),
                              type(loader.sampler).__name__, loader.batch_size
                              or loader.batch_sampler.batch_size)
        hooks = [type(h).__name__ for h in runner.hooks]
        return model, loaders, hooks

    opts = {'work_dir': '', 'model.backbone.init_cfg': None}
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    tool = load_config(PHANTOM, opts, data_root=tiny_coco_root)
    plain = Config.fromfile(PHANTOM)
    plain.merge_from_dict(opts)
    set_data_root(plain, tiny_coco_root)
    plain.launcher = 'none'
    for cfg in (tool, plain):
        cfg.work_dir = osp.join(tiny_coco_root, 'runner_parts')
    runners = build_runner(tool), Runner.from_cfg(plain)
    assert parts(runners[0], tool) == parts(runners[1], plain)
    optims = [
        r.build_optim_wrapper(c.optim_wrapper)
        for r, c in zip(runners, (tool, plain))
    ]
    assert [repr(o.optimizer.defaults) for o in optims] == \
        [repr(optims[0].optimizer.defaults)] * 2
    assert tool.param_scheduler == plain.param_scheduler
    assert tool.val_evaluator == plain.val_evaluator


def test_mmdet_init_detector_uses_the_tools_model_and_pipeline():
    from mmdet.apis import init_detector
    from mmdet.registry import MODELS

    from mmspine.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    for config in (PHANTOM,
                   osp.join(REPO_ROOT, 'configs', 'spine',
                            'sparse_rcnn_r50.py')):
        tool = load_config(config)
        model = init_detector(config, device='cpu')
        assert model.cfg.test_dataloader.dataset.pipeline == \
            tool.test_dataloader.dataset.pipeline
        tool.model.backbone.init_cfg = None
        built = MODELS.build(tool.model)
        assert type(built) is type(model)
        assert {k: v.shape for k, v in built.state_dict().items()} == \
            {k: v.shape for k, v in model.state_dict().items()}


def child(tmp_path, body: str, base: str = PHANTOM, name='child.py') -> str:
    path = tmp_path / name
    path.write_text(f'_base_ = {base!r}\n{body}')
    return str(path)


BAD_CHILDREN = {
    'train_batch_size = 2\n':
    'train_dataloader = dict(batch_size=2)',
    'densenet_depth = 169\n':
    'model = dict(backbone=dict(depth=169))',
    'num_classes = 3\n':
    'model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))',
    "metainfo = dict(classes=('Vertebra', ))\n":
    "write metainfo=metainfo into every dataloader's dataset",
    'train_pipeline = [dict(type="LoadImageFromFile")]\n':
    'train_pipeline differs from the pipeline of train_dataloader',
    "data_root = '/my/data/'\n":
    "data_root is '/my/data/' but train_dataloader reads",
}


@pytest.mark.parametrize('body', BAD_CHILDREN, ids=lambda b: b.split()[0])
def test_a_name_nothing_reads_fails_under_both_loaders(tmp_path, body):
    path = child(tmp_path, body)
    with pytest.raises(ConfigSettingError) as err:
        load_config(path)
    assert BAD_CHILDREN[body] in str(err.value)
    with pytest.raises(ConfigSettingError) as err:
        check_config(Config.fromfile(path))
    assert BAD_CHILDREN[body] in str(err.value)


def test_efficientdet_size_is_a_config_not_a_name(tmp_path):
    d0 = osp.join(REPO_ROOT, 'configs', 'spine', 'efficientdet_d0.py')
    with pytest.raises(ConfigSettingError, match='efficientdet_d1.py'):
        load_config(child(tmp_path, "efficientdet = 'd1'\n", d0))


def retarget(root: str) -> str:
    """Child-config lines that restate the phantom's data root."""
    return (f'data_root = {root!r}\n'
            'train_dataloader = dict(num_workers=0, persistent_workers=False,'
            ' dataset=dict(dataset=dict(data_root=data_root)))\n'
            'val_dataloader = dict(num_workers=0, persistent_workers=False,'
            ' dataset=dict(data_root=data_root))\n'
            'test_dataloader = dict(num_workers=0, persistent_workers=False,'
            ' dataset=dict(data_root=data_root))\n'
            "val_evaluator = dict(ann_file=data_root + 'annotations/val.json')"
            '\n'
            "test_evaluator = dict(ann_file=data_root + "
            "'annotations/test.json')\n")


def test_the_runner_stops_before_the_first_iteration(tmp_path, tiny_coco_root):
    """Plain ``Config.fromfile`` + ``Runner.from_cfg``: ConfigCheckHook."""
    from mmengine.runner import Runner
    path = child(
        tmp_path,
        retarget(osp.join(tiny_coco_root, '')) +
        'train_batch_size = 1\nmodel = dict(backbone=dict('
        'init_cfg=None))\n')
    cfg = Config.fromfile(path)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            ConfigSettingError,
            match=r'train_dataloader = dict\(batch_size=1\)'):
        runner.train()
    assert runner.iter == 0


def test_mmdets_train_script_stops_too(tmp_path, tiny_coco_root):
    script = osp.join(
        osp.dirname(__import__('mmdet').__file__), '.mim', 'tools', 'train.py')
    path = child(tmp_path,
                 retarget(osp.join(tiny_coco_root, '')) + 'max_iters = 1\n')
    proc = subprocess.run(
        [sys.executable, script, path, '--work-dir',
         str(tmp_path / 'work')],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1'))
    assert proc.returncode != 0
    assert 'ConfigSettingError' in proc.stderr
    assert 'train_cfg = dict(max_iters=1)' in proc.stderr
    assert not glob.glob(str(tmp_path / 'work' / '*.pth'))


def test_the_order_of_bases_changes_nothing(tmp_path):
    """The issue's case: the dataset base listed before the EfficientDet
    model base and ``efficientdet = 'd1'`` once gave D1's BiFPN at D0's
    scales; now both orders fail alike, and without the name they load
    alike."""
    bases = [
        'configs/_base_/models/efficientdet_d0.py',
        'configs/_base_/datasets/spinexr_detection.py',
        'configs/_base_/schedules/schedule_50k.py',
        'configs/_base_/default_runtime.py'
    ]
    bases = [osp.join(REPO_ROOT, b) for b in bases]
    loaded, errors = [], []
    for name, order in (('one.py', bases), ('two.py', bases[::-1])):
        path = tmp_path / name
        path.write_text(f'_base_ = {order!r}\n')
        loaded.append(load_config(str(path)).to_dict())
        path.write_text(f"_base_ = {order!r}\nefficientdet = 'd1'\n")
        with pytest.raises(ConfigSettingError) as err:
            load_config(str(path))
        errors.append(str(err.value).split(':', 1)[1])
    for cfg in loaded:
        cfg.pop('work_dir')
    assert loaded[0] == loaded[1]
    assert errors[0] == errors[1] and 'efficientdet_d1.py' in errors[0]


def test_a_child_of_an_mmdet_config_passes(tmp_path):
    """mmdet's own configs (top-level helpers, 'mmdet::' scopes) are not
    flagged."""
    for base in ('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
                 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'):
        path = tmp_path / 'mmdet_child.py'
        path.write_text(f'_base_ = {base!r}\n')
        check_config(Config.fromfile(str(path)))


def readme_example(heading: str) -> str:
    """The first python block under ``heading`` in the README."""
    with open(osp.join(REPO_ROOT, 'README.md')) as f:
        text = f.read()
    section = text[text.index(heading):]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def from_readme(tmp_path, heading: str) -> str:
    body = readme_example(heading)
    base = re.search(r"_base_ = '\.\./(configs/[^']+)'", body).group(1)
    path = tmp_path / 'readme_example.py'
    path.write_text(
        body.replace(f"'../{base}'", repr(osp.join(REPO_ROOT, base))))
    return str(path)


def test_readme_new_experiment_under_both_loaders(tmp_path):
    path = from_readme(tmp_path, '### A new experiment is a short config')
    tool, plain = load_config(path), plain_config(path)
    plain.work_dir = tool.work_dir
    assert tool.to_dict() == plain.to_dict()
    assert plain.train_dataloader.batch_size == 8
    assert plain.optim_wrapper.optimizer.lr == 5e-4
    assert plain.train_cfg.max_iters == 20000
    assert plain.param_scheduler[-1].end == 20000
    # the recipe's AutoAugment is still there
    pipeline = plain.train_dataloader.dataset.dataset.pipeline
    assert 'DetAutoAugment' in [t['type'] for t in pipeline]


def test_readme_own_classes_under_both_loaders(tmp_path):
    path = from_readme(tmp_path, '### Your own data and classes')
    tool, plain = load_config(path), plain_config(path)
    plain.work_dir = tool.work_dir
    assert tool.to_dict() == plain.to_dict()
    classes = ('cyst', 'screw')
    for split in ('train', 'val', 'test'):
        loader = plain[f'{split}_dataloader']
        ds = loader.dataset.get('dataset', loader.dataset)
        assert tuple(ds.metainfo.classes) == classes
    assert plain.model.roi_head.bbox_head.num_classes == 2


@pytest.mark.parametrize('size', ['d0', 'd1', 'd2', 'd3'])
def test_efficientdet_starts_from_imagenet_weights(size):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'spine', f'efficientdet_{size}.py'))
    init = cfg.model.backbone.init_cfg
    arch = f'b{size[1]}'
    assert cfg.model.backbone.arch == arch
    assert init.type == 'Pretrained' and init.prefix == 'backbone'
    assert f'efficientnet-{arch}_' in init.checkpoint
    assert 'in1k' in init.checkpoint


def test_backbone_prefix_maps_a_classifier_checkpoint(tmp_path):
    """The ImageNet checkpoints are mmpretrain classifiers (keys
    ``backbone.*`` beside ``head.*``): ``prefix='backbone'`` loads exactly
    the backbone's weights."""
    from mmdet.registry import MODELS
    from mmengine.runner.checkpoint import save_checkpoint

    from mmspine.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'spine', 'efficientdet_d0.py'))
    source = MODELS.build(dict(cfg.model.backbone, init_cfg=None))
    torch.manual_seed(0)
    for p in source.parameters():
        p.data.normal_()
    state = {f'backbone.{k}': v for k, v in source.state_dict().items()}
    state['head.fc.weight'] = torch.zeros(1000, 1280)
    ckpt = str(tmp_path / 'efficientnet-b0_in1k.pth')
    save_checkpoint(state, ckpt)
    target = MODELS.build(
        dict(
            cfg.model.backbone,
            init_cfg=dict(cfg.model.backbone.init_cfg, checkpoint=ckpt)))
    target.init_weights()
    for k, v in source.state_dict().items():
        assert torch.equal(target.state_dict()[k], v), k
