# A small Faster R-CNN trained from scratch on the synthetic spine phantom
# (tools/dataset_converters/make_phantom.py): what `make demo` runs. Sized
# to learn within minutes on two CPU cores; not a recipe for real data.
# Validated on the phantom's val split every 100 iterations; the best
# checkpoint by val mAP@0.5 is kept (best_spinexr_bbox_mAP_50_iter_N.pth).
_base_ = [
    '../../_base_/models/faster_rcnn_r50_fpn.py',
    '../../_base_/datasets/phantom_detection.py',
    '../../_base_/schedules/schedule_50k.py', '../../_base_/default_runtime.py'
]

model = dict(
    # ResNet-18 at half width (base channels 32), from scratch: no ImageNet
    # weights exist at that width
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    # lesions are at least ~15 px here, so FPN starts at stride 8: the
    # stride-4 level would cost more than the rest of the heads together
    neck=dict(
        in_channels=[32, 64, 128, 256],
        out_channels=96,
        start_level=1,
        num_outs=4),
    rpn_head=dict(
        in_channels=96,
        feat_channels=96,
        # anchors of 16-512 px: the smallest lesions are ~13 px at this size
        anchor_generator=dict(scales=[2, 4], strides=[8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(
            out_channels=96, featmap_strides=[8, 16, 32, 64]),
        bbox_head=dict(in_channels=96, fc_out_channels=256)),
    train_cfg=dict(
        rpn_proposal=dict(max_per_img=300), rcnn=dict(sampler=dict(num=128))))
load_from = None

# 400 iterations, warm-up over 50, LR x0.1 at 300 and 370
train_cfg = dict(max_iters=400, val_interval=100)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=50),
    dict(_base_.param_scheduler[1], end=400, milestones=[300, 370])
]
optim_wrapper = dict(clip_grad=dict(max_norm=10))
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=100))
