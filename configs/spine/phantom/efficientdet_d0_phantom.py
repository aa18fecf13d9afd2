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

# the schedule and hooks follow max_iters, lr_steps, warmup_iters,
# val_interval, checkpoint_interval and log_interval (mmspine.apis.load_config)
max_iters = 400
warmup_iters = 50
lr_steps = (300, 370)
# AdamW: from scratch over a few hundred iterations it moves faster than
# the SGD of the real-data recipe (D0's gradient clipping kept)
base_lr = 1e-3
weight_decay = 0.05
grad_clip_norm = 10.
val_interval = 400
checkpoint_interval = 50
log_interval = 10
load_from = None

# Batch norm momentum 0.1, not the recipe's 0.01: over 400 iterations from
# scratch the features drift faster than running statistics at 0.01 follow,
# and the model found nothing in eval mode (mAP@0.5 0.000 at iteration 250,
# with detections when using batch statistics).
norm_cfg = dict(type='BN', momentum=0.1, eps=1e-3, requires_grad=True)
# padding to 32, not 128: at 320 x 200 that would pad half the image again;
# the BiFPN rounds the sizes of P6 and P7 up like the backbone does
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(norm_cfg=norm_cfg),
    neck=dict(norm_cfg=norm_cfg),
    bbox_head=dict(norm_cfg=norm_cfg))
