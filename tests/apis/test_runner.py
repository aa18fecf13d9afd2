import copy
import os.path as osp

import pytest
import torch

from mmspine.apis import (load_config, resolve_amp_dtype, setup_speed,
                          setup_train)
from mmspine.utils.precision import native_bf16

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPARSE = osp.join(REPO_ROOT, 'configs/spine/sparse_rcnn_r101.py')


@pytest.fixture(scope='module')
def sparse_cfg():
    """The reference config, parsed once; tests change deep copies."""
    cfg = load_config(SPARSE)
    return lambda: copy.deepcopy(cfg)


def test_amp_bf16_runs_unscaled_fp16_dynamic(sparse_cfg):
    cfg = setup_train(sparse_cfg(), amp=True, amp_dtype='bf16')
    wrapper = cfg.optim_wrapper
    assert wrapper.type == 'MixedPrecisionOptimWrapper'
    assert wrapper.dtype == 'bfloat16' and wrapper.loss_scale is None
    # the recipe's clipping and optimizer survive
    assert wrapper.clip_grad.max_norm == 1.0
    assert wrapper.optimizer.type == 'AdamW'
    cfg = setup_train(sparse_cfg(), amp=True, amp_dtype='fp16')
    assert cfg.optim_wrapper.dtype == 'float16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    # a fixed scale set in the config (--cfg-options) is kept
    cfg = sparse_cfg()
    cfg.merge_from_dict({'optim_wrapper.loss_scale': 512.})
    cfg = setup_train(cfg, amp=True, amp_dtype='fp16')
    assert cfg.optim_wrapper.loss_scale == 512.
    assert setup_train(sparse_cfg()).optim_wrapper.type == 'OptimWrapper'


def test_auto_dtype_follows_native_bf16(monkeypatch):
    """bfloat16 on the CPU and on GPUs that compute it natively (compute
    capability >= 8.0), float16 on GPUs that only emulate it, although
    torch's ``is_bf16_supported()`` says yes to those too."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert resolve_amp_dtype('auto') == 'bfloat16'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(
        torch.cuda, 'is_bf16_supported', lambda including_emulation=True: True)
    for capability, dtype in (((7, 0), 'float16'), ((7, 5), 'float16'),
                              ((8, 0), 'bfloat16'), ((9, 0), 'bfloat16')):
        monkeypatch.setattr(
            torch.cuda,
            'get_device_capability',
            lambda device=None: capability)
        assert resolve_amp_dtype('auto') == dtype
        # the one helper that inference's precision='auto' asks too
        assert native_bf16('cuda') is (dtype == 'bfloat16')
    with pytest.raises(ValueError, match='amp_dtype'):
        resolve_amp_dtype('fp8')


def test_speed_levers_each_switch_one_thing(sparse_cfg):
    base = sparse_cfg()
    cfg = setup_speed(sparse_cfg(), [])
    assert cfg.get('custom_hooks', []) == base.get('custom_hooks', [])
    assert not cfg.optim_wrapper.optimizer.get('fused')
    cfg = setup_speed(sparse_cfg(), ['cudnn_benchmark', 'fused_optimizer'])
    assert cfg.env_cfg.cudnn_benchmark is True
    assert cfg.optim_wrapper.optimizer.fused is True
    assert cfg.get('custom_hooks', []) == base.get('custom_hooks', [])
    cfg = setup_speed(sparse_cfg(),
                      ['channels_last', 'compile_backbone', 'pin_memory'])
    assert [h['type'] for h in cfg.custom_hooks
            ][-2:] == ['ChannelsLastHook', 'CompileModulesHook']
    assert cfg.train_dataloader.pin_memory is True
    assert cfg.model.data_preprocessor.non_blocking is True
    with pytest.raises(ValueError, match='unknown speed levers'):
        setup_speed(sparse_cfg(), ['warp_drive'])


def test_once_formatted_config_follows_changes():
    from mmengine.config import Config

    from mmspine.apis.runner import OnceFormattedConfig
    cfg = OnceFormattedConfig.wrap(
        Config(
            dict(
                model=dict(type='FasterRCNN', depth=18, out=[1, 2, 3]),
                pipeline=[dict(type='Resize', scale=(1333, 800))] * 4,
                lr=0.1)))
    plain = Config.pretty_text.fget(cfg)
    # yapf per statement gives yapf's text for the whole
    assert cfg.pretty_text == plain
    assert copy.deepcopy(cfg).pretty_text == plain
    cfg.model.depth = 50
    assert 'depth=50' in cfg.pretty_text
    assert cfg.pretty_text == Config.pretty_text.fget(cfg) != plain
