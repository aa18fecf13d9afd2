# Sparse R-CNN trained from scratch on the synthetic spine phantom: the
# reference detector's family at a size two CPU cores train at about 20
# minutes per 1,000 iterations. It learns more slowly than the demo's Faster
# R-CNN (no pretrained weights, set-based matching): a longer run.
_base_ = [
    '../../_base_/models/sparse_rcnn_r50_fpn.py',
    '../../_base_/models/resnet18_half_width.py',
    '../../_base_/datasets/phantom_detection.py',
    '../../_base_/schedules/schedule_adamw_50k.py',
    '../../_base_/default_runtime.py'
]

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

model = dict(
    backbone=_base_.resnet18_half_width,
    neck=dict(in_channels=_base_.resnet18_half_width_channels),
    roi_head=dict(bbox_head=dict(dynamic_conv_cfg=dict(feat_channels=32))))
