"""EfficientDet: the BiFPN neck, the heads and the D0-D3 configs.

Every config's loss and predict step on a tiny input is run by
tests/configs/test_detector_configs.py, which picks up all configs under
configs/spine.
"""
import math
import os.path as osp

import pytest
import torch

from mmspine.apis import load_config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIZES = ('d0', 'd1', 'd2', 'd3')
# Tan et al. 2020, Table 2: whole detector (backbone included), COCO
PAPER_PARAMS_M = dict(d0=3.9, d1=6.6, d2=8.1, d3=12.0)
# the paper's compound scaling: (input, BiFPN width, BiFPN depth, head
# depth, backbone)
PAPER_SCALING = dict(
    d0=(512, 64, 3, 3, 'b0'),
    d1=(640, 88, 4, 3, 'b1'),
    d2=(768, 112, 5, 3, 'b2'),
    d3=(896, 160, 6, 4, 'b3'))
# the reference implementation's COCO head predicts 90 class ids
COCO_CLASSES = 90


def config_path(size: str) -> str:
    return osp.join(REPO_ROOT, 'configs', 'spine', f'efficientdet_{size}.py')


@pytest.fixture(scope='module')
def coco_detectors(mmdet_registry):
    """Each size's detector from its config, with a 90-class head."""
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    detectors = {}
    for size in SIZES:
        cfg = load_config(config_path(size))
        cfg.model.bbox_head.num_classes = COCO_CLASSES
        detectors[size] = (cfg, MODELS.build(cfg.model).eval())
    return detectors


@pytest.mark.parametrize('size', SIZES)
def test_config_follows_compound_scaling(size):
    cfg = load_config(config_path(size))
    input_size, width, depth, head_depth, arch = PAPER_SCALING[size]
    assert cfg.model.backbone.arch == arch
    assert (cfg.model.neck.out_channels, cfg.model.neck.num_layers) == \
        (width, depth)
    assert cfg.model.bbox_head.stacked_convs == head_depth
    assert cfg.model.bbox_head.in_channels == width
    test_resize = [
        t for t in cfg.test_dataloader.dataset.pipeline if t.type == 'Resize'
    ]
    assert test_resize[0].scale == (input_size, input_size)
    train_resize = [
        t for t in cfg.train_dataloader.dataset.dataset.pipeline
        if t.type == 'RandomChoiceResize'
    ]
    assert (input_size, input_size) in train_resize[0].scales
    anchors = cfg.model.bbox_head.anchor_generator
    assert (anchors.octave_base_scale, anchors.scales_per_octave,
            list(anchors.ratios)) == (4, 3, [0.5, 1.0, 2.0])
    assert cfg.model.bbox_head.loss_cls.type == 'FocalLoss'


@pytest.mark.parametrize('size', SIZES)
def test_parameter_count_matches_paper(size, coco_detectors):
    _, model = coco_detectors[size]
    millions = sum(p.numel() for p in model.parameters()) / 1e6
    assert abs(millions / PAPER_PARAMS_M[size] - 1) < 0.05, millions


@pytest.mark.parametrize('size', SIZES)
def test_feature_shapes_per_level(size, coco_detectors):
    cfg, model = coco_detectors[size]
    height, width = 64, 160  # not multiples of 128: sizes round up
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, height, width))
        assert [f.shape[1] for f in feats] == list(cfg.model.neck.in_channels)
        levels = model.neck(feats)
        cls_scores, bbox_preds = model.bbox_head(levels)
    assert len(levels) == 5
    for i, (level, cls, box) in enumerate(zip(levels, cls_scores, bbox_preds)):
        stride = 2**(i + 3)
        size_hw = (math.ceil(height / stride), math.ceil(width / stride))
        assert level.shape == (1, cfg.model.neck.out_channels, *size_hw)
        assert cls.shape == (1, 9 * COCO_CLASSES, *size_hw)
        assert box.shape == (1, 9 * 4, *size_hw)


def test_fusion_is_normalised_and_ignores_negative_weights(mmdet_registry):
    from mmspine.models.necks.bifpn import WeightedFusion
    torch.manual_seed(0)
    node = WeightedFusion(2, 8).eval()
    a, b, c = torch.randn(3, 1, 8, 6, 6)
    with torch.no_grad():
        # relu(-1) = 0: the second input has no say
        node.weights.copy_(torch.tensor([0.7, -1.]))
        only_a = node([a, b])
        assert torch.allclose(only_a, node([a, c]))
        # equal weights of any magnitude: the mean of the inputs
        node.weights.copy_(torch.tensor([5., 5.]))
        mean = node([a, b])
        node.weights.copy_(torch.tensor([1., 0.]))
        assert torch.allclose(mean, node([(a + b) / 2, c]), atol=1e-4)


def test_head_shares_convs_and_keeps_norms_per_level(mmdet_registry):
    from mmspine.models import EfficientDetHead
    head = EfficientDetHead(num_classes=3, in_channels=16, feat_channels=16)
    levels = [
        torch.randn(2, 16, 32 // 2**i, 32 // 2**i) + 10 * i for i in range(5)
    ]
    head.train()
    head(levels)
    assert len(head.cls_convs) == len(head.reg_convs) == 3
    means = [norms[0].running_mean for norms in head.cls_norms]
    # each level's norm saw only its own statistics
    assert all(not torch.allclose(means[0], m) for m in means[1:])
    with pytest.raises(ValueError, match='5 levels, got 4'):
        head(levels[:4])


def test_tiny_training_lowers_the_loss(tiny_coco_root, tiny_cfg_options,
                                       tmp_path, mmdet_registry):
    """D0's own config (AutoAugment included) fits two tiny images: the
    seeded loss goes down; testing through the Runner gives the metrics."""
    from mmspine.apis import build_runner, load_config
    max_iters = 10
    config = config_path('d0')
    opts = tiny_cfg_options(config, max_iters)
    opts.update({
        'train_dataloader.dataset.dataset.indices': 2,
        'test_dataloader.dataset.indices': 2,
        # no validation and no checkpoints: each would dump the config
        'train_cfg.val_begin': max_iters + 1,
        'default_hooks.checkpoint.interval': max_iters + 1,
        'default_hooks.checkpoint.save_last': False,
        'randomness.seed': 0,
    })
    cfg = load_config(config, opts, str(tmp_path), data_root=tiny_coco_root)
    runner = build_runner(cfg)
    runner.train()
    history = runner.message_hub.log_scalars['train/loss'].data[0]
    assert len(history) == max_iters
    assert all(math.isfinite(loss) for loss in history)
    assert history[-3:].mean() < 0.97 * history[:3].mean(), history
    metrics = runner.test()
    # the values themselves are checked against pycocotools in
    # tests/evaluation/test_spinexr_metric.py
    assert {'spinexr/bbox_mAP_50', 'spinexr/bbox_mAP'} <= set(metrics)
