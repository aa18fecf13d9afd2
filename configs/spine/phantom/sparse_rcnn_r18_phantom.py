# Sparse R-CNN trained from scratch on the synthetic spine phantom: the
# reference detector's family at a size two CPU cores train at about 20
# minutes per 1,000 iterations. It learns more slowly than the demo's Faster
# R-CNN (no pretrained weights, set-based matching): a longer run.
# 3 stages, 50 proposals, hidden width 128 (feed-forward 512, dynamic conv
# 2 x 32) on ResNet-18 at half width; AdamW at 2e-4 for 2,000 iterations.
_base_ = [
    '../../_base_/models/sparse_rcnn_r50_fpn.py',
    '../../_base_/datasets/phantom_detection.py',
    '../../_base_/schedules/schedule_adamw_50k.py',
    '../../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=128),
    rpn_head=dict(num_proposals=50, proposal_feature_channel=128),
    roi_head=dict(
        num_stages=3,
        stage_loss_weights=[1] * 3,
        proposal_feature_channel=128,
        bbox_roi_extractor=dict(out_channels=128),
        bbox_head=dict(
            in_channels=128,
            feedforward_channels=512,
            dynamic_conv_cfg=dict(
                in_channels=128, feat_channels=32, out_channels=128))),
    train_cfg=dict(rcnn=[_base_.model.train_cfg.rcnn[0]] * 3),
    test_cfg=dict(rcnn=dict(max_per_img=50)))

train_cfg = dict(max_iters=2000, val_interval=250)
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=0.01, end=100),
    dict(_base_.param_scheduler[1], end=2000, milestones=[1600, 1850])
]
optim_wrapper = dict(optimizer=dict(lr=2e-4))
default_hooks = dict(checkpoint=dict(interval=250))
