# Sparse R-CNN trained from scratch on the synthetic spine phantom: the
# reference detector's family at a size two CPU cores train at about 20
# minutes per 1,000 iterations. It learns more slowly than the demo's Faster
# R-CNN (no pretrained weights, set-based matching): a longer run.
_base_ = [
    '../../_base_/models/sparse_rcnn_r50_fpn.py',
    '../../_base_/datasets/spinexr_detection.py',
    '../../_base_/schedules/schedule_adamw_50k.py',
    '../../_base_/default_runtime.py'
]

data_root = 'data/phantom/'
# the phantom's PNGs are made with --max-size 512 (make demo)
preprocess = dict(mode='reference', max_size=512)
train_scales = [(320, 224), (320, 256), (320, 288)]
test_scale = (320, 256)
train_batch_size = 4
num_workers = 2
max_iters = 2000
warmup_iters = 100
warmup_start_factor = 0.01
lr_steps = (1600, 1850)
base_lr = 2e-4
val_interval = 250
checkpoint_interval = val_interval
num_stages = 3
num_proposals = 50
hidden_channels = 128
ffn_channels = 4 * hidden_channels
backbone_width = 32

model = dict(
    backbone=dict(
        depth=18,
        base_channels=backbone_width,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[backbone_width * 2**i for i in range(4)]),
    roi_head=dict(bbox_head=dict(dynamic_conv_cfg=dict(feat_channels=32))))
