"""Inference precision: which devices compute bfloat16 natively, backbone and
neck under autocast, and the setting in the inferencer and tools/test.py."""
import os
import os.path as osp
import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import cfg_options_to_argv, run_tool_in_process
from torch import nn

from mmspine.apis import SpineInferencer, setup_precision
from mmspine.apis.inputs import collect_inputs
from mmspine.utils import precision
from mmspine.utils.precision import (autocast_features, cpu_info, native_bf16,
                                     resolve_precision)

CPUINFO = ('processor\t: 0\nvendor_id\t: GenuineIntel\n'
           'model name\t: Test Xeon\nflags\t\t: fpu avx2 avx512f amx_bf16\n'
           '\nprocessor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n')
AVX2_ONLY = frozenset({'fpu', 'avx', 'avx2', 'fma'})


def test_cpu_info_reads_the_first_processor(tmp_path):
    path = tmp_path / 'cpuinfo'
    path.write_text(CPUINFO)
    info = cpu_info(str(path))
    assert info['model'] == 'Test Xeon'
    assert info['flags'] == {'fpu', 'avx2', 'avx512f', 'amx_bf16'}
    assert cpu_info(str(tmp_path / 'missing')) == dict(
        model='', flags=frozenset())


@pytest.mark.parametrize('flags,native', [
    (AVX2_ONLY, False),
    (AVX2_ONLY | {'avx512f', 'avx512_vnni'}, False),
    (AVX2_ONLY | {'avx512f', 'avx512_bf16'}, True),
    (AVX2_ONLY | {'amx_tile', 'amx_bf16'}, True),
])
def test_native_bf16_on_the_cpu_needs_bf16_units(monkeypatch, flags, native):
    monkeypatch.setattr(precision, 'cpu_flags', lambda: flags)
    monkeypatch.delenv('ONEDNN_MAX_CPU_ISA', raising=False)
    assert native_bf16('cpu') is native
    # oneDNN kept to AVX2 (or AVX-512 without BF16) emulates bfloat16
    for isa, allowed in (('AVX2', False), ('avx512_core_vnni', False),
                         ('AVX512_CORE_BF16', True), ('ALL', True)):
        monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', isa)
        assert native_bf16('cpu') is (native and allowed)
    monkeypatch.delenv('ONEDNN_MAX_CPU_ISA')
    assert resolve_precision('auto', 'cpu') == ('bf16' if native else 'fp32')
    assert resolve_precision('fp32', 'cpu') == 'fp32'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert resolve_precision('bf16', 'cpu') == 'bf16'
    # asked for explicitly, emulated bf16 runs, with a warning
    assert any('emulated' in str(w.message) for w in caught) is not native


def test_native_bf16_elsewhere(monkeypatch):
    """(CUDA's compute capabilities: tests/apis/test_runner.py.)"""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert native_bf16('cuda') is False
    assert native_bf16('meta') is False
    with pytest.raises(ValueError, match='precision must be one of'):
        resolve_precision('fp16')


