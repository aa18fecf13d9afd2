# A small Faster R-CNN trained from scratch on the synthetic spine phantom
# (tools/dataset_converters/make_phantom.py): what `make demo` runs. Sized
# to learn within minutes on two CPU cores; not a recipe for real data.
_base_ = [
    '../../_base_/models/faster_rcnn_r50_fpn.py',
    '../../_base_/models/resnet18_half_width.py',
    '../../_base_/datasets/phantom_detection.py',
    '../../_base_/schedules/schedule_50k.py', '../../_base_/default_runtime.py'
]

max_iters = 400
warmup_iters = 50
lr_steps = (300, 370)
val_interval = 400
log_interval = 20
checkpoint_interval = max_iters
fpn_channels = 96

model = dict(
    backbone=_base_.resnet18_half_width,
    # lesions are at least ~15 px here, so FPN starts at stride 8: the
    # stride-4 level would cost more than the rest of the heads together
    neck=dict(
        in_channels=_base_.resnet18_half_width_channels,
        out_channels=fpn_channels,
        start_level=1,
        num_outs=4),
    rpn_head=dict(
        in_channels=fpn_channels,
        feat_channels=fpn_channels,
        # anchors of 16-512 px: the smallest lesions are ~13 px at this size
        anchor_generator=dict(scales=[2, 4], strides=[8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(
            out_channels=fpn_channels, featmap_strides=[8, 16, 32, 64]),
        bbox_head=dict(in_channels=fpn_channels, fc_out_channels=256)),
    train_cfg=dict(
        rpn_proposal=dict(max_per_img=300), rcnn=dict(sampler=dict(num=128))))
load_from = None
optim_wrapper = dict(clip_grad=dict(max_norm=10))
