import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement

from mmspine.models.backbones.monai_densenet import \
    torchvision_to_monai_densenet

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLS_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/spine_cls/*.py')))
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.fixture(scope='module', autouse=True)
def registry():
    from mmspine.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    # The CPU is shared; one thread is also faster for these tiny inputs.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def batch(num_classes=1, size=64, n=2):
    inputs = [
        torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
        for _ in range(n)
    ]
    samples = []
    for i in range(n):
        s = BaseDataElement(metainfo=dict(img_id=f'im{i}'))
        s.gt_label = torch.tensor([float(i % 2)] * num_classes)
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def build(cfg_model):
    from mmdet.registry import MODELS
    return MODELS.build(cfg_model)


def no_pretrained(model_cfg):
    backbone = model_cfg.backbone
    backbone.init_cfg = None
    if backbone.type == 'MonaiDenseNet':
        backbone.pretrained = False
    return model_cfg


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('path', CLS_CONFIGS, ids=osp.basename)
def test_config_builds_and_steps(path, device):
    assert len(CLS_CONFIGS) >= 4
    cfg = Config.fromfile(path)
    model = build(no_pretrained(cfg.model)).to(device)
    optim = torch.optim.SGD(model.parameters(), lr=0.01)
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert losses['loss_cls'].ndim == 0 and torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    optim.step()
    model.eval()
    with torch.no_grad():
        preds = model.test_step(batch())
    assert len(preds) == 2
    for p in preds:
        assert p.pred_logit.shape == (1, )
        assert p.pred_logit.device.type == device
        torch.testing.assert_close(p.pred_score, p.pred_logit.sigmoid())


def test_schedule_of_reference_configs():
    from mmspine.apis import load_config
    cfg = load_config(osp.join(REPO, 'configs/spine_cls/densenet169.py'))
    assert cfg.train_cfg.max_iters == 10000
    assert cfg.param_scheduler[0].milestones == [5000, 7500]
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.test_dataloader.dataset.pipeline[1].scale == (224, 224)
    assert cfg.default_hooks.checkpoint.save_best == 'spinexr_cls/auroc'
    assert cfg.model.backbone.depth == 169
    assert cfg.model.backbone.pretrained is True


def small_densenet(**kwargs):
    from mmspine.models import MonaiDenseNet
    return MonaiDenseNet(depth=121, init_features=8, growth_rate=4, **kwargs)


def test_densenet_loads_torchvision_checkpoint(tmp_path):
    src = small_densenet()
    # torchvision's names: 'denselayer1.norm1' instead of MONAI's
    # 'denselayer1.layers.norm1', plus an ImageNet classifier.
    tv_state = {
        k.replace('.layers.', '.'): v.clone() + 1
        for k, v in src.state_dict().items()
    }
    tv_state['classifier.weight'] = torch.zeros(1000, 10)
    assert torchvision_to_monai_densenet(tv_state).keys() == \
        src.state_dict().keys()
    ckpt = str(tmp_path / 'densenet_tv.pth')
    torch.save(tv_state, ckpt)
    dst = small_densenet(init_cfg=dict(type='Pretrained', checkpoint=ckpt))
    dst.init_weights()
    for k, v in dst.state_dict().items():
        torch.testing.assert_close(v, src.state_dict()[k] + 1)
    # old torchvision checkpoints name them 'norm.1'
    key = 'features.denseblock1.denselayer1.norm.1.weight'
    assert list(torchvision_to_monai_densenet(
        {key: 0})) == ['features.denseblock1.denselayer1.layers.norm1.weight']


def test_densenet_pretrained_flag_defers_download():
    from mmspine.models import MonaiDenseNet
    from mmspine.models.backbones import DENSENET_IMAGENET_URLS
    net = small_densenet(pretrained=True)
    assert net.init_cfg['checkpoint'] == DENSENET_IMAGENET_URLS[121]
    out = net(torch.rand(1, 3, 64, 64))
    assert out[0].shape[1] == net.out_channels and (out[0] >= 0).all()
    with pytest.raises(ValueError):
        small_densenet(pretrained=True, init_cfg=dict(type='Kaiming'))
    with pytest.raises(KeyError, match='invalid depth'):
        MonaiDenseNet(depth=100)


def test_frozen_stem():
    net = small_densenet(frozen_stem=True)
    net.train()
    assert not net.features.conv0.weight.requires_grad
    assert not net.features.norm0.training
    assert net.features.denseblock1.training


@pytest.mark.parametrize('loss', [
    dict(type='CrossEntropyLoss', use_sigmoid=True),
    dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25)
])
def test_head_multilabel_losses_and_smoothing(loss):
    from mmspine.models import SpineLesionClsHead
    torch.manual_seed(0)
    head = SpineLesionClsHead(
        in_channels=6,
        num_classes=14,
        dropout=0.2,
        label_smoothing=0.1,
        loss=loss)
    feats = (torch.rand(3, 6, 4, 4), )
    data = batch(num_classes=14, n=3)['data_samples']
    targets = head.targets(data, torch.device('cpu'))
    assert targets.min() == pytest.approx(0.05)
    assert targets.max() == pytest.approx(0.95)
    value = head.loss(feats, data)['loss_cls']
    assert torch.isfinite(value) and value > 0
    head.eval()
    preds = head.predict(feats, data)
    assert preds[0].pred_score.shape == (14, )
    with pytest.raises(ValueError, match='num_classes=14'):
        head.loss(feats, batch(num_classes=1, n=3)['data_samples'])
