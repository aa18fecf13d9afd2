# EfficientDet-D0 (Tan et al., CVPR 2020): EfficientNet-B0, a BiFPN of
# width 64 and depth 3 on P3-P7, class and box networks of depth 3 with
# separable convolutions shared across levels and batch norm per level,
# 7 classes. The backbone starts from ImageNet EfficientNet-B0 weights, as
# in the paper (the checkpoint mmdet's EfficientDet project uses; its keys
# carry a 'backbone.' prefix).
# The paper's compound scaling (Tan et al., Table 1), which configs/spine/
# efficientdet_d1.py ... d3.py restate:
#   size  input  backbone  stride-8/16/32 channels  BiFPN w x d  head d
#   D0    512    B0        40, 112, 320             64 x 3       3
#   D1    640    B1        40, 112, 320             88 x 4       3
#   D2    768    B2        48, 120, 352             112 x 5      3
#   D3    896    B3        48, 136, 384             160 x 6      4
# Batch norm as TensorFlow's of the reference (decay 0.99, epsilon 1e-3).
model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=128),
    backbone=dict(
        type='EfficientNet',
        arch='b0',
        out_indices=(3, 4, 5),
        frozen_stages=0,
        norm_cfg=dict(type='BN', momentum=0.01, eps=1e-3, requires_grad=True),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/efficientnet-b0_3rdparty_8xb32-aa_in1k_20220119-8d939117.pth'  # noqa: E501
        )),
    neck=dict(
        type='BiFPN',
        in_channels=[40, 112, 320],
        out_channels=64,
        num_layers=3,
        num_outs=5,
        norm_cfg=dict(type='BN', momentum=0.01, eps=1e-3, requires_grad=True)),
    bbox_head=dict(
        type='EfficientDetHead',
        num_classes=7,
        in_channels=64,
        feat_channels=64,
        stacked_convs=3,
        norm_cfg=dict(type='BN', momentum=0.01, eps=1e-3, requires_grad=True),
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
