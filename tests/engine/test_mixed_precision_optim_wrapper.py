import math
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS, OPTIM_WRAPPERS
from mmdet.testing import demo_mm_inputs
from mmengine import Config, MessageHub
from torch import nn

from mmspine.apis import load_config
from mmspine.engine import MixedPrecisionOptimWrapper
from mmspine.metainfo import SPINEXR_CLASSES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PHANTOM_SPARSE = osp.join(REPO_ROOT,
                          'configs/spine/phantom/sparse_rcnn_r18_phantom.py')


def _hub(name: str) -> MessageHub:
    return MessageHub.get_instance(name)


def _logged(hub: MessageHub, key: str) -> list:
    if key not in hub.log_scalars:
        return []
    return list(hub.get_scalar(key).data[0])


def _narrow_sparse_rcnn(cfg: Config, hidden: int = 32, stages: int = 2):
    """Shrink the phantom Sparse R-CNN further: bfloat16 matrix products
    are emulated, hence slow, on CPUs without bfloat16 units."""
    m = cfg.model
    m.backbone.base_channels = 16
    m.neck.in_channels = [16 * 2**i for i in range(4)]
    m.neck.out_channels = hidden
    m.rpn_head.num_proposals = 10
    m.rpn_head.proposal_feature_channel = hidden
    m.roi_head.update(
        num_stages=stages,
        stage_loss_weights=[1] * stages,
        proposal_feature_channel=hidden)
    m.roi_head.bbox_roi_extractor.out_channels = hidden
    # one head config for every stage (mmdet repeats a single dict)
    head = m.roi_head.bbox_head
    head.update(
        in_channels=hidden, feedforward_channels=2 * hidden, num_heads=4)
    head.dynamic_conv_cfg.update(
        in_channels=hidden, out_channels=hidden, feat_channels=8)
    m.train_cfg.rcnn = m.train_cfg.rcnn[:stages]


def test_bf16_sparse_rcnn_steps_are_finite(mmdet_registry):
    """bf16 iterations of the phantom Sparse R-CNN: the convolutions run in
    bfloat16, loss and grad norm stay finite, every step is taken."""
    hub = _hub('bf16_sparse_rcnn')
    cfg = load_config(PHANTOM_SPARSE)
    _narrow_sparse_rcnn(cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='MixedPrecisionOptimWrapper',
            dtype='bfloat16',
            clip_grad=dict(max_norm=1.0),
            optimizer=torch.optim.AdamW(model.parameters(), lr=1e-4)))
    wrapper.message_hub = hub
    assert wrapper.device_type == 'cpu' and wrapper.loss_scaler is None
    dtypes = []
    model.backbone.register_forward_hook(
        lambda m, i, out: dtypes.append(out[0].dtype))
    packed = demo_mm_inputs(
        batch_size=2,
        image_shapes=[(3, 64, 96), (3, 64, 64)],
        num_items=[2, 1],
        num_classes=len(SPINEXR_CLASSES),
        use_box_type=True)
    before = model.backbone.conv1.weight.detach().clone()
    losses = []
    for _ in range(2):
        log_vars = model.train_step(packed, wrapper)
        losses.append(float(log_vars['loss']))
    assert dtypes == [torch.bfloat16] * 2
    assert all(math.isfinite(v) for v in losses)
    norms = _logged(hub, 'train/grad_norm')
    assert len(norms) == 2 and all(math.isfinite(n) and n > 0 for n in norms)
    assert wrapper.skipped_steps == 0
    assert not torch.equal(before, model.backbone.conv1.weight)
    # weights and gradients stay float32: autocast only casts activations
    assert model.backbone.conv1.weight.dtype == torch.float32


def _linear_wrapper(hub_name: str, clip_grad=dict(max_norm=1.0), **kwargs):
    torch.manual_seed(0)
    layer = nn.Linear(4, 2)
    wrapper = MixedPrecisionOptimWrapper(
        optimizer=torch.optim.SGD(layer.parameters(), lr=0.1),
        clip_grad=clip_grad,
        device_type='cpu',
        **kwargs)
    wrapper.message_hub = _hub(hub_name)
    return layer, wrapper


def _step(layer, wrapper, scale: float = 1.) -> torch.Tensor:
    """One update of ``layer`` on ones, its output sum times ``scale`` as
    the loss (in float32); returns the output."""
    with wrapper.optim_context(layer):
        out = layer(torch.ones(1, 4))
    wrapper.update_params(out.float().sum() * scale)
    return out


@pytest.mark.parametrize('clip_grad', [dict(max_norm=1.0), None])
def test_nonfinite_gradient_skips_the_step_and_is_not_logged_as_norm(
        clip_grad):
    """With or without clip_grad (the Faster R-CNN schedule has none): the
    norm is taken, logged when finite, and a non-finite step skipped."""
    layer, wrapper = _linear_wrapper(f'nonfinite_{bool(clip_grad)}', clip_grad)
    weight = layer.weight.detach().clone()
    _step(layer, wrapper, float('inf'))
    assert torch.equal(layer.weight, weight)
    assert wrapper.skipped_steps == 1
    assert _logged(wrapper.message_hub, 'train/grad_norm') == []
    assert _logged(wrapper.message_hub, 'train/skipped_steps') == [1]
    # the next finite step is taken and logged; unclipped, the norm is that
    # of d(sum)/dW, the input
    _step(layer, wrapper)
    assert not torch.equal(layer.weight, weight)
    norms = _logged(wrapper.message_hub, 'train/grad_norm')
    assert norms == [pytest.approx(math.sqrt(2 * 4 + 2), rel=1e-2)]


def test_fp16_dynamic_scale_backs_off_on_overflow_and_round_trips():
    layer, wrapper = _linear_wrapper(
        'fp16_scale', dtype='float16', loss_scale=dict(init_scale=2.**16))
    # 1e36 x 2**16 overflows float32: the step is skipped, the scale halves
    assert _step(layer, wrapper, 1e36).dtype == torch.float16
    hub = wrapper.message_hub
    assert _logged(hub, 'train/grad_scale') == [2.**15]
    assert wrapper.skipped_steps == 1
    _step(layer, wrapper)
    norms = _logged(hub, 'train/grad_norm')
    # the logged norm is of the unscaled gradients: d(sum)/dW is the input
    assert len(norms) == 1
    assert norms[0] == pytest.approx(math.sqrt(2 * 4 + 2), rel=1e-3)
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 2.**15
    _, fresh = _linear_wrapper(
        'fp16_fresh', dtype='float16', loss_scale='dynamic')
    fresh.load_state_dict(state)
    assert fresh.loss_scaler.get_scale() == 2.**15


def test_bad_arguments_are_named():
    layer = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    with pytest.raises(ValueError, match='dtype'):
        MixedPrecisionOptimWrapper(optimizer, dtype='float8')
    with pytest.raises(TypeError, match='loss_scale'):
        MixedPrecisionOptimWrapper(optimizer, loss_scale='static')
