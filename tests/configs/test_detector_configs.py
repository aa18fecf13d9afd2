"""Every detector config builds its model and runs a loss and a predict
step on a tiny input, on the CPU and, where present, on CUDA."""
import glob
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs

from mmspine.apis import load_config
from mmspine.metainfo import SPINEXR_CLASSES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

DETECTOR_CONFIGS = sorted(
    glob.glob(
        osp.join(REPO_ROOT, 'configs', 'spine', '**', '*.py'), recursive=True))
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def build_detector(config: str):
    cfg = load_config(config)
    # no downloads in tests: neither ImageNet nor COCO weights
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def test_there_are_configs():
    names = {osp.basename(c) for c in DETECTOR_CONFIGS}
    assert {
        'sparse_rcnn_r50.py', 'sparse_rcnn_r101.py', 'faster_rcnn_r50_fpn.py',
        'retinanet_r50_fpn.py'
    } <= names


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize(
    'config', DETECTOR_CONFIGS, ids=lambda c: osp.relpath(c, REPO_ROOT))
def test_loss_and_predict(config, device, mmdet_registry):
    cfg, model = build_detector(config)
    model = model.to(device)
    packed = demo_mm_inputs(
        batch_size=2,
        image_shapes=[(3, 128, 160), (3, 96, 128)],
        num_items=[2, 1],
        num_classes=len(SPINEXR_CLASSES),
        use_box_type=True,
        device=device)

    model.train()
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    for result in results:
        pred = result.pred_instances
        assert pred.bboxes.device.type == device
        assert pred.bboxes.shape[-1] == 4
        assert len(pred.scores) == len(pred.labels) == len(pred.bboxes)
        if len(pred.labels):
            assert int(pred.labels.max()) < len(SPINEXR_CLASSES)
