# Sparse R-CNN, ResNet-50-FPN, as in the VinDr-SpineXR reference: 100
# learnable proposals, 6 iterative stages, hidden 256, dynamic conv 2 x 64,
# focal loss (alpha 0.25, gamma 2), loss weights class 2 / GIoU 2 / L1 5,
# deep supervision on every stage, 7 classes (the VinDr-SpineXR lesions).
# The reference runs NMS at IoU 0.7 on the outputs before evaluation.
# AmpSafeDIIHead is mmdet's DIIHead with float32 outputs, so that --amp
# training does not break the Hungarian matching; AmpSafeRoIExtractor pools
# bfloat16/float16 feature maps in float32 (mmcv has no bfloat16 RoIAlign).
model = dict(
    type='SparseRCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=4),
    rpn_head=dict(
        type='EmbeddingRPNHead',
        num_proposals=100,
        proposal_feature_channel=256),
    roi_head=dict(
        type='NMSSparseRoIHead',
        num_stages=6,
        stage_loss_weights=[1] * 6,
        proposal_feature_channel=256,
        bbox_roi_extractor=dict(
            type='AmpSafeRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        # One head config for all stages (mmdet repeats a single dict).
        bbox_head=dict(
            type='AmpSafeDIIHead',
            num_classes=7,
            num_ffn_fcs=2,
            num_heads=8,
            num_cls_fcs=1,
            num_reg_fcs=3,
            feedforward_channels=2048,
            in_channels=256,
            dropout=0.0,
            ffn_act_cfg=dict(type='ReLU', inplace=True),
            dynamic_conv_cfg=dict(
                type='DynamicConv',
                in_channels=256,
                feat_channels=64,
                out_channels=256,
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
                target_stds=[0.5, 0.5, 1., 1.]))),
    # Hungarian matching of each stage, with the loss weights as costs;
    # mmdet wants one training config per stage here.
    train_cfg=dict(
        rpn=None,
        rcnn=[
            dict(
                assigner=dict(
                    type='HungarianAssigner',
                    match_costs=[
                        dict(type='FocalLossCost', weight=2.0),
                        dict(type='BBoxL1Cost', weight=5.0, box_format='xyxy'),
                        dict(type='IoUCost', iou_mode='giou', weight=2.0)
                    ]),
                sampler=dict(type='PseudoSampler'),
                pos_weight=1) for _ in range(6)
        ]),
    test_cfg=dict(
        rpn=None,
        rcnn=dict(max_per_img=100, nms=dict(type='nms', iou_threshold=0.7))))
