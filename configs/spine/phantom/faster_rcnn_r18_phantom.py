# A small Faster R-CNN trained from scratch on the synthetic spine phantom
# (tools/dataset_converters/make_phantom.py): what `make demo` runs. Sized
# to learn within minutes on two CPU cores; not a recipe for real data.
_base_ = '../faster_rcnn_r50_fpn.py'

data_root = 'data/phantom/'
# PNGs are made with --max-size 512; training sees the long side at 320.
preprocess = dict(mode='reference', max_size=512)
train_scales = [(320, 224), (320, 256), (320, 288)]
test_scale = (320, 256)
train_batch_size = 4
num_workers = 2
max_iters = 400
warmup_iters = 50
lr_steps = (300, 370)
val_interval = 400
log_interval = 20
checkpoint_interval = max_iters
# ResNet-18 at half width: no ImageNet weights to start from.
backbone_width = 32
fpn_channels = 96

model = dict(
    backbone=dict(
        depth=18,
        base_channels=backbone_width,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    # lesions are at least ~15 px here, so FPN starts at stride 8: the
    # stride-4 level would cost more than the rest of the heads together
    neck=dict(
        in_channels=[backbone_width * 2**i for i in range(4)],
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