class Tiny(nn.Module):
    """A conv backbone and a linear head, with ``extract_feat``."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4, 2)

    def extract_feat(self, x):
        return (self.backbone(x), )

    def forward(self, x):
        return self.head(self.extract_feat(x)[0].mean((2, 3)))


def test_autocast_features_runs_only_the_features_in_bf16():
    torch.manual_seed(0)
    model = Tiny().eval()
    keys = list(model.state_dict())
    x = torch.rand(1, 3, 8, 8)
    with torch.inference_mode():
        ref = model(x)
    seen = {}
    model.backbone.register_forward_hook(
        lambda m, i, o: seen.update(backbone=o.dtype))
    model.head.register_forward_pre_hook(
        lambda m, i: seen.update(head=i[0].dtype))
    assert autocast_features(model, 'cpu')
    assert autocast_features(model, 'cpu')  # a second call changes nothing
    with torch.inference_mode():
        out = model(x)
        feats = model.extract_feat(x)
    assert seen == dict(backbone=torch.bfloat16, head=torch.float32)
    assert feats[0].dtype == torch.float32 and isinstance(feats, tuple)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=0.05, atol=0.02)
    assert list(model.state_dict()) == keys
    assert not autocast_features(nn.Linear(2, 2))


def test_setup_precision_adds_the_hook_once():
    from mmengine.config import Config
    cfg = Config(dict(custom_hooks=[dict(type='ChannelsLastHook')]))
    assert setup_precision(
        cfg, 'fp32').custom_hooks == [dict(type='ChannelsLastHook')]
    setup_precision(cfg, 'bf16')
    setup_precision(cfg, 'auto')
    assert [h['type'] for h in cfg.custom_hooks
            ] == ['ChannelsLastHook', 'InferencePrecisionHook']
    assert cfg.custom_hooks[-1]['precision'] == 'auto'
    with pytest.raises(ValueError, match='precision must be one of'):
        setup_precision(cfg, 'int8')


@pytest.mark.xdist_group('phantom_infer_models')
def test_inferencer_precision(phantom_infer_models, one_thread, monkeypatch):
    """'auto' without native bf16 gives fp32's results exactly; 'bf16'
    runs backbones in bfloat16 and heads in float32."""
    m = phantom_infer_models
    sources = [i.source for i in collect_inputs([m['dicom_dir']])[:2]]

    def build(p):
        return SpineInferencer(
            m['det'][:1], m['cls'], c=0., score_thr=0., precision=p)

    fp32 = build('fp32')
    assert fp32.precision == 'fp32'
    ref = fp32(sources)
    with monkeypatch.context() as patch:
        patch.setattr(precision, 'cpu_flags', lambda: AVX2_ONLY)
        auto = build('auto')
    assert auto.precision == 'fp32' and auto(sources) == ref
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # emulated on CPUs without bf16
        bf16 = build('bf16')
    assert bf16.precision == 'bf16'
    assert bf16.settings()['precision'] == 'bf16'
    det, clf = bf16.detectors[0].model, bf16.classifiers[0].model
    seen = {}

    def record(name, pick):
        # a hook that returned a value would replace the module's output
        return lambda m, *io: seen.setdefault(name, pick(io).dtype) and None

    hooks = [
        det.backbone.register_forward_hook(
            record('det backbone', lambda io: io[1][-1])),
        det.roi_head.bbox_roi_extractor.register_forward_pre_hook(
            record('RoIAlign', lambda io: io[0][0][0])),
        clf.backbone.register_forward_hook(
            record('cls backbone', lambda io: io[1][-1])),
        clf.head.register_forward_pre_hook(
            record('cls head', lambda io: io[0][0][-1])),
    ]
    found = bf16(sources)
    for hook in hooks:
        hook.remove()
    reasons = [r.get('reason') for r in found]
    assert [r['status'] for r in found] == ['ok', 'ok'], reasons
    assert seen == {
        'det backbone': torch.bfloat16,
        'RoIAlign': torch.float32,
        'cls backbone': torch.bfloat16,
        'cls head': torch.float32
    }
    for a, b in zip(found, ref):
        assert a['status'] == 'ok' and a['image_id'] == b['image_id']
        assert abs(a['p_abnormal'] - b['p_abnormal']) < 0.02
        assert np.isfinite([f['score'] for f in a['findings']]).all()


@pytest.mark.xdist_group('tiny_detector')
def test_test_tool_precision_bf16(tiny_detector, tiny_detector_test, tmp_path):
    """tools/test.py --precision bf16: the hook runs the backbone in bf16;
    the same images are predicted, the boxes close to fp32's."""
    preds = str(tmp_path / 'preds.pkl')
    opts = dict(tiny_detector.cfg_options)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # emulated on CPUs without bf16
        run_tool_in_process('test.py', tiny_detector.config,
                            tiny_detector.checkpoint, '--work-dir',
                            str(tmp_path), '--out', preds, '--data-root',
                            tiny_detector.data_root, '--precision', 'bf16',
                            *cfg_options_to_argv(opts))
    logs = [
        osp.join(root, name) for root, _, names in os.walk(str(tmp_path))
        for name in names if name.endswith('.log')
    ]
    log = open(logs[0]).read()
    assert "testing in bf16 (precision 'bf16', device cpu)" in log
    assert 'spinexr/bbox_mAP_50' in log
    with open(preds, 'rb') as f:
        ours = sorted(pickle.load(f), key=lambda s: s['img_id'])
    with open(tiny_detector_test.preds, 'rb') as f:
        ref = sorted(pickle.load(f), key=lambda s: s['img_id'])
    assert [s['img_id'] for s in ours] == [s['img_id'] for s in ref]
    for a, b in zip(ours, ref):
        sa, sb = a['pred_instances']['scores'], b['pred_instances']['scores']
        assert sa.dtype == torch.float32
        # the best box of each image, in both precisions
        assert abs(float(sa.max()) - float(sb.max())) < 0.05
