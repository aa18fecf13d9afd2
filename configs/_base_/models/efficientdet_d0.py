# EfficientDet-D0 (Tan et al., CVPR 2020): EfficientNet-B0, a BiFPN of
# width 64 and depth 3 on P3-P7, class and box networks of depth 3 with
# separable convolutions shared across levels and batch norm per level.
# Larger sizes (configs/spine/efficientdet_d1.py ...) change the backbone,
# the widths and the depths by the paper's compound scaling.
_base_ = './det_input.py'

num_classes = 7
# The paper's compound scaling (Tan et al., Table 1): input size, backbone,
# channels of its stride-8/16/32 stages (out_indices (3, 4, 5)), BiFPN
# width and depth, box/class net depth. A child picks a row with
# `efficientdet = 'd1'`; mmspine.apis.load_config applies it to the model
# and the input scales (see _hoisted_efficientdet_ below).
efficientdet = 'd0'
compound_scaling = dict(
    d0=dict(input_size=512, backbone_arch='b0',
            backbone_channels=[40, 112, 320], bifpn_width=64, bifpn_depth=3,
            head_depth=3),
    d1=dict(input_size=640, backbone_arch='b1',
            backbone_channels=[40, 112, 320], bifpn_width=88, bifpn_depth=4,
            head_depth=3),
    d2=dict(input_size=768, backbone_arch='b2',
            backbone_channels=[48, 120, 352], bifpn_width=112,
            bifpn_depth=5, head_depth=3),
    d3=dict(input_size=896, backbone_arch='b3',
            backbone_channels=[48, 136, 384], bifpn_width=160,
            bifpn_depth=6, head_depth=4))
# TensorFlow's batch norm of the reference (decay 0.99, epsilon 1e-3)
norm_cfg = dict(type='BN', momentum=0.01, eps=1e-3, requires_grad=True)

model = dict(
    type='SingleStageDetector',
    # P7 has stride 128
    data_preprocessor=dict(_base_.det_input, pad_size_divisor=128),
    # From scratch (mmdet's Kaiming init): no network here. For ImageNet
    # weights set init_cfg=dict(type='Pretrained', prefix='backbone.',
    # checkpoint=<an mmpretrain EfficientNet checkpoint of this arch>).
    backbone=dict(
        type='EfficientNet',
        arch=compound_scaling[efficientdet]['backbone_arch'],
        out_indices=(3, 4, 5),
        frozen_stages=0,
        norm_cfg=norm_cfg,
        norm_eval=False),
    neck=dict(
        type='BiFPN',
        in_channels=compound_scaling[efficientdet]['backbone_channels'],
        out_channels=compound_scaling[efficientdet]['bifpn_width'],
        num_layers=compound_scaling[efficientdet]['bifpn_depth'],
        num_outs=5,
        norm_cfg=norm_cfg),
    bbox_head=dict(
        type='EfficientDetHead',
        num_classes=num_classes,
        in_channels=compound_scaling[efficientdet]['bifpn_width'],
        feat_channels=compound_scaling[efficientdet]['bifpn_width'],
        stacked_convs=compound_scaling[efficientdet]['head_depth'],
        norm_cfg=norm_cfg,
        # 3 octave scales x 3 ratios, anchor scale 4: 32-40 px at P3
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0., 0., 0., 0.],
            target_stds=[1., 1., 1., 1.]),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=1.5,
            alpha=0.25,
            loss_weight=1.0),
        # the reference's Huber loss (delta 0.1) x 50, averaged over the 4
        # coordinates of each positive: 50 * 0.1 / 4 x smooth L1 (beta 0.1)
        # averaged over positives, mmdet's normalisation
        loss_bbox=dict(type='SmoothL1Loss', beta=0.1, loss_weight=1.25)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))

# Where the row is used; the input scales follow it too (long sides of 6/8
# to 10/8 of the input size in training, as scale jitter).
_hoisted_efficientdet_ = dict(
    values=dict(efficientdet=efficientdet, compound_scaling=compound_scaling),
    places={
        f'model.{path}': f"compound_scaling[efficientdet]['{key}']"
        for path, key in (('backbone.arch', 'backbone_arch'),
                          ('neck.in_channels', 'backbone_channels'),
                          ('neck.out_channels', 'bifpn_width'),
                          ('neck.num_layers', 'bifpn_depth'),
                          ('bbox_head.in_channels', 'bifpn_width'),
                          ('bbox_head.feat_channels', 'bifpn_width'),
                          ('bbox_head.stacked_convs', 'head_depth'))
    })
_hoisted_efficientdet_['places'].update(
    train_scales="[(compound_scaling[efficientdet]['input_size'] * k // 8, )"
    ' * 2 for k in range(6, 11)]',
    test_scale="(compound_scaling[efficientdet]['input_size'], ) * 2")
