# Sparse R-CNN trained from scratch on the synthetic spine phantom: the
# reference detector's family at a size two CPU cores train at about 20
# minutes per 1,000 iterations. It learns more slowly than the demo's Faster
# R-CNN (no pretrained weights, set-based matching): a longer run.
_base_ = '../sparse_rcnn_r50.py'

data_root = 'data/phantom/'
# the phantom's PNGs are made with --max-size 512 (make demo)
preprocess = dict(mode='reference', max_size=512)
train_scales = [(320, 224), (320, 256), (320, 288)]
test_scale = (320, 256)
train_batch_size = 4
num_workers = 2
max_iters = 2000
warmup_iters = 100
lr_steps = (1600, 1850)
base_lr = 2e-4
val_interval = 250
backbone_width = 32
num_stages = 3
num_proposals = 50
hidden = 128

model = dict(
    backbone=dict(
        depth=18,
        base_channels=backbone_width,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[backbone_width * 2**i for i in range(4)],
        out_channels=hidden),
    rpn_head=dict(
        num_proposals=num_proposals, proposal_feature_channel=hidden),
    roi_head=dict(
        num_stages=num_stages,
        stage_loss_weights=[1] * num_stages,
        proposal_feature_channel=hidden,
        bbox_roi_extractor=dict(out_channels=hidden),
        bbox_head=[
            dict(
                type='AmpSafeDIIHead',
                num_classes=7,
                num_ffn_fcs=2,
                num_heads=8,
                num_cls_fcs=1,
                num_reg_fcs=3,
                feedforward_channels=4 * hidden,
                in_channels=hidden,
                dropout=0.0,
                ffn_act_cfg=dict(type='ReLU', inplace=True),
                dynamic_conv_cfg=dict(
                    type='DynamicConv',
                    in_channels=hidden,
                    feat_channels=32,
                    out_channels=hidden,
                    input_feat_shape=7,
                    act_cfg=dict(type='ReLU', inplace=True),
                    norm_cfg=dict(type='LN')),
                loss_bbox=dict(type='L1Loss', loss_weight=5.0),
                loss_iou=dict(type='GIoULoss', loss_weight=2.0),
                loss_cls=dict(
                    type='FocalLoss',
                    use_sigmoid=True,
                    gamma=2.0,
                    alpha=0.25,
                    loss_weight=2.0),
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder',
                    clip_border=False,
                    target_means=[0., 0., 0., 0.],
                    target_stds=[0.5, 0.5, 1., 1.])) for _ in range(num_stages)
        ]),
    train_cfg=dict(rcnn=[
        dict(
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='FocalLossCost', weight=2.0),
                    dict(type='BBoxL1Cost', weight=5.0, box_format='xyxy'),
                    dict(type='IoUCost', iou_mode='giou', weight=2.0)
                ]),
            sampler=dict(type='PseudoSampler'),
            pos_weight=1) for _ in range(num_stages)
    ]),
    test_cfg=dict(rcnn=dict(max_per_img=num_proposals)))
load_from = None

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=test_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=train_batch_size,
    num_workers=num_workers,
    dataset=dict(dataset=dict(data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(
    num_workers=num_workers,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/test.json')
test_evaluator = val_evaluator

train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=list(lr_steps),
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=base_lr))
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=val_interval))
