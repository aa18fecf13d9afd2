# EfficientDet-D0 trained from scratch on the synthetic spine phantom (the
# data of `make demo`), for a comparison with the demo's Faster R-CNN
# (faster_rcnn_r18_phantom.py) at equal CPU time: see benchmarks/README.md.
# D0 as it is (EfficientNet-B0, BiFPN 64 x 3, heads of depth 3, D0's
# anchors and losses) at the demo's input size and schedule, no AutoAugment.
_base_ = [
    '../../_base_/models/efficientdet_d0.py',
    '../../_base_/datasets/phantom_detection.py',
    '../../_base_/schedules/schedule_adamw_50k.py',
    '../../_base_/default_runtime.py'
]

# Batch norm momentum 0.1, not the recipe's 0.01: over 400 iterations from
# scratch the features drift faster than running statistics at 0.01 follow,
# and the model found nothing in eval mode (mAP@0.5 0.000 at iteration 250,
# with detections when using batch statistics). Padding to 32, not 128: at
# 320 x 200 that would pad half the image again; the BiFPN rounds the sizes
# of P6 and P7 up like the backbone does.
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(
        norm_cfg=dict(type='BN', momentum=0.1, eps=1e-3, requires_grad=True),
        init_cfg=None),
    neck=dict(
        norm_cfg=dict(type='BN', momentum=0.1, eps=1e-3, requires_grad=True)),
    bbox_head=dict(
        norm_cfg=dict(type='BN', momentum=0.1, eps=1e-3, requires_grad=True)))
load_from = None

# AdamW: from scratch over a few hundred iterations it moves faster than
# the SGD of the real-data recipe (D0's gradient clipping kept)
train_cfg = dict(max_iters=400, val_interval=400)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=50),
    dict(_base_.param_scheduler[1], end=400, milestones=[300, 370])
]
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10., norm_type=2))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=50))
